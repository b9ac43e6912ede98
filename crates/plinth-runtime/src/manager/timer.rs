//! Running a plugin's lifecycle code: panics caught, a timeout that works
//! in any async runtime or none.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use futures::FutureExt;
use plinth_core::panic_message;

use crate::Fault;

pub(super) async fn guarded_async<'a>(
    timeout: Duration,
    make: impl FnOnce() -> futures::future::BoxFuture<'a, Result<(), plinth_hooks::BoxError>>,
) -> Result<(), Fault> {
    let future = caught(make)?;
    match with_timeout(timeout, AssertUnwindSafe(future).catch_unwind()).await {
        None => Err(Fault::Timeout(timeout)),
        Some(Err(payload)) => Err(Fault::Panic(panic_message(payload.as_ref()))),
        Some(Ok(Err(e))) => Err(Fault::Error(e.to_string())),
        Some(Ok(Ok(()))) => Ok(()),
    }
}

/// `f`'s result, or the panic it raised as a [`Fault::Panic`].
pub(super) fn caught<T>(f: impl FnOnce() -> T) -> Result<T, Fault> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|payload| Fault::Panic(panic_message(payload.as_ref())))
}

/// `future`'s output, or `None` after `timeout`.
///
/// One timer for every case: a runtime-agnostic timer thread
/// (`futures-timer`). tokio's timer would panic in a tokio runtime built
/// without `enable_time`, and does not exist outside tokio. The timer is
/// armed only when the future first waits: most lifecycle steps finish on
/// their first poll, and arming wakes the timer thread (a few microseconds,
/// the whole cost of a toggle otherwise).
pub(super) async fn with_timeout<F: Future>(timeout: Duration, future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut delay: Option<futures_timer::Delay> = None;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        let delay = delay.get_or_insert_with(|| futures_timer::Delay::new(timeout));
        match Pin::new(delay).poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}
