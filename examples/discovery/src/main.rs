//! Plugins found at run time: scans a folder of plugin folders (each with a
//! `plinth.toml`), reports the manifests it cannot use, starts the others
//! under the manager and prints what they contribute.
//!
//! `cargo run -p plinth-example-discovery [folder]` (by default the
//! `plugins` folder beside this example).

use std::path::PathBuf;
use std::sync::Arc;

use plinth::extensions::{ExtensionRegistry, Loaders, scan};
use plinth::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let folder = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("plugins"));

    let discovery = scan([&folder]);
    for error in &discovery.errors {
        println!("skipped: {error}");
    }

    // The application configures its plugins by name.
    let config = serde_json::json!({ "plugins": { "@acme/search": { "maxResults": 50 } } });
    let mut manager = Manager::new().with_config(config);
    let refused = manager.register_discovered(
        &discovery,
        &Arc::new(ExtensionRegistry::new()),
        &Arc::new(Loaders::new()),
    );
    for error in &refused {
        println!("refused: {error}");
    }
    futures::executor::block_on(manager.initialize_all())?;

    for plugin in manager.list() {
        match &plugin.reason {
            Some(reason) => println!(
                "{} {}: {} ({reason})",
                plugin.name, plugin.version, plugin.state
            ),
            None => println!("{} {}: {}", plugin.name, plugin.version, plugin.state),
        }
    }
    let snapshot = manager.snapshot();
    for entity_type in ["assets", "commands"] {
        if let Some(collection) = snapshot.entities().get(entity_type) {
            for (value, key, plugin) in collection {
                println!("{entity_type}.{key} = {value} (from {plugin})");
            }
        }
    }
    futures::executor::block_on(manager.shutdown());
    Ok(())
}
