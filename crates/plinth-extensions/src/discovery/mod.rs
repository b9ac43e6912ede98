//! Discovery: plugin folders found in a list of directories.
//!
//! Every first-level folder of a directory that holds a `plinth.toml` is a
//! plugin, and so is every folder one level deeper inside an `@scope`
//! folder. Directories are scanned in order (each once, however often it is
//! given) and, within one, entries in name order; a plugin of a later
//! directory replaces an earlier plugin of the same name (keeping its
//! position), while two of one name in the same directory are an error.
//! Every replacement, duplicate and bad manifest is reported while the scan
//! goes on.

mod cache;
mod host;
mod register;
mod report;
mod scan;
mod search_path;

pub use cache::ManifestCache;
pub use host::{DataHost, dynamic_plugins};
pub use register::register_manifest;
pub use report::{DiscoveredPlugin, Discovery, DiscoveryError, Override};
pub use scan::scan;
pub use search_path::SearchPath;
