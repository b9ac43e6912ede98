//! The message bus: typed topics for plugins that talk without knowing
//! each other. A thin layer over [`Action`] hooks kept in a [`Registry`]:
//! a topic is a key, subscribing taps the topic's hook, publishing calls
//! it.

use std::future::Future;
use std::sync::Arc;

use plinth_core::PluginUrn;

use crate::{Action, ActionError, BoxError, Config, Handle, Interceptor, Key, Registry};
use crate::{RegistryError, Tap};

/// A topic: a name and the message type it carries; the key of the
/// [`Action`] hook behind it.
///
/// ```
/// use plinth_hooks::Topic;
/// struct LoggedIn { user: String }
/// const LOGGED_IN: Topic<LoggedIn> = Topic::new("user:logged-in");
/// ```
pub type Topic<T> = Key<Action<T>>;

/// Why a publication or subscription failed.
///
/// ```
/// use plinth_hooks::{BusError, MessageBus, PluginUrn, Topic};
///
/// let bus = MessageBus::new();
/// bus.subscribe(&Topic::<u8>::new("t"), PluginUrn::new("p")?, |_| Err("nope".into()))?;
/// let err = bus.publish(&Topic::<u8>::new("t"), &1).unwrap_err();
/// assert!(matches!(err, BusError::Delivery(_)));
/// assert!(bus.publish(&Topic::<String>::new("t"), &"x".into()).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The topic name is bound to another message type.
    #[error(transparent)]
    Topic(#[from] RegistryError),
    /// Some subscribers failed or panicked; all the others got the message.
    #[error(transparent)]
    Delivery(#[from] ActionError),
}

/// Typed publish / subscribe between plugins (the seed's `MessageBus`).
///
/// Every subscriber receives every message published after it subscribed; a
/// subscriber that errors or panics does not stop the others, and is
/// reported (in the returned error and as a `tracing` warning). Subscribing
/// returns a [`Handle`] that [`unregister`](Self::unregister) removes;
/// [`remove_owner`](Self::remove_owner) drops all of a plugin's
/// subscriptions.
///
/// The bus is a [`Registry`] of [`Action`] hooks, one per topic: a
/// subscription is a registration on the topic's hook, a publication a
/// call of it, with everything an action does (priorities and ordering
/// through [`Tap`], interceptors, wrappers through [`topic`](Self::topic)).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use plinth_hooks::{MessageBus, PluginUrn, Topic};
///
/// #[derive(Debug)]
/// struct LoggedIn { user: String }
/// const LOGGED_IN: Topic<LoggedIn> = Topic::new("user:logged-in");
///
/// let bus = MessageBus::new();
/// let mails = Arc::new(Mutex::new(Vec::new()));
/// let m = mails.clone();
/// let welcome = bus.subscribe(&LOGGED_IN, PluginUrn::new("welcome-email")?, move |msg| {
///     m.lock().unwrap().push(format!("welcome {}", msg.user));
///     Ok(())
/// })?;
/// bus.publish(&LOGGED_IN, &LoggedIn { user: "ada".into() })?;
/// bus.unregister(&welcome);
/// bus.publish(&LOGGED_IN, &LoggedIn { user: "bob".into() })?;
/// assert_eq!(*mails.lock().unwrap(), ["welcome ada"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct MessageBus {
    topics: Registry,
}

impl MessageBus {
    /// An empty bus with the default [`Config`].
    ///
    /// ```
    /// # use plinth_hooks::MessageBus;
    /// let bus = MessageBus::new();
    /// ```
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    /// An empty bus with the given settings.
    ///
    /// ```
    /// # use plinth_hooks::{Config, MessageBus};
    /// let bus = MessageBus::with_config(Config::default());
    /// ```
    pub fn with_config(config: Config) -> Self {
        MessageBus {
            topics: Registry::with_config(config),
        }
    }

    /// Subscribes a sync handler.
    ///
    /// ```
    /// # use plinth_hooks::{MessageBus, PluginUrn, Topic};
    /// let bus = MessageBus::new();
    /// bus.subscribe(&Topic::<u8>::new("t"), PluginUrn::new("p")?, |_| Ok(()))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subscribe<T: Send + Sync + 'static>(
        &self,
        topic: &Topic<T>,
        owner: impl Into<Tap>,
        handler: impl Fn(&T) -> Result<(), BoxError> + Send + Sync + 'static,
    ) -> Result<Handle, RegistryError> {
        Ok(self.topic(topic)?.try_tap(owner, handler))
    }

    /// Subscribes an async handler; only
    /// [`publish_async`](Self::publish_async) runs it.
    ///
    /// ```
    /// # use plinth_hooks::{MessageBus, PluginUrn, Topic};
    /// let bus = MessageBus::new();
    /// let t = Topic::<u8>::new("t");
    /// bus.subscribe_async(&t, PluginUrn::new("p")?, |n| async move { Ok(()) })?;
    /// futures_executor::block_on(bus.publish_async(&t, 1))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subscribe_async<T, F, Fut>(
        &self,
        topic: &Topic<T>,
        owner: impl Into<Tap>,
        handler: F,
    ) -> Result<Handle, RegistryError>
    where
        T: Send + Sync + 'static,
        F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        Ok(self.topic(topic)?.tap_async(owner, handler))
    }

    /// The hook behind `topic`, made if absent: for what the bus does not
    /// say itself, such as series delivery
    /// ([`Action::call_async`]), a caller handle or a wrapper.
    ///
    /// # Errors
    /// [`RegistryError::TypeMismatch`] when the topic's name carries
    /// another type.
    ///
    /// ```
    /// # use plinth_hooks::{MessageBus, PluginUrn, Topic};
    /// let bus = MessageBus::new();
    /// let t = Topic::<u8>::new("t");
    /// bus.subscribe(&t, PluginUrn::new("p")?, |_| Err("no".into()))?;
    /// // The application shrugs off its subscribers' failures.
    /// bus.topic(&t)?.wrap(PluginUrn::application(), |m, next| { next.call(m).ok(); Ok(()) });
    /// bus.publish(&t, &1)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn topic<T: Send + Sync + 'static>(
        &self,
        topic: &Topic<T>,
    ) -> Result<Arc<Action<T>>, RegistryError> {
        self.topics.hook(topic)
    }

    /// Removes one subscription; `false` if it was already gone.
    ///
    /// ```
    /// # use plinth_hooks::{MessageBus, PluginUrn, Topic};
    /// let bus = MessageBus::new();
    /// let h = bus.subscribe(&Topic::<u8>::new("t"), PluginUrn::new("p")?, |_| Ok(()))?;
    /// assert!(bus.unregister(&h));
    /// assert!(!bus.unregister(&h));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unregister(&self, handle: &Handle) -> bool {
        self.topics.unregister(handle)
    }

    /// Removes every subscription of `owner`; returns how many.
    ///
    /// ```
    /// # use plinth_hooks::{MessageBus, PluginUrn, Topic};
    /// let bus = MessageBus::new();
    /// let p = PluginUrn::new("p")?;
    /// bus.subscribe(&Topic::<u8>::new("a"), &p, |_| Ok(()))?;
    /// bus.subscribe(&Topic::<u16>::new("b"), &p, |_| Ok(()))?;
    /// assert_eq!(bus.remove_owner(&p), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove_owner(&self, owner: &PluginUrn) -> usize {
        self.topics.remove_owner(owner)
    }

    /// Observes every delivery on every topic.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use plinth_hooks::{CallInfo, Interceptor, MessageBus};
    /// struct Quiet;
    /// impl Interceptor for Quiet { fn on_call(&self, _: &CallInfo<'_>) {} }
    /// MessageBus::new().intercept(Arc::new(Quiet));
    /// ```
    pub fn intercept(&self, interceptor: Arc<dyn Interceptor>) {
        self.topics.intercept(interceptor)
    }

    /// Delivers `message` to every sync subscriber, in subscription order
    /// ([`Action::call`]). Fails with [`BusError::Delivery`] listing the
    /// subscribers that failed, the others all having run; an async
    /// subscriber cannot run here and is listed as
    /// [`Fault::AsyncInSyncCall`](crate::Fault::AsyncInSyncCall) (use
    /// [`publish_async`](Self::publish_async)).
    ///
    /// ```
    /// # use plinth_hooks::{MessageBus, Topic};
    /// let bus = MessageBus::new();
    /// bus.publish(&Topic::<u8>::new("nobody-listens"), &1)?;
    /// # Ok::<(), plinth_hooks::BusError>(())
    /// ```
    pub fn publish<T: Send + Sync + 'static>(
        &self,
        topic: &Topic<T>,
        message: &T,
    ) -> Result<(), BusError> {
        match self.topics.get(topic)? {
            Some(hook) => hook.call(message).map_err(reported),
            None => Ok(()),
        }
    }

    /// Delivers `message` to every subscriber, sync and async, concurrently
    /// ([`Action::call_parallel`]).
    ///
    /// ```
    /// # use plinth_hooks::{MessageBus, PluginUrn, Topic};
    /// let bus = MessageBus::new();
    /// let t = Topic::<u8>::new("t");
    /// bus.subscribe_async(&t, PluginUrn::new("p")?, |_| async { panic!("boom") })?;
    /// bus.subscribe(&t, PluginUrn::new("q")?, |_| Ok(()))?;
    /// assert!(futures_executor::block_on(bus.publish_async(&t, 1)).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn publish_async<T: Send + Sync + 'static>(
        &self,
        topic: &Topic<T>,
        message: impl Into<Arc<T>>,
    ) -> Result<(), BusError> {
        match self.topics.get(topic)? {
            Some(hook) => hook.call_parallel(message).await.map_err(reported),
            None => Ok(()),
        }
    }
}

fn reported(error: ActionError) -> BusError {
    for failure in &error.failures {
        tracing::warn!(topic = %failure.hook, owner = %failure.owner, "{}", failure.fault);
    }
    BusError::Delivery(error)
}
