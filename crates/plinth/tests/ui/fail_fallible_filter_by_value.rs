// A fallible filter step must edit the value in place: by value, its
// failure would lose the caller's value.
use plinth::prelude::*;

const TITLE: Key<Filter<String>> = Key::new("page:title");

#[derive(Clone)]
struct Shout;

#[plugin]
impl Plugin for Shout {
    fn metadata(&self) -> Metadata {
        Metadata::new("shout", "1.0.0")
    }

    #[hook(TITLE)]
    fn shout(&self, title: String) -> Result<String, BoxError> {
        Ok(title.to_uppercase())
    }
}

fn main() {}
