//! The state-change stream: the manager's `STATE_CHANGED` bus topic,
//! forwarded to any number of HTTP clients as server-sent events.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use plinth_core::PluginUrn;
use plinth_runtime::{Manager, STATE_CHANGED, StateChange};
use serde::Serialize;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::ServerError;

/// How many changes a slow client may fall behind before it is told it
/// missed some (it then reloads the list rather than trusting the stream).
const BACKLOG: usize = 256;

/// One state change as a client sees it.
///
/// ```
/// let change = plinth_server::StateEvent {
///     plugin: "audit".into(),
///     from: "ready".into(),
///     to: "active".into(),
///     reason: None,
/// };
/// assert_eq!(
///     serde_json::to_string(&change)?,
///     r#"{"plugin":"audit","from":"ready","to":"active","reason":null}"#
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateEvent {
    /// The plugin.
    pub plugin: String,
    /// The state it left.
    pub from: String,
    /// The state it entered.
    pub to: String,
    /// Why, when it failed.
    pub reason: Option<String>,
}

impl From<&StateChange> for StateEvent {
    fn from(change: &StateChange) -> Self {
        StateEvent {
            plugin: change.plugin.to_string(),
            from: change.from.to_string(),
            to: change.to.to_string(),
            reason: change.reason.as_ref().map(ToString::to_string),
        }
    }
}

/// The manager's state changes, fanned out to subscribers.
///
/// The bus callback only sends on a broadcast channel, which never blocks:
/// a slow HTTP client can never hold up a plugin's lifecycle.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use plinth_runtime::{Manager, Metadata, Plugin};
///
/// struct Audit;
/// impl Plugin for Audit {
///     fn metadata(&self) -> Metadata { Metadata::new("audit", "1.0.0") }
/// }
///
/// let mut manager = Manager::new();
/// let events = plinth_server::StateEvents::install(&manager)?;
/// let mut changes = events.subscribe();
/// manager.register(Audit)?;
/// manager.initialize_all().await?;
/// let mut last = changes.recv().await?;
/// while let Ok(next) = changes.try_recv() { last = next; }
/// assert_eq!((last.plugin.as_str(), last.to.as_str()), ("audit", "active"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct StateEvents {
    sender: broadcast::Sender<StateEvent>,
    closed: CancellationToken,
}

impl StateEvents {
    /// Subscribes to `manager`'s state changes, as the application (the
    /// manager never removes the application's subscriptions).
    ///
    /// # Errors
    /// [`ServerError::Bus`] when the manager's bus binds the state-change
    /// topic to another type.
    ///
    /// ```
    /// let events = plinth_server::StateEvents::install(&plinth_runtime::Manager::new())?;
    /// assert_eq!(events.subscribe().len(), 0);
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn install(manager: &Manager) -> Result<Arc<Self>, ServerError> {
        let (sender, _) = broadcast::channel(BACKLOG);
        let events = Arc::new(StateEvents {
            sender: sender.clone(),
            closed: CancellationToken::new(),
        });
        manager.bus().subscribe(
            &STATE_CHANGED,
            PluginUrn::application(),
            move |change: &StateChange| {
                // No receiver is not an error: nobody is watching.
                let _ = sender.send(StateEvent::from(change));
                Ok(())
            },
        )?;
        Ok(events)
    }

    /// A receiver of the changes from now on.
    ///
    /// ```
    /// let events = plinth_server::StateEvents::install(&plinth_runtime::Manager::new())?;
    /// let receiver = events.subscribe();
    /// assert!(receiver.is_empty());
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn subscribe(&self) -> broadcast::Receiver<StateEvent> {
        self.sender.subscribe()
    }

    /// Ends every open stream, so that a graceful shutdown does not wait
    /// for clients that would otherwise listen forever.
    ///
    /// ```
    /// let events = plinth_server::StateEvents::install(&plinth_runtime::Manager::new())?;
    /// events.close();
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn close(&self) {
        self.closed.cancel();
    }

    fn stream(&self) -> impl Stream<Item = Result<Event, Infallible>> + Send + use<> {
        let state = (self.subscribe(), self.closed.clone());
        futures_util::stream::unfold(state, |(mut receiver, closed)| async move {
            let event = tokio::select! {
                () = closed.cancelled() => return None,
                received = receiver.recv() => match received {
                    Ok(change) => Event::default()
                        .json_data(&change)
                        .unwrap_or_else(|_| Event::default().event("error")),
                    // The client missed changes: it must reload what it shows.
                    Err(broadcast::error::RecvError::Lagged(missed)) => Event::default()
                        .event("lagged")
                        .data(missed.to_string()),
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            };
            Some((Ok(event), (receiver, closed)))
        })
    }
}

/// `GET /api/admin/events`.
pub(crate) async fn stream(
    State(events): State<Arc<StateEvents>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // A comment first, so that the client sees the stream is open (and the
    // response headers are flushed) before any change happens.
    let opened = futures_util::stream::once(async { Ok(Event::default().comment("open")) });
    Sse::new(futures_util::StreamExt::chain(opened, events.stream()))
        .keep_alive(KeepAlive::default())
}
