use plinth_core::{Entities, Host, Plugin};
use plinth_macros::EntitySchema;

#[derive(EntitySchema)]
struct AppEntities {
    assets: Entities<String>,
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
    let host = Host::from_plugins([P(AppEntities {
        assets: Entities::from([("a", "x".to_string())]),
        weights: Entities::new(),
    })])
    .unwrap();
    let _: &[String] = host.entities().assets.get("a");
}
