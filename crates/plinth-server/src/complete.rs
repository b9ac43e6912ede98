//! `request:complete` off the request path: a queue per layer, drained by
//! one task, instead of a task spawned per request.
//!
//! A spawned task costs a request an allocation, a place in the runtime's
//! task list (a lock) and a trip through the scheduler; a queued event
//! costs a few atomic operations, and under load the task drains many per
//! wake-up. The events start in the order their responses were ready,
//! which is the order an audit log wants: every callback up to an event's
//! first async callback that has to wait runs before the next event's. A
//! call whose async callback has to wait is parked beside the queue and
//! driven on, so one slow callback holds back neither the events behind it
//! nor the responses (its later callbacks then run after theirs).
//!
//! The queue is bounded, and so are the calls parked beside it: when
//! requests finish faster than their callbacks run, a response waits for
//! room in the queue before it leaves ([`QUEUE`], [`PARKED`]). Memory stays
//! bounded and no event is dropped to make room; only a request whose
//! client hangs up while its response waits for room loses its event.
//!
//! The queue serves the runtime it was started on. An event from another
//! runtime, or after that runtime is gone, runs on a task of its own where
//! it was served, as every event did before. A panicking callback (under a
//! hook configuration that lets panics through) loses its own event only.

use std::future::{Future, poll_fn};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::Poll;

use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use plinth_hooks::{Action, Hook};
use tokio::runtime::{self, Handle};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::{Receiver, Sender, channel};
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TaskTrackerToken;

use crate::RequestComplete;

/// An event waiting for its callbacks, with the token that keeps the
/// layer's tracker from reporting it done.
type Queued = (RequestComplete, TaskTrackerToken);

/// Events queued and not started yet; beyond it, a response waits.
pub(crate) const QUEUE: usize = 4096;
/// Calls parked on an async callback at once; beyond it, the queue is
/// not drained until one finishes.
pub(crate) const PARKED: usize = 1024;

/// The `request:complete` queue of one layer.
pub(crate) struct Completions {
    hook: Arc<Action<RequestComplete>>,
    /// Waited on at shutdown: each event holds one of its tokens until its
    /// callbacks are done.
    tracker: TaskTracker,
    /// Made, with its task, on the first event (a layer may be built
    /// outside any runtime), with the runtime the task runs on.
    queue: OnceLock<(runtime::Id, Sender<Queued>)>,
}

impl Completions {
    pub(crate) fn new(hook: Arc<Action<RequestComplete>>) -> Self {
        Completions {
            hook,
            tracker: TaskTracker::new(),
            queue: OnceLock::new(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.hook.is_empty()
    }

    pub(crate) fn tracker(&self) -> &TaskTracker {
        &self.tracker
    }

    /// Queues `done` for the callbacks, waiting for room when the queue is
    /// full. Needs a tokio runtime.
    pub(crate) async fn push(&self, done: RequestComplete) {
        let here = Handle::current().id();
        let (home, queue) = self.queue.get_or_init(|| {
            let (queue, events) = channel(QUEUE);
            tokio::spawn(drain(self.hook.clone(), events));
            (here, queue)
        });
        let mut event = (done, self.tracker.token());
        if *home == here {
            // Without a wait while there is room: most events.
            let sent = match queue.try_send(event) {
                Ok(()) => return,
                Err(TrySendError::Full(full)) => queue.send(full).await.map_err(|e| e.0),
                // The queue's runtime was shut down.
                Err(TrySendError::Closed(refused)) => Err(refused),
            };
            match sent {
                Ok(()) => return,
                Err(refused) => event = refused,
            }
        }
        // Another runtime than the queue's, or the queue is gone: a task of
        // its own, on the runtime that served the request.
        let (done, token) = event;
        let hook = self.hook.clone();
        tokio::spawn(async move {
            complete(&hook, done).await;
            drop(token);
        });
    }
}

/// Runs the queued events until every sender is gone, then finishes the
/// calls still waiting.
async fn drain(hook: Arc<Action<RequestComplete>>, mut events: Receiver<Queued>) {
    type Waiting<'h> = Pin<Box<dyn Future<Output = ()> + Send + 'h>>;
    let mut waiting: FuturesUnordered<Waiting<'_>> = FuturesUnordered::new();
    loop {
        let next = poll_fn(|cx| {
            while let Poll::Ready(Some(())) = waiting.poll_next_unpin(cx) {}
            if waiting.len() >= PARKED {
                // Woken when a parked call finishes.
                return Poll::Pending;
            }
            events.poll_recv(cx)
        })
        .await;
        let Some((done, token)) = next else { break };
        let mut call: Waiting<'_> = Box::pin(async {
            complete(&hook, done).await;
            drop(token);
        });
        // Sync callbacks finish on this first poll; only a call waiting on
        // an async callback is kept.
        if poll_fn(|cx| Poll::Ready(call.as_mut().poll(cx)))
            .await
            .is_pending()
        {
            waiting.push(call);
        }
    }
    while waiting.next().await.is_some() {}
}

async fn complete(hook: &Action<RequestComplete>, done: RequestComplete) {
    // Failures are the plugins' (a manager's fault queue attributes them);
    // the response is already on its way. A panic let through by the hook's
    // configuration must not take the queue's task, and the events in it,
    // down with it.
    match AssertUnwindSafe(hook.call_async(done)).catch_unwind().await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!("{e}"),
        Err(_) => tracing::error!(
            "a request:complete callback panicked (the hook lets panics through); that event is dropped"
        ),
    }
}
