//! Hooks called from thread-local destructors, while the thread is being
//! torn down: they must run (uncached if need be), never abort.

mod common;

use std::sync::{Mutex, OnceLock};
use std::thread;

use common::urn;
use plinth_hooks::Filter;

static HOOK: OnceLock<Filter<u32>> = OnceLock::new();
static RESULTS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

fn hook() -> &'static Filter<u32> {
    HOOK.get_or_init(|| {
        let hook = Filter::new("teardown");
        hook.tap(urn("p"), |n| n + 1);
        hook
    })
}

/// Calls the hook when the thread's locals are destroyed.
struct CallsOnDrop(u32);

impl Drop for CallsOnDrop {
    fn drop(&mut self) {
        let out = hook().call(self.0).expect("no fault");
        RESULTS.lock().unwrap().push(out);
    }
}

thread_local! {
    static CALLS_ON_DROP: CallsOnDrop = const { CallsOnDrop(10) };
}

#[test]
fn a_hook_called_from_a_thread_local_destructor_still_runs() {
    thread::spawn(|| {
        // Registered first, so destroyed after whatever the hook's first
        // call registers on this thread.
        CALLS_ON_DROP.with(|_| {});
        assert_eq!(hook().call(1).unwrap(), 2);
    })
    .join()
    .expect("the thread ends cleanly");
    assert_eq!(*RESULTS.lock().unwrap(), [11]);
}
