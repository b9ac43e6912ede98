//! Extension points, plugin manifests, discovery and loaders for plinth
//! (after the js-plugins and node-plugins packages); the lifecycle manager (`plinth-runtime`) builds on them.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod discovery;
pub mod extension;
pub mod files;
pub mod loader;
pub mod manifest;

pub use discovery::*;
pub use extension::*;
pub use files::*;
pub use loader::*;
pub use manifest::*;

#[doc(hidden)]
pub use inventory;
