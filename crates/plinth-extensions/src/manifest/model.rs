//! The typed manifest.

use std::path::{Path, PathBuf};

use plinth_core::Entities;
use serde::Deserialize;

use super::raw::{RawExtension, RawManifest, RawSchema};
use crate::{Activation, ManifestError, ModuleRef, PLUGIN_API_VERSION};

/// The manifest's file name in each plugin folder.
///
/// ```
/// use plinth_extensions::MANIFEST_FILE;
/// assert_eq!(MANIFEST_FILE, "plinth.toml");
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("a"))?;
/// std::fs::write(dir.path().join("a").join(MANIFEST_FILE), "[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n")?;
/// assert_eq!(plinth_extensions::scan([dir.path()]).plugins[0].name(), "a");
/// # Ok::<(), std::io::Error>(())
/// ```
pub const MANIFEST_FILE: &str = "plinth.toml";

/// A plugin's `plinth.toml`: metadata, dependencies, configuration schema,
/// permissions, extensions and data entities, checked and typed.
///
/// ```
/// use std::path::Path;
/// use plinth_extensions::Manifest;
///
/// let m = Manifest::parse(r#"
/// [plugin]
/// name = "xedit-lang-x"
/// version = "1.2.0"
///
/// [dependencies]
/// xedit-core = "^2.1"
///
/// [extensions."xedit:language"]
/// x = "xedit-lang-x"
/// y = { module = "xedit-lang-x", object = "y", auto = false }
///
/// [entities.assets]
/// logo = "x.svg"
/// "#, Path::new("plugins/xedit-lang-x/plinth.toml"))?;
/// assert_eq!(m.name, "xedit-lang-x");
/// assert!(m.dependencies[0].req.matches(&"2.3.0".parse()?));
/// assert_eq!(m.extensions.len(), 2);
/// assert_eq!(m.entities[0].1.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Manifest {
    /// The manifest file.
    pub path: PathBuf,
    /// `[plugin] name`: the plugin's unique name (its URN in a host).
    pub name: String,
    /// `[plugin] version`.
    pub version: semver::Version,
    /// `[plugin] description`.
    pub description: Option<String>,
    /// `[plugin] author`.
    pub author: Option<String>,
    /// `[plugin] api`: the plugin API versions the plugin works with, a
    /// semver range that must include [`PLUGIN_API_VERSION`](crate::PLUGIN_API_VERSION).
    /// Optional: a manifest without it targets `^0.1`, the first plugin API.
    pub api: semver::VersionReq,
    /// `[dependencies]`, in file order.
    pub dependencies: Vec<Dependency>,
    /// `[config] schema`, inline or read from the file beside the manifest.
    pub config_schema: Option<ConfigSchema>,
    /// `[plugin] module`: the plugin's code, for plugins not compiled into
    /// the application (`plugin.wasm` is a WebAssembly component in the
    /// plugin folder). `None` for a plugin of data and extensions only.
    pub module: Option<ModuleRef>,
    /// `[hooks]`: the hooks the plugin's code taps, with priorities, in
    /// file order, so that its reach is known before it runs.
    pub hooks: Vec<HookDecl>,
    /// `[bus] subscribe`: the bus topics the plugin's code listens to.
    pub subscribe: Vec<String>,
    /// `[bus] publish`: the bus topics the plugin's code publishes on. A
    /// sandboxed plugin publishes on these only.
    pub publish: Vec<String>,
    /// `[permissions]`, for the sandbox.
    pub permissions: Permissions,
    /// `[sandbox]`: the limits the plugin asks for (the host caps them).
    pub sandbox: Sandbox,
    /// `[extensions.<point>]` entries, in file order.
    pub extensions: Vec<ExtensionDecl>,
    /// `[entities.<type>]` plain-data entities, in file order.
    pub entities: Vec<(String, Entities<toml::Value>)>,
    /// Where each of `entities` is written: per entity type, its table and
    /// each key, in the same order.
    entity_locations: Vec<EntityTypeLocation>,
}

/// The `(line, column)` of an entity type's table and of each of its keys.
#[derive(Clone, Debug, PartialEq)]
struct EntityTypeLocation {
    table: (usize, usize),
    keys: Vec<(usize, usize)>,
}

/// A dependency on another plugin, by name and semver range.
///
/// ```
/// # use plinth_extensions::Dependency;
/// let d = Dependency { name: "core".into(), req: "^1.2".parse()? };
/// assert!(d.req.matches(&"1.4.0".parse()?));
/// # Ok::<(), semver::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    /// The plugin depended on.
    pub name: String,
    /// The versions accepted.
    pub req: semver::VersionReq,
}

/// A plugin's configuration schema (JSON Schema), inline in the manifest
/// or from a file beside it.
///
/// ```
/// # use plinth_extensions::ConfigSchema;
/// let s = ConfigSchema { file: None, schema: serde_json::json!({"type": "object"}) };
/// assert_eq!(s.schema["type"], "object");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigSchema {
    /// The schema file, `None` when inline.
    pub file: Option<PathBuf>,
    /// The schema.
    pub schema: serde_json::Value,
}

/// What a plugin asks to be allowed (the sandbox grants or refuses it).
///
/// ```
/// # use plinth_extensions::Permissions;
/// assert!(Permissions::default().is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Permissions {
    /// Folders it may read, each a plain name of a folder in the plugin's
    /// data folder.
    pub read: Vec<String>,
    /// Folders it may write, named as `read`'s are.
    pub write: Vec<String>,
    /// Hosts (`host` or `host:port`) it may connect to.
    pub net: Vec<String>,
    /// Environment variables it may read.
    pub env: Vec<String>,
    /// Whether it may read the clocks.
    pub clocks: bool,
    /// Whether it may draw random bytes.
    pub random: bool,
}

impl Permissions {
    /// Whether nothing is asked for.
    ///
    /// ```
    /// # use std::path::Path;
    /// # use plinth_extensions::Manifest;
    /// let m = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n[permissions]\nnet = [\"api.example.com:443\"]\n", Path::new("a/plinth.toml"))?;
    /// assert!(!m.permissions.is_empty());
    /// assert_eq!(m.permissions.net, ["api.example.com:443"]);
    /// # Ok::<(), plinth_extensions::ManifestError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.read.is_empty()
            && self.write.is_empty()
            && self.net.is_empty()
            && self.env.is_empty()
            && !self.clocks
            && !self.random
    }
}

/// One `[hooks]` entry: a hook the plugin's code taps.
///
/// ```
/// # use std::path::Path;
/// # use plinth_extensions::Manifest;
/// let m = Manifest::parse(
///     "[plugin]\nname = \"a\"\nversion = \"1.0.0\"\nmodule = \"a.wasm\"\n[hooks]\n\"request:start\" = { priority = 0 }\n\"user:action\" = {}\n",
///     Path::new("plugins/a/plinth.toml"),
/// )?;
/// assert_eq!((m.hooks[0].hook.as_str(), m.hooks[0].priority), ("request:start", 0));
/// assert_eq!(m.hooks[1].priority, 10);
/// # Ok::<(), plinth_extensions::ManifestError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookDecl {
    /// The hook's name.
    pub hook: String,
    /// Its priority (lower runs first; 10 when not given, as in code).
    pub priority: i32,
}

/// The default priority of a hook registration.
pub(super) const DEFAULT_PRIORITY: i32 = 10;

/// `[sandbox]`: what a sandboxed plugin asks for, each capped by the host.
///
/// ```
/// # use std::path::Path;
/// # use plinth_extensions::Manifest;
/// let m = Manifest::parse(
///     "[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n[sandbox]\ninstances = 1\ndeadline-ms = 50\nmemory-mib = 16\n",
///     Path::new("plugins/a/plinth.toml"),
/// )?;
/// assert_eq!((m.sandbox.instances, m.sandbox.deadline_ms, m.sandbox.memory_mib), (Some(1), Some(50), Some(16)));
/// assert!(Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n[sandbox]\nthreads = 3\n", Path::new("a/plinth.toml")).is_err());
/// # Ok::<(), plinth_extensions::ManifestError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[non_exhaustive]
pub struct Sandbox {
    /// Instances serving concurrent calls: `1` keeps one instance (all
    /// state in it), more pools them (state shared through the host).
    pub instances: Option<u32>,
    /// The deadline of one call, in milliseconds.
    pub deadline_ms: Option<u64>,
    /// The cap on the plugin's linear memory per instance, in MiB.
    pub memory_mib: Option<u64>,
    /// Fuel per call (instructions, roughly), when the host meters fuel;
    /// at most the host's.
    pub fuel: Option<u64>,
    /// Traps tolerated (each replacing the instance) before the plugin is
    /// marked failed.
    pub max_restarts: Option<u32>,
}

/// One `[extensions.<point>]` entry.
///
/// ```
/// # use plinth_extensions::{Activation, ExtensionDecl, ModuleRef};
/// let d = ExtensionDecl {
///     point: "xedit:language".into(),
///     name: "x".into(),
///     module: ModuleRef::parse("xedit-lang-x", None),
///     activation: Activation::Auto,
/// };
/// assert_eq!(d.module.kind(), "native");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtensionDecl {
    /// The extension point.
    pub point: String,
    /// The extension's name.
    pub name: String,
    /// Where its factory is (`module` defaults to the plugin's name).
    pub module: ModuleRef,
    /// `auto = false` makes it [`Activation::ByName`].
    pub activation: Activation,
}

impl Manifest {
    /// Reads and parses a manifest file.
    ///
    /// ```no_run
    /// # use plinth_extensions::Manifest;
    /// let m = Manifest::from_path("plugins/xedit-lang-x/plinth.toml")?;
    /// println!("{} {}", m.name, m.version);
    /// # Ok::<(), plinth_extensions::ManifestError>(())
    /// ```
    ///
    /// # Errors
    /// [`ManifestError::Io`] when it cannot be read, else as [`parse`](Self::parse).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, ManifestError> {
        let path = path.as_ref();
        let source = super::read_regular(path)?;
        Manifest::parse(&source, path)
    }

    /// Parses manifest text; `path` names it in errors and locates a
    /// configuration schema file (read from beside it).
    ///
    /// ```
    /// use std::path::Path;
    /// use plinth_extensions::Manifest;
    /// let m = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.2.0\"\n", Path::new("plugins/a/plinth.toml"))?;
    /// assert_eq!((m.name.as_str(), m.version.minor), ("a", 2));
    /// let bad = Manifest::parse("[plugin]\nname = \"a b\"\nversion = \"1.0.0\"\n", Path::new("a/plinth.toml"));
    /// assert_eq!(bad.unwrap_err().location(), Some((2, 8)));
    /// # Ok::<(), plinth_extensions::ManifestError>(())
    /// ```
    ///
    /// # Errors
    /// [`ManifestError::Invalid`] with the line and column of the first
    /// problem: TOML syntax, a missing `[plugin]` table, an unknown field, a
    /// wrong type, a bad version or range, an `api` range that excludes
    /// [`PLUGIN_API_VERSION`], a self-dependency, nesting deeper than 64
    /// levels, an invalid name (see [`plinth_core::check_plugin_name`]) or
    /// entity key.
    pub fn parse(source: &str, path: &Path) -> Result<Self, ManifestError> {
        if let Some(offset) = super::depth::too_deep(source) {
            return Err(ManifestError::at(
                path,
                source,
                offset,
                format!(
                    "nesting deeper than {} levels (tables, dotted keys, arrays and inline tables together)",
                    super::depth::MAX_NESTING
                ),
            ));
        }
        let raw: RawManifest = toml::from_str(source).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            ManifestError::at(path, source, offset, e.message().trim_end())
        })?;
        let invalid =
            |offset: usize, message: String| ManifestError::at(path, source, offset, message);

        let misplaced = [
            ("name", &raw.name),
            ("version", &raw.version),
            ("description", &raw.description),
            ("author", &raw.author),
            ("api", &raw.api),
        ]
        .into_iter()
        .find_map(|(key, value)| value.as_ref().map(|v| (key, v.span().start)));
        let plugin = match (raw.plugin, misplaced) {
            (Some(plugin), None) => plugin,
            (Some(_), Some((key, at))) => {
                return Err(invalid(
                    at,
                    format!("`{key}` belongs under [plugin], not at the top level"),
                ))
            }
            (None, Some((_, at))) => {
                return Err(invalid(
                    at,
                    "missing [plugin] table: `name` and `version` belong under [plugin], not at the top level"
                        .to_owned(),
                ))
            }
            (None, None) => {
                return Err(invalid(
                    0,
                    "missing [plugin] table (with the plugin's `name` and `version`)".to_owned(),
                ))
            }
        };

        let name = plugin.name.get_ref();
        check_plugin_name(name).map_err(|m| invalid(plugin.name.span().start, m))?;

        let api = match plugin.api {
            None => super::api::default_api(),
            Some(api) => {
                // Checked here rather than at load time: a plugin built for
                // another API must not take part in a scan at all.
                if !api.get_ref().matches(&PLUGIN_API_VERSION) {
                    return Err(invalid(
                        api.span().start,
                        format!(
                            "plugin API range {:?} does not include this host's plugin API version {PLUGIN_API_VERSION}",
                            api.get_ref().to_string()
                        ),
                    ));
                }
                api.into_inner()
            }
        };

        let mut dependencies = Vec::with_capacity(raw.dependencies.len());
        for (dep, req) in raw.dependencies {
            check_plugin_name(dep.get_ref()).map_err(|m| invalid(dep.span().start, m))?;
            if dep.get_ref() == name {
                return Err(invalid(
                    dep.span().start,
                    format!("plugin {name:?} depends on itself"),
                ));
            }
            dependencies.push(Dependency {
                name: dep.into_inner(),
                req,
            });
        }

        let config_schema = match raw.config {
            None => None,
            Some(config) => {
                let at = config.schema.span().start;
                Some(match config.schema.into_inner() {
                    RawSchema::Inline(table) => ConfigSchema {
                        file: None,
                        schema: super::json::table_to_json(&table),
                    },
                    RawSchema::File(file) => {
                        let relative = Path::new(&file);
                        // The schema belongs to the plugin: a path leaving its
                        // folder would let a manifest read any file.
                        if relative.is_absolute()
                            || relative
                                .components()
                                .any(|c| !matches!(c, std::path::Component::Normal(_)))
                        {
                            return Err(invalid(
                                at,
                                format!(
                                    "config schema file {file:?} must be a relative path inside the plugin folder"
                                ),
                            ));
                        }
                        let dir = path.parent().unwrap_or(Path::new(""));
                        let schema_path = dir.join(relative);
                        let target =
                            confine(dir, &schema_path, &file).map_err(|m| invalid(at, m))?;
                        read_schema(&schema_path, &target)
                            .map_err(|e| e.unless_io(|m| invalid(at, m)))?
                    }
                })
            }
        };

        let mut extensions = Vec::new();
        for (point, entries) in raw.extensions {
            non_empty("extension point", point.get_ref())
                .map_err(|m| invalid(point.span().start, m))?;
            for (ext, decl) in entries {
                non_empty("extension name", ext.get_ref())
                    .map_err(|m| invalid(ext.span().start, m))?;
                // The name becomes a key of the plugin's `extension:<point>`
                // entities: checked here, where the error can give a line.
                if plinth_core::guard::is_numeric_like(ext.get_ref()) {
                    return Err(invalid(
                        ext.span().start,
                        format!(
                            "extension name {:?} is numeric-like (it becomes an entity key)",
                            ext.get_ref()
                        ),
                    ));
                }
                let (module, activation) = match decl {
                    RawExtension::Module(module) => {
                        (ModuleRef::parse(&module, None), Activation::Auto)
                    }
                    RawExtension::Table(t) => (
                        ModuleRef::parse(t.module.as_deref().unwrap_or(name), t.object.as_deref()),
                        Activation::from_auto(t.auto.unwrap_or(true)),
                    ),
                };
                extensions.push(ExtensionDecl {
                    point: point.get_ref().clone(),
                    name: ext.into_inner(),
                    module,
                    activation,
                });
            }
        }

        if let Some(module) = &plugin.module {
            non_empty("module", module.get_ref()).map_err(|m| invalid(module.span().start, m))?;
        }
        let module = plugin.module.map(|m| ModuleRef::parse(m.get_ref(), None));
        let mut hooks = Vec::with_capacity(raw.hooks.len());
        for (hook, tap) in raw.hooks {
            non_empty("hook name", hook.get_ref()).map_err(|m| invalid(hook.span().start, m))?;
            hooks.push(HookDecl {
                hook: hook.into_inner(),
                priority: tap.priority.unwrap_or(DEFAULT_PRIORITY),
            });
        }
        let (subscribe, publish) = raw
            .bus
            .map(|b| (b.subscribe, b.publish))
            .unwrap_or_default();
        // Each string of `list` passed through `check`, refused at its own
        // place in the file.
        let checked = |list: Vec<toml::Spanned<String>>,
                       check: &dyn Fn(&str) -> Result<(), String>| {
            list.into_iter()
                .map(|item| {
                    check(item.get_ref()).map_err(|m| invalid(item.span().start, m))?;
                    Ok(item.into_inner())
                })
                .collect::<Result<Vec<_>, ManifestError>>()
        };
        let topic = |t: &str| non_empty("bus topic", t);
        let subscribe = checked(subscribe, &topic)?;
        let publish = checked(publish, &topic)?;

        let asked = raw.permissions;
        let permissions = Permissions {
            read: checked(asked.read, &check_folder_name)?,
            write: checked(asked.write, &check_folder_name)?,
            net: asked.net,
            env: asked.env,
            clocks: asked.clocks,
            random: asked.random,
        };

        let mut entities = Vec::with_capacity(raw.entities.len());
        let mut entity_locations = Vec::with_capacity(raw.entities.len());
        // Kept so that errors found later, when the data meets an
        // application's entity schema, can point at the file.
        let lines = super::location::Lines::new(source);
        for (ty, map) in raw.entities {
            // Any string is an entity type; only keys have rules.
            let mut inner = Entities::new();
            let mut keys = Vec::with_capacity(map.len());
            for (key, value) in map {
                check_entity_key(key.get_ref()).map_err(|m| invalid(key.span().start, m))?;
                keys.push(lines.line_column(key.span().start));
                inner.insert(key.into_inner(), value);
            }
            entity_locations.push(EntityTypeLocation {
                table: lines.line_column(ty.span().start),
                keys,
            });
            entities.push((ty.into_inner(), inner));
        }

        Ok(Manifest {
            path: path.to_owned(),
            name: plugin.name.into_inner(),
            version: plugin.version,
            description: plugin.description,
            author: plugin.author,
            api,
            dependencies,
            config_schema,
            module,
            hooks,
            subscribe,
            publish,
            permissions,
            sandbox: raw.sandbox,
            extensions,
            entities,
            entity_locations,
        })
    }

    /// Where an entity is written, as `(line, column)` in [`path`](Self::path):
    /// the key of `entity_type`'s entry `key`, or with `key` `None` the
    /// entity type's table name. `None` for an entity the manifest does not
    /// have.
    ///
    /// ```
    /// # use std::path::Path;
    /// # use plinth_extensions::Manifest;
    /// let m = Manifest::parse(
    ///     "[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n[entities.assets]\nlogo = \"a.svg\"\n",
    ///     Path::new("plugins/a/plinth.toml"),
    /// )?;
    /// assert_eq!(m.entity_location("assets", None), Some((4, 11)));
    /// assert_eq!(m.entity_location("assets", Some("logo")), Some((5, 1)));
    /// assert_eq!(m.entity_location("assets", Some("icon")), None);
    /// # Ok::<(), plinth_extensions::ManifestError>(())
    /// ```
    pub fn entity_location(&self, entity_type: &str, key: Option<&str>) -> Option<(usize, usize)> {
        let at = self.entities.iter().position(|(ty, _)| ty == entity_type)?;
        let location = self.entity_locations.get(at)?;
        match key {
            None => Some(location.table),
            Some(key) => {
                let index = self.entities[at]
                    .1
                    .keys()
                    .position(|k| k == plinth_core::EntityKeyRef::Name(key))?;
                location.keys.get(index).copied()
            }
        }
    }

    /// The plugin's folder (the manifest's parent).
    ///
    /// ```
    /// # use std::path::Path;
    /// # use plinth_extensions::Manifest;
    /// let m = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n", Path::new("plugins/a/plinth.toml"))?;
    /// assert_eq!(m.dir(), Path::new("plugins/a"));
    /// # Ok::<(), plinth_extensions::ManifestError>(())
    /// ```
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }
}

/// Where the schema file `file` (given as `given` in the manifest) really
/// is, which must be inside the plugin folder `dir`: the relative-path check
/// alone would let a symlink (the file, or a folder on the way) lead out of
/// it.
fn confine(dir: &Path, file: &Path, given: &str) -> Result<PathBuf, String> {
    let resolve = |p: &Path| {
        // `Path::new("")` is the current folder, which `canonicalize` refuses.
        let p = if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        };
        p.canonicalize()
    };
    let target =
        resolve(file).map_err(|e| format!("config schema file {}: {e}", file.display()))?;
    let folder = resolve(dir)
        .map_err(|e| format!("config schema file {}: plugin folder: {e}", file.display()))?;
    if target.starts_with(&folder) {
        Ok(target)
    } else {
        Err(format!(
            "config schema file {given:?} resolves to {}, outside the plugin folder {}",
            target.display(),
            folder.display()
        ))
    }
}

/// Reads the schema from `target`, the resolved `file`; errors name `file`,
/// as the manifest does.
fn read_schema(file: &Path, target: &Path) -> Result<ConfigSchema, ManifestError> {
    // Read from the resolved path, so that a link changed after the check
    // cannot lead elsewhere.
    let text = super::read_regular(target).map_err(|e| match e {
        ManifestError::Io { source, .. } => ManifestError::Io {
            path: file.to_owned(),
            source,
        },
        other => other,
    })?;
    let schema = serde_json::from_str(&text).map_err(|e| ManifestError::Invalid {
        path: file.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    Ok(ConfigSchema {
        file: Some(file.to_owned()),
        schema,
    })
}

/// The one rule for plugin names (plinth-core's), as a message.
fn check_plugin_name(name: &str) -> Result<(), String> {
    plinth_core::check_plugin_name(name).map_err(|e| e.to_string())
}

/// A permission's folder is one plain name: it is made inside the plugin's
/// data folder, and a path would lead out of it.
fn check_folder_name(dir: &str) -> Result<(), String> {
    let plain =
        !dir.is_empty() && dir != "." && dir != ".." && !dir.contains(['/', '\\', ':', '\0']);
    if plain {
        Ok(())
    } else {
        Err(format!(
            "permission folder {dir:?} must be a plain folder name (no `/`, `\\`, `:`, NUL, `.` or `..`): it names a folder in the plugin's data folder"
        ))
    }
}

fn non_empty(what: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        Err(format!("{what} must not be empty"))
    } else {
        Ok(())
    }
}

// The host would reject these too, but here the error can point at the line.
fn check_entity_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("entity key must not be empty".to_owned());
    }
    if plinth_core::guard::is_numeric_like(key) {
        return Err(format!("entity key {key:?} is numeric-like"));
    }
    Ok(())
}
