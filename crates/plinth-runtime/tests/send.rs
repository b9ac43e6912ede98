//! Manager operations and async hook calls are `Send` futures, so an
//! application can spawn them on a multi-threaded runtime.

use plinth_hooks::{Action, Bail, Filter};
use plinth_runtime::Manager;

fn assert_send<T: Send>(_: &T) {}

#[test]
fn operations_and_async_calls_are_send() {
    let mut manager = Manager::new();
    assert_send(&manager.initialize_all());
    assert_send(&manager.enable("a"));
    assert_send(&manager.disable("a"));
    assert_send(&manager.apply_faults());
    assert_send(&manager.shutdown());
    let action = Action::<u8>::new("a");
    assert_send(&action.call_async(1));
    assert_send(&action.call_parallel(1));
    let filter = Filter::<u8>::new("f");
    assert_send(&filter.call_async(1));
    let bail = Bail::<u8, u8>::new("b");
    assert_send(&bail.call_async(1));
}
