//! `echo`: answers every hook with its payload unchanged. The smallest
//! useful guest, for benchmarking the cost of a call into the sandbox
//! (JSON across the boundary, the SDK's parse and serialize, the guest
//! allocator).

use plinth_guest::{Plugin, Value};

/// The echo plugin: no state, no configuration.
struct Echo;

impl Plugin for Echo {
    fn initialize(_config: Value) -> Result<Self, String> {
        Ok(Echo)
    }

    fn on_hook(&mut self, _hook: &str, payload: Value) -> Result<Value, String> {
        Ok(payload)
    }
}

plinth_guest::export!(Echo);
