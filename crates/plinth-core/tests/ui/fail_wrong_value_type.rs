use plinth_core::Entities;
use plinth_macros::EntitySchema;

#[derive(EntitySchema)]
struct AppEntities {
    assets: Entities<String>,
    weights: Entities<u32>,
}

fn main() {
    let _ = AppEntities {
        assets: Entities::new(),
        weights: Entities::from([("heavy", "not a number")]),
    };
}
