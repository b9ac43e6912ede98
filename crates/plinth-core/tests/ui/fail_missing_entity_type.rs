use plinth_core::Entities;
use plinth_macros::EntitySchema;

#[derive(EntitySchema)]
struct AppEntities {
    assets: Entities<String>,
    weights: Entities<u32>,
}

fn main() {
    // `weights` omitted: plugins must supply every entity type (an empty map for none).
    let _ = AppEntities {
        assets: Entities::new(),
    };
}
