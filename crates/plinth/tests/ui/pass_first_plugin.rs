// The first plugin of the crate documentation, with every kind of hook
// method and an async lifecycle: it compiles against the prelude alone.
use std::sync::Arc;

use plinth::prelude::*;

const GREETING: Key<Filter<String>> = Key::new("greeting");
const SAVED: Key<Action<String>> = Key::new("saved");
const ROUTE: Key<Bail<String, u16>> = Key::new("route");

#[derive(Clone)]
struct Shout;

#[plugin]
impl Plugin for Shout {
    fn metadata(&self) -> Metadata {
        Metadata::new("shout", "1.0.0")
    }

    async fn initialize(&mut self, _ctx: &Context) -> Result<(), BoxError> {
        Ok(())
    }

    async fn destroy(&mut self) -> Result<(), BoxError> {
        Ok(())
    }

    #[hook(GREETING)]
    fn shout(&self, greeting: String) -> String {
        greeting.to_uppercase()
    }

    #[hook(GREETING, priority = -1, name = "trim", before = "shout")]
    fn trim(&self, greeting: &mut String) -> Result<(), BoxError> {
        *greeting = greeting.trim().to_string();
        Ok(())
    }

    #[hook(SAVED)]
    fn saved(&self, _page: &String) {}

    #[hook(SAVED)]
    async fn saved_later(&self, _page: Arc<String>) -> Result<(), BoxError> {
        Ok(())
    }

    #[hook(ROUTE)]
    async fn route(&self, path: &String) -> Option<u16> {
        (path == "/").then_some(200)
    }
}

fn main() {
    let mut manager = Manager::new();
    manager.register(Shout).unwrap();
}
