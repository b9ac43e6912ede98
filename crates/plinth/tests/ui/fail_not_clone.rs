use plinth::prelude::*;

const GREETING: Key<Filter<String>> = Key::new("greeting");
const SAVED: Key<Action<String>> = Key::new("saved");

struct Shout {
    count: std::sync::atomic::AtomicUsize,
}

#[plugin]
impl Plugin for Shout {
    fn metadata(&self) -> Metadata {
        Metadata::new("shout", "1.0.0")
    }

    #[hook(GREETING)]
    fn shout(&self, greeting: String) -> String {
        greeting.to_uppercase()
    }

    #[hook(SAVED)]
    fn count(&self, _page: &String) {
        self.count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

fn main() {}
