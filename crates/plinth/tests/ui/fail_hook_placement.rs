use plinth::prelude::*;

const GREETING: Key<Filter<String>> = Key::new("greeting");

#[derive(Clone)]
struct Shout;

#[plugin]
impl Plugin for Shout {
    fn metadata(&self) -> Metadata {
        Metadata::new("shout", "1.0.0")
    }

    #[hook(GREETING)]
    const LOUD: bool = true;

    #[hook(GREETING)]
    fn by_value(self, greeting: String) -> String {
        greeting
    }

    #[hook(GREETING)]
    fn no_payload(&self) -> String {
        String::new()
    }

    #[hook(GREETING)]
    fn two_payloads(&self, greeting: String, name: String) -> String {
        greeting + &name
    }

    #[hook(GREETING)]
    fn generic<T: Into<String>>(&self, greeting: String) -> String {
        greeting
    }

    async fn not_a_hook(&self) {}
}

fn main() {}
