//! What a wrapper gets to run the rest of a call.

use crate::Hook;
use crate::core::State;
use crate::hook::sealed::Sealed;

/// The rest of a call, as a wrapper sees it: the wrappers inside it, then
/// the hook's callbacks. Each kind gives it a `call` taking that kind's
/// payload and returning its result ([`Filter::wrap`](crate::Filter::wrap),
/// [`Action::wrap`](crate::Action::wrap), [`Bail::wrap`](crate::Bail::wrap)).
/// It is used up by the call, so the chain runs at most once per wrapper;
/// a wrapper that drops it without calling skips the chain.
///
/// ```
/// use plinth_hooks::{Bail, PluginUrn};
///
/// let route = Bail::<String, u16>::new("route");
/// route.tap(PluginUrn::new("api")?, |path| path.starts_with("/api").then_some(200));
/// // Answers for maintenance without asking anyone else.
/// route.wrap(PluginUrn::application(), |path, next| {
///     if path == "/down" { Ok(Some(503)) } else { next.call(path) }
/// });
/// assert_eq!(route.call(&"/api/x".into())?, Some(200));
/// assert_eq!(route.call(&"/down".into())?, Some(503));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Next<'a, H: Sealed> {
    pub(crate) hook: &'a H,
    pub(crate) state: &'a State<<H as Sealed>::Callback, <H as Sealed>::Wrapper>,
    /// The wrapper to run next; past the last one, the callbacks.
    pub(crate) depth: usize,
}

impl<'a, H: Sealed> Next<'a, H> {
    pub(crate) fn new(
        hook: &'a H,
        state: &'a State<<H as Sealed>::Callback, <H as Sealed>::Wrapper>,
        depth: usize,
    ) -> Self {
        Next { hook, state, depth }
    }
}

impl<H: Hook> std::fmt::Debug for Next<'_, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Next")
            .field("hook", &self.hook.name())
            .field("inner_wrappers", &(self.state.wrappers.len() - self.depth))
            .finish()
    }
}
