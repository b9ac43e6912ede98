use plinth::prelude::*;

const SAVED: Key<Action<String>> = Key::new("saved");

#[derive(Clone)]
struct Audit;

#[plugin]
impl Plugin for Audit {
    fn metadata(&self) -> Metadata {
        Metadata::new("audit", "1.0.0")
    }

    #[hook(SAVED)]
    fn record(&self, page: &u32) {
        println!("{page}");
    }
}

fn main() {}
