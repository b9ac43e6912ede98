//! The facade's typed path end to end: a `#[derive(EntitySchema)]` struct,
//! a `Manager` of it, `#[plugin] impl Plugin<AppEntities>` and a manifest
//! plugin whose data is read into the schema, all through `plinth::prelude`.

use std::sync::Arc;

use futures::executor::block_on;
use plinth::extensions::{ExtensionRegistry, Loaders, Manifest};
use plinth::prelude::*;
use plinth::runtime::ManifestPlugin;

#[derive(EntitySchema)]
struct AppEntities {
    assets: Entities<String>,
    weights: Entities<u32>,
}

const TITLE: Key<Filter<String>> = Key::new("page:title");

#[derive(Clone)]
struct Theme;

#[plugin]
impl Plugin<AppEntities> for Theme {
    fn metadata(&self) -> Metadata {
        Metadata::new("theme", "1.0.0")
    }

    fn entities(&self) -> AppEntities {
        AppEntities {
            assets: Entities::from([("logo", "moon.svg".to_string())]),
            weights: Entities::from([("bold", 700)]),
        }
    }

    #[hook(TITLE)]
    fn title(&self, title: String) -> String {
        title + " (dark)"
    }
}

#[test]
fn a_typed_manager_through_the_facade() -> Result<(), Box<dyn std::error::Error>> {
    block_on(async {
        let manifest = Manifest::parse(
            "[plugin]\nname = \"light\"\nversion = \"1.0.0\"\n\
             [entities.assets]\nlogo = \"sun.svg\"\n[entities.weights]\nthin = 100\n",
            std::path::Path::new("plugins/light/plinth.toml"),
        )?;
        let mut manager = Manager::<AppEntities>::typed();
        manager.register(Theme)?;
        manager.register(ManifestPlugin::new(
            manifest,
            Arc::new(ExtensionRegistry::new()),
            Arc::new(Loaders::new()),
        ))?;
        manager.initialize_all().await?;

        let snapshot = manager.snapshot();
        let logo: &[String] = snapshot.entities().assets.get("logo");
        assert_eq!(logo, ["moon.svg", "sun.svg"]);
        let thin: &[u32] = snapshot.entities().weights.get("thin");
        assert_eq!(thin, [100]);
        assert_eq!(
            manager.hooks().hook(&TITLE)?.call("Home".into())?,
            "Home (dark)"
        );

        manager.disable("theme").await?;
        assert_eq!(
            manager.snapshot().entities().assets.get("logo"),
            ["sun.svg"]
        );
        assert_eq!(manager.hooks().hook(&TITLE)?.call("Home".into())?, "Home");
        Ok(())
    })
}
