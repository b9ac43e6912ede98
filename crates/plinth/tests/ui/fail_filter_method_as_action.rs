use plinth::prelude::*;

const GREETING: Key<Filter<String>> = Key::new("greeting");

#[derive(Clone)]
struct Shout;

#[plugin]
impl Plugin for Shout {
    fn metadata(&self) -> Metadata {
        Metadata::new("shout", "1.0.0")
    }

    // A filter step takes and returns the value; this is an action's shape.
    #[hook(GREETING)]
    fn shout(&self, greeting: &String) {
        println!("{}", greeting.to_uppercase());
    }
}

fn main() {}
