//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code)]

use plinth_hooks::PluginUrn;

/// A URN from a literal that is known to be valid.
pub fn urn(name: &str) -> PluginUrn {
    PluginUrn::new(name).expect("test URNs are non-empty")
}
