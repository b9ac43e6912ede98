use std::cell::Cell;
use std::sync::Arc;

use plinth::prelude::*;

const SAVED: Key<Action<String>> = Key::new("saved");

// `Send` (the manager moves it) and `Clone`, but not `Sync`: its hook
// methods would run on several threads at once.
#[derive(Clone)]
struct Counter {
    count: Arc<std::sync::Mutex<Cell<u32>>>,
    last: Cell<u32>,
}

#[plugin]
impl Plugin for Counter {
    fn metadata(&self) -> Metadata {
        Metadata::new("counter", "1.0.0")
    }

    #[hook(SAVED)]
    fn count(&self, _page: &String) {
        self.last.set(self.last.get() + 1);
    }
}

fn main() {}
