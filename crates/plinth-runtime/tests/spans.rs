//! Everything a plugin does runs in its span: hook callbacks and bus
//! handlers too, even when the application triggers them from outside.

use plinth_hooks::{Action, Key, Topic};
use plinth_runtime::testing::TestContext;

const SAVE: Key<Action<u32>> = Key::new("doc:save");
const SAVED: Topic<u32> = Topic::new("doc:saved");

#[test]
fn hook_callbacks_and_bus_handlers_log_in_the_plugins_span() {
    let kit = TestContext::new("autosave").build().unwrap();
    let ctx = kit.context();
    ctx.hooks()
        .on(&SAVE)
        .unwrap()
        .tap(|n| tracing::info!("saving {n}"));
    ctx.bus()
        .subscribe(&SAVED, |n| {
            tracing::info!("saved {n}");
            Ok(())
        })
        .unwrap();

    // Triggered by the application, outside any plugin span.
    tracing::info!("application log");
    kit.hooks().hook(&SAVE).unwrap().call(&7).unwrap();
    kit.bus().publish(&SAVED, &7).unwrap();

    let by_message = |m: &str| {
        kit.logs()
            .into_iter()
            .find(|r| r.message == m)
            .unwrap_or_else(|| panic!("no log {m:?}"))
    };
    assert_eq!(by_message("application log").plugin, None);
    assert_eq!(by_message("saving 7").plugin.as_deref(), Some("autosave"));
    assert_eq!(by_message("saved 7").plugin.as_deref(), Some("autosave"));
}
