//! The application's sandbox: which of its hooks sandboxed plugins may
//! tap, what they are granted, and where their data and compiled code go.

use std::path::Path;

use plinth::wasm::{Grant, HookBridge, Policy, WasmError, WasmRuntime};

use crate::hooks::{REQUEST_COMPLETE, REQUEST_START, USER_ACTION, USER_LOGGED_IN};

/// The sandbox of the application: sandboxed plugins may tap
/// `request:start` (and stop a request), `request:complete` and
/// `user:action`, and meet the in-process plugins on the bus topic
/// `user:logged-in`; the sandboxed audit logger may write its `data`
/// directory and the sandboxed rate limiter read the clock, nothing else.
/// Their data goes under `data_root/<plugin>/`, compiled components under
/// `cache_dir`.
///
/// # Errors
/// When the engine cannot be made.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let runtime = plinth_example_app::sandbox::runtime(&dir.path().join("data"), &dir.path().join("cache"))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn runtime(data_root: &Path, cache_dir: &Path) -> Result<WasmRuntime, WasmError> {
    WasmRuntime::builder()
        .hooks(
            HookBridge::new()
                .bail(&REQUEST_START)
                .action(&REQUEST_COMPLETE)
                .filter(&USER_ACTION)
                .topic(&USER_LOGGED_IN),
        )
        .policy(
            Policy::new(data_root)
                .grant("audit-logger-wasm", Grant::new().write("data"))
                .grant("rate-limiter-wasm", Grant::new().clocks()),
        )
        .cache_dir(cache_dir)
        .build()
}
