//! A plugin's view of the message bus: its subscriptions are owned by it.

use std::future::Future;
use std::sync::Arc;

use plinth_core::PluginUrn;
use plinth_hooks::{BoxError, BusError, Handle, MessageBus, RegistryError, Topic};

use crate::activation::{Activation, ContextError};
use crate::faults::FaultQueue;
use tracing::{Instrument, Span};

/// The message bus as given to a plugin (the seed's `messageBus`):
/// subscriptions belong to the plugin and go when it stops.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use plinth_hooks::Topic;
/// use plinth_runtime::testing::TestContext;
///
/// const GREETING: Topic<String> = Topic::new("greeting");
/// let kit = TestContext::new("listener").build()?;
/// let heard = Arc::new(Mutex::new(Vec::new()));
/// let h = heard.clone();
/// kit.context().bus().subscribe(&GREETING, move |m| { h.lock().unwrap().push(m.clone()); Ok(()) })?;
/// kit.bus().publish(&GREETING, &"hello".to_string())?;
/// assert_eq!(*heard.lock().unwrap(), ["hello"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct PluginBus {
    bus: Arc<MessageBus>,
    owner: PluginUrn,
    activation: Arc<Activation>,
    faults: Arc<FaultQueue>,
    // Handlers run in the plugin's span, so their logs name the plugin.
    span: Span,
}

impl PluginBus {
    pub(crate) fn new(
        bus: Arc<MessageBus>,
        activation: Arc<Activation>,
        faults: Arc<FaultQueue>,
        span: Span,
    ) -> Self {
        PluginBus {
            bus,
            owner: activation.urn().clone(),
            activation,
            faults,
            span,
        }
    }

    /// Subscribes through `subscribe` while the activation lasts.
    fn land(
        &self,
        subscribe: impl FnOnce() -> Result<Handle, RegistryError>,
    ) -> Result<Handle, ContextError> {
        let _gate = self.activation.register()?;
        let handle = subscribe()?;
        self.faults.track(handle.id(), &self.activation);
        Ok(handle)
    }

    /// Subscribes a sync handler; an error marks the plugin failed.
    ///
    /// # Errors
    /// [`RegistryError::TypeMismatch`] when the topic's name carries another type.
    ///
    /// ```
    /// # use plinth_hooks::Topic;
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// kit.context().bus().subscribe(&Topic::<u8>::new("t"), |_| Ok(()))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subscribe<T: Send + Sync + 'static>(
        &self,
        topic: &Topic<T>,
        handler: impl Fn(&T) -> Result<(), BoxError> + Send + Sync + 'static,
    ) -> Result<Handle, ContextError> {
        let span = self.span.clone();
        self.land(|| {
            self.bus
                .subscribe(topic, &self.owner, move |m| span.in_scope(|| handler(m)))
        })
    }

    /// Subscribes an async handler (run by `publish_async`).
    ///
    /// # Errors
    /// As [`subscribe`](Self::subscribe).
    ///
    /// ```
    /// # use plinth_hooks::Topic;
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// kit.context().bus().subscribe_async(&Topic::<u8>::new("t"), |_| async { Ok(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subscribe_async<T, F, Fut>(
        &self,
        topic: &Topic<T>,
        handler: F,
    ) -> Result<Handle, ContextError>
    where
        T: Send + Sync + 'static,
        F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        let span = self.span.clone();
        self.land(|| {
            self.bus.subscribe_async(topic, &self.owner, move |m| {
                handler(m).instrument(span.clone())
            })
        })
    }

    /// Removes one of the plugin's subscriptions.
    ///
    /// ```
    /// # use plinth_hooks::Topic;
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// let bus = kit.context().bus();
    /// let h = bus.subscribe(&Topic::<u8>::new("t"), |_| Ok(()))?;
    /// assert!(bus.unregister(&h));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unregister(&self, handle: &Handle) -> bool {
        self.bus.unregister(handle)
    }

    /// Publishes to the sync subscribers of `topic`.
    ///
    /// A subscriber that fails, panics, or is async (it cannot be run by a
    /// sync publish) is that subscriber's fault, not the publisher's: it is
    /// logged, recorded against the subscriber (which the manager stops),
    /// and every other subscriber still gets the message. So a plugin may
    /// publish with `?` from its own callbacks without being failed for
    /// what its subscribers do.
    ///
    /// # Errors
    /// Only [`RegistryError`] when the topic is bound to another type.
    ///
    /// ```
    /// # use plinth_hooks::Topic;
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// kit.context().bus().publish(&Topic::<u8>::new("t"), &1)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn publish<T: Send + Sync + 'static>(
        &self,
        topic: &Topic<T>,
        message: &T,
    ) -> Result<(), RegistryError> {
        self.publisher_result(self.bus.publish(topic, message))
    }

    /// Publishes to every subscriber of `topic`, sync and async.
    ///
    /// # Errors
    /// As [`publish`](Self::publish).
    ///
    /// ```
    /// # use plinth_hooks::Topic;
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// futures::executor::block_on(kit.context().bus().publish_async(&Topic::<u8>::new("t"), 1))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn publish_async<T: Send + Sync + 'static>(
        &self,
        topic: &Topic<T>,
        message: impl Into<Arc<T>>,
    ) -> Result<(), RegistryError> {
        self.publisher_result(self.bus.publish_async(topic, message).await)
    }

    /// A subscriber's failure is the subscriber's: the bus has logged it
    /// and the fault queue attributed it, so the publisher only hears of a
    /// topic bound to another type.
    fn publisher_result(&self, published: Result<(), BusError>) -> Result<(), RegistryError> {
        match published {
            Err(BusError::Topic(e)) => Err(e),
            Err(BusError::Delivery(failures)) => {
                tracing::debug!(
                    publisher = %self.owner,
                    topic = %failures.hook,
                    failed = failures.failures.len(),
                    "subscribers failed"
                );
                Ok(())
            }
            Ok(()) => Ok(()),
        }
    }
}
