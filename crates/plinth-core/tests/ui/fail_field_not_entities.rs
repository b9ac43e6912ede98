use plinth_macros::EntitySchema;

// Every field of a schema is an entity type, so it must be an `Entities<V>` map.
#[derive(EntitySchema)]
struct AppEntities {
    assets: Vec<String>,
}

fn main() {}
