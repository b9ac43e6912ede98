use plinth::prelude::*;

#[plugin]
struct NotAnImpl;

struct Inherent;

#[plugin]
impl Inherent {
    fn new() -> Self {
        Inherent
    }
}

struct WithArguments;

#[plugin(name = "x")]
impl Plugin for WithArguments {
    fn metadata(&self) -> Metadata {
        Metadata::new("with-arguments", "1.0.0")
    }
}

fn main() {}
