use plinth::prelude::*;

const GREETING: Key<Filter<String>> = Key::new("greeting");

#[derive(Clone)]
struct Twice;

#[plugin]
impl Plugin for Twice {
    fn metadata(&self) -> Metadata {
        Metadata::new("twice", "1.0.0")
    }

    fn initialize(&mut self, _ctx: &Context) -> Result<(), BoxError> {
        Ok(())
    }

    async fn initialize(&mut self, _ctx: &Context) -> Result<(), BoxError> {
        Ok(())
    }

    async fn destroy(&self) -> Result<(), BoxError> {
        Ok(())
    }

    #[hook(GREETING)]
    fn shout(&self, greeting: String) -> String {
        greeting.to_uppercase()
    }

    fn register_hooks(&self, _ctx: &Context) -> Result<(), plinth::runtime::ContextError> {
        Ok(())
    }
}

fn main() {}
