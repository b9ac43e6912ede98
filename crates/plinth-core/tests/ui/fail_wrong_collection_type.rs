use plinth_core::{Entities, Host, Plugin};
use plinth_macros::EntitySchema;

#[derive(EntitySchema)]
struct AppEntities {
    weights: Entities<u32>,
}

struct P(AppEntities);

impl Plugin for P {
    type Entities = AppEntities;
    fn name(&self) -> &str {
        "p"
    }
    fn entities(&self) -> &AppEntities {
        &self.0
    }
}

fn main() {
    let host = Host::from_plugins([P(AppEntities { weights: Entities::new() })]).unwrap();
    // The collection is typed by the schema: its values are u32.
    let _: &[String] = host.entities().weights.get("a");
}
