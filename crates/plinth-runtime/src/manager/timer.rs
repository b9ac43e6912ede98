//! Running a plugin's lifecycle code: panics caught, a timeout that works
//! in any async runtime or none.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use futures::FutureExt;

use crate::Fault;

pub(super) async fn guarded_async<'a>(
    timeout: Duration,
    make: impl FnOnce() -> futures::future::BoxFuture<'a, Result<(), plinth_hooks::BoxError>>,
) -> Result<(), Fault> {
    let future = match catch_unwind(AssertUnwindSafe(make)) {
        Ok(future) => future,
        Err(payload) => return Err(Fault::Panic(panic_message(payload.as_ref()))),
    };
    match with_timeout(timeout, AssertUnwindSafe(future).catch_unwind()).await {
        None => Err(Fault::Timeout(timeout)),
        Some(Err(payload)) => Err(Fault::Panic(panic_message(payload.as_ref()))),
        Some(Ok(Err(e))) => Err(Fault::Error(e.to_string())),
        Some(Ok(Ok(()))) => Ok(()),
    }
}

/// `future`'s output, or `None` after `timeout`.
///
/// One timer for every case: a runtime-agnostic timer thread
/// (`futures-timer`). tokio's timer would panic in a tokio runtime built
/// without `enable_time`, and does not exist outside tokio.
pub(super) async fn with_timeout<F: std::future::Future>(
    timeout: Duration,
    future: F,
) -> Option<F::Output> {
    let future = std::pin::pin!(future);
    let delay = futures_timer::Delay::new(timeout);
    match futures::future::select(future, delay).await {
        futures::future::Either::Left((output, _)) => Some(output),
        futures::future::Either::Right(((), _)) => None,
    }
}

pub(super) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string payload".to_string()
    }
}
