//! `echo`: answers every hook with its payload unchanged. The smallest
//! useful guest, for benchmarking the cost of a call into the sandbox
//! (JSON across the boundary, the SDK's parse and serialize, the guest
//! allocator). It also answers each bus message on `echo:ping` with one on
//! `echo:pong`, contributes one entity, and answers the extension points
//! its manifest declares with what it was asked, for the tests of the bus,
//! of entities and of extension points.

use plinth_guest::{Plugin, Value, host, json};

/// The echo plugin: no state, no configuration.
struct Echo;

impl Plugin for Echo {
    fn initialize(_config: Value) -> Result<Self, String> {
        Ok(Echo)
    }

    fn on_hook(&mut self, _hook: &str, payload: Value) -> Result<Value, String> {
        Ok(payload)
    }

    fn on_message(&mut self, topic: &str, message: Value) -> Result<(), String> {
        if topic == "echo:ping" {
            host::publish("echo:pong", &json!({ "echo": message }))?;
        }
        Ok(())
    }

    fn entities(&self) -> Value {
        json!({ "greetings": { "echo": "hello from the sandbox" } })
    }

    fn answer(
        &mut self,
        point: &str,
        extension: &str,
        object: Option<&str>,
        data: Value,
    ) -> Result<Option<Value>, String> {
        Ok(Some(json!({
            "point": point,
            "extension": extension,
            "object": object,
            "data": data,
        })))
    }
}

plinth_guest::export!(Echo);
