//! The plugin API a host offers and the range a manifest targets.

use semver::{Version, VersionReq};

/// The version of the plugin API this host offers: what a plugin may rely
/// on (manifest format, extension points, loaders). A manifest's
/// `[plugin] api` range must include it, or discovery refuses the plugin.
///
/// ```
/// use std::path::Path;
/// use plinth_extensions::{Manifest, PLUGIN_API_VERSION};
///
/// assert_eq!(PLUGIN_API_VERSION.to_string(), "0.1.0");
/// let m = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\napi = \"^0.1\"\n", Path::new("a/plinth.toml"))?;
/// assert!(m.api.matches(&PLUGIN_API_VERSION));
/// # Ok::<(), plinth_extensions::ManifestError>(())
/// ```
pub const PLUGIN_API_VERSION: Version = Version::new(0, 1, 0);

/// The range a manifest without `[plugin] api` targets: such manifests were
/// written for the first plugin API, before the key existed.
pub(super) fn default_api() -> VersionReq {
    VersionReq {
        comparators: vec![semver::Comparator {
            op: semver::Op::Caret,
            major: 0,
            minor: Some(1),
            patch: None,
            pre: semver::Prerelease::EMPTY,
        }],
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_is_caret_zero_one() {
        assert_eq!(super::default_api().to_string(), "^0.1");
    }
}
