use plinth::prelude::*;

const GREETING: Key<Filter<String>> = Key::new("greeting");

#[derive(Clone)]
struct Shout;

#[plugin]
impl Plugin for Shout {
    fn metadata(&self) -> Metadata {
        Metadata::new("shout", "1.0.0")
    }

    #[hook]
    fn no_key(&self, greeting: String) -> String {
        greeting
    }

    #[hook()]
    fn empty(&self, greeting: String) -> String {
        greeting
    }

    #[hook(priority = 1, GREETING)]
    fn options_first(&self, greeting: String) -> String {
        greeting
    }

    #[hook(GREETING, order = 1)]
    fn unknown_option(&self, greeting: String) -> String {
        greeting
    }

    #[hook(GREETING, priority = 1, priority = 2)]
    fn twice(&self, greeting: String) -> String {
        greeting
    }
}

fn main() {}
