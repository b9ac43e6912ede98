//! Plugin manifests: `plinth.toml` in each plugin folder.
//!
//! The format is described by `schemas/plinth-manifest.schema.json` at the
//! repository root; unknown fields are errors, and every error names the
//! file, line and column.

mod api;
mod depth;
mod error;
mod json;
mod location;
mod model;
mod raw;
mod read;

pub use api::PLUGIN_API_VERSION;
pub use error::ManifestError;
pub use json::toml_to_json;
pub use model::{
    ConfigSchema, Dependency, ExtensionDecl, HookDecl, MANIFEST_FILE, Manifest, Permissions,
    Sandbox,
};
pub use read::MAX_MANIFEST_BYTES;
pub(crate) use read::read_regular;
