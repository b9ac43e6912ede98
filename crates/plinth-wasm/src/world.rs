//! The plugin world's version, and the check that a component was built
//! against a compatible one and imports nothing the host does not offer.

use semver::Version;
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::WasmError;

/// The WIT package of the plugin API.
pub const WORLD_PACKAGE: &str = "plinth:plugin";

/// The version of the plugin world this host implements.
///
/// ```
/// assert_eq!(plinth_wasm::WORLD_VERSION.to_string(), "0.1.3");
/// ```
pub const WORLD_VERSION: Version = Version::new(0, 1, 3);

/// The WIT text of the plugin world, for guest tool chains.
///
/// ```
/// assert!(plinth_wasm::WORLD_WIT.contains("package plinth:plugin@0.1.3;"));
/// ```
pub const WORLD_WIT: &str = include_str!("../wit/plugin.wit");

/// What a component exports and imports of the plugin world, by the names
/// it really uses (a guest of another compatible version names its own).
#[derive(Debug, Clone)]
pub(crate) struct GuestWorld {
    /// `plinth:plugin/guest@<version>`.
    pub export: String,
}

/// Whether a guest built against `guest` runs on this host: semver
/// compatible, which for 0.x means the same minor version, and not newer
/// (a newer guest may import what this host does not have).
///
/// ```
/// use semver::Version;
/// use plinth_wasm::compatible;
/// assert!(compatible(&Version::new(0, 1, 0)));
/// assert!(compatible(&Version::new(0, 1, 1)));
/// assert!(compatible(&Version::new(0, 1, 2)));
/// assert!(compatible(&Version::new(0, 1, 3)));
/// assert!(compatible(&Version::parse("0.1.1+build.7").unwrap()));
/// assert!(!compatible(&Version::new(0, 1, 7)), "newer than the host");
/// assert!(!compatible(&Version::new(0, 2, 0)));
/// assert!(!compatible(&Version::new(1, 0, 0)));
/// ```
pub fn compatible(guest: &Version) -> bool {
    guest.major == WORLD_VERSION.major
        && (WORLD_VERSION.major != 0 || guest.minor == WORLD_VERSION.minor)
        // Precedence ignores build metadata: `0.1.1+x` is `0.1.1`.
        && guest.cmp_precedence(&WORLD_VERSION).is_le()
}

/// `plinth:plugin/<interface>@<version>` split, or `None` for a name of
/// another package.
fn world_name(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix(WORLD_PACKAGE)?.strip_prefix('/')?;
    rest.split_once('@')
}

fn version_of(plugin: &str, name: &str, version: &str) -> Result<Version, WasmError> {
    let guest = Version::parse(version).map_err(|e| WasmError::World {
        plugin: plugin.to_owned(),
        message: format!("{name}: bad version {version:?}: {e}"),
    })?;
    if compatible(&guest) {
        Ok(guest)
    } else {
        let newer = guest.cmp_precedence(&WORLD_VERSION).is_gt();
        let why = if newer && compatible(&Version::new(guest.major, guest.minor, 0)) {
            "newer than this host's"
        } else {
            "which this host does not run; the host implements"
        };
        Err(WasmError::World {
            plugin: plugin.to_owned(),
            message: format!(
                "built against plugin world {WORLD_PACKAGE}@{guest}, \
                 {why} {WORLD_PACKAGE}@{WORLD_VERSION}"
            ),
        })
    }
}

/// Checks a component's imports and exports against the plugin world.
pub(crate) fn check(
    plugin: &str,
    engine: &Engine,
    component: &Component,
) -> Result<GuestWorld, WasmError> {
    let ty = component.component_type();
    for (name, _) in ty.imports(engine) {
        match world_name(name) {
            Some(("host", version)) => {
                version_of(plugin, name, version)?;
            }
            _ => {
                return Err(WasmError::World {
                    plugin: plugin.to_owned(),
                    message: format!(
                        "imports `{name}`, which the host does not offer \
                         (it offers {WORLD_PACKAGE}/host@{WORLD_VERSION})"
                    ),
                });
            }
        }
    }
    for (name, _) in ty.exports(engine) {
        if let Some(("guest", version)) = world_name(name) {
            version_of(plugin, name, version)?;
            return Ok(GuestWorld {
                export: name.to_owned(),
            });
        }
    }
    Err(WasmError::World {
        plugin: plugin.to_owned(),
        message: format!(
            "exports no `{WORLD_PACKAGE}/guest` interface: not a plinth plugin component"
        ),
    })
}
