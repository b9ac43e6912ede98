//! What a plugin says about itself: name, version, dependencies, schema.

use std::time::Duration;

use semver::{Version, VersionReq};
use serde_json::Value;

/// A dependency on another plugin: its name and the versions accepted.
///
/// ```
/// use plinth_runtime::Metadata;
/// let meta = Metadata::new("api", "1.0.0").with_dependency("db", "^2.1");
/// let dep = &meta.dependencies()[0];
/// assert_eq!((dep.name.as_str(), dep.optional), ("db", false));
/// assert!(dep.range.matches(&semver::Version::new(2, 3, 0)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// The name of the plugin depended on.
    pub name: String,
    /// The accepted versions (semver, as in Cargo: `"1.2"` means `^1.2`).
    pub range: VersionReq,
    /// An optional dependency orders the start when present but never fails it.
    pub optional: bool,
}

/// Why a plugin's metadata is unusable; each variant names the plugin.
///
/// ```
/// use plinth_runtime::{Metadata, MetadataError};
/// let err = Metadata::new("api", "one").check().unwrap_err();
/// assert!(matches!(err, MetadataError::InvalidVersion { .. }));
/// assert!(err.to_string().starts_with(r#"plugin "api": invalid version "one""#));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// The name is empty.
    #[error("a plugin has an empty name")]
    EmptyName,
    /// The name breaks the rule every plugin name follows (see
    /// [`plinth_core::check_plugin_name`]), as a manifest's name would.
    ///
    /// ```
    /// use plinth_runtime::{Metadata, MetadataError};
    /// let err = Metadata::new("../../etc", "1.0.0").check().unwrap_err();
    /// assert!(matches!(&err, MetadataError::InvalidName { error } if error.name() == "../../etc"));
    /// assert!(err.to_string().starts_with(r#"plugin name "../../etc": "#));
    /// ```
    #[error("{error}")]
    InvalidName {
        /// The name refused, and why.
        error: plinth_core::PluginNameError,
    },
    /// A dependency's name breaks the plugin name rule.
    ///
    /// ```
    /// use plinth_runtime::{Metadata, MetadataError};
    /// let err = Metadata::new("api", "1.0.0").with_dependency("a db", "1").check().unwrap_err();
    /// assert!(matches!(err, MetadataError::InvalidDependencyName { .. }));
    /// ```
    #[error("plugin \"{plugin}\": dependency: {error}")]
    InvalidDependencyName {
        /// The plugin.
        plugin: String,
        /// The dependency name refused, and why.
        error: plinth_core::PluginNameError,
    },
    /// The version is not semver.
    #[error("plugin \"{plugin}\": invalid version \"{version}\": {message}")]
    InvalidVersion {
        /// The plugin.
        plugin: String,
        /// The text given.
        version: String,
        /// The parser's explanation.
        message: String,
    },
    /// A dependency's range is not a semver requirement.
    #[error(
        "plugin \"{plugin}\": invalid version range \"{range}\" for dependency \"{dependency}\": {message}"
    )]
    InvalidRange {
        /// The plugin.
        plugin: String,
        /// The dependency.
        dependency: String,
        /// The text given.
        range: String,
        /// The parser's explanation.
        message: String,
    },
    /// A plugin names itself as a dependency.
    #[error("plugin \"{plugin}\" depends on itself")]
    SelfDependency {
        /// The plugin.
        plugin: String,
    },
    /// A dependency is declared twice.
    #[error("plugin \"{plugin}\": dependency \"{dependency}\" is declared twice")]
    DuplicateDependency {
        /// The plugin.
        plugin: String,
        /// The dependency.
        dependency: String,
    },
}

/// Metadata that identifies a plugin and states what it needs (the seed's
/// `PluginMetadata`, with `configSchema`).
///
/// The builder never panics: text that does not parse is recorded and
/// reported by [`check`](Self::check), which the manager calls when the
/// plugin is registered.
///
/// ```
/// use plinth_runtime::Metadata;
/// use serde_json::json;
///
/// let meta = Metadata::new("rate-limiter", "1.0.0")
///     .with_description("Request rate limiting")
///     .with_author("Your Team")
///     .with_dependency("metrics", ">=0.3, <2")
///     .with_optional_dependency("audit-logger", "1")
///     .with_config_schema(json!({
///         "type": "object",
///         "properties": { "maxRequests": { "type": "integer", "default": 100 } }
///     }));
/// meta.check()?;
/// assert_eq!(meta.version(), &semver::Version::new(1, 0, 0));
/// assert_eq!(meta.dependencies().len(), 2);
/// # Ok::<(), plinth_runtime::MetadataError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Metadata {
    name: String,
    version: Version,
    description: Option<String>,
    author: Option<String>,
    dependencies: Vec<Dependency>,
    config_schema: Option<Value>,
    /// Where the schema was written, for an invalid schema's error.
    config_schema_origin: Option<String>,
    timeout: Option<Duration>,
    notices: Vec<String>,
    problems: Vec<MetadataError>,
}

impl Metadata {
    /// Metadata with a name and a semver version. The name follows the rule
    /// of manifest names (`name` or `@scope/name`, ASCII letters, digits,
    /// `-`, `_`, `.`; see [`plinth_core::check_plugin_name`]); a name that
    /// does not is reported by [`check`](Self::check).
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// let meta = Metadata::new("audit-logger", "1.2.3");
    /// assert_eq!(meta.name(), "audit-logger");
    /// assert_eq!(meta.version().to_string(), "1.2.3");
    /// ```
    pub fn new(name: impl Into<String>, version: &str) -> Self {
        let name = name.into();
        let mut problems = Vec::new();
        if name.is_empty() {
            problems.push(MetadataError::EmptyName);
        } else if let Err(error) = plinth_core::check_plugin_name(&name) {
            problems.push(MetadataError::InvalidName { error });
        }
        let version = Version::parse(version).unwrap_or_else(|e| {
            problems.push(MetadataError::InvalidVersion {
                plugin: name.clone(),
                version: version.to_string(),
                message: e.to_string(),
            });
            Version::new(0, 0, 0)
        });
        Metadata {
            name,
            version,
            description: None,
            author: None,
            dependencies: Vec::new(),
            config_schema: None,
            config_schema_origin: None,
            timeout: None,
            notices: Vec::new(),
            problems,
        }
    }

    /// Sets the human-readable description.
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// let meta = Metadata::new("a", "1.0.0").with_description("Does A");
    /// assert_eq!(meta.description(), Some("Does A"));
    /// ```
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the author.
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// let meta = Metadata::new("a", "1.0.0").with_author("Ada");
    /// assert_eq!(meta.author(), Some("Ada"));
    /// ```
    pub fn with_author(mut self, author: impl Into<String>) -> Self {
        self.author = Some(author.into());
        self
    }

    /// Declares a required dependency and its semver range.
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// let meta = Metadata::new("api", "1.0.0").with_dependency("db", "~1.4");
    /// assert!(!meta.dependencies()[0].optional);
    /// ```
    pub fn with_dependency(self, name: impl Into<String>, range: &str) -> Self {
        self.dependency(name.into(), range, false)
    }

    /// Declares an optional dependency: started first when registered, never
    /// a reason to fail.
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// let meta = Metadata::new("api", "1.0.0").with_optional_dependency("cache", "*");
    /// assert!(meta.dependencies()[0].optional);
    /// ```
    pub fn with_optional_dependency(self, name: impl Into<String>, range: &str) -> Self {
        self.dependency(name.into(), range, true)
    }

    fn dependency(mut self, name: String, range: &str, optional: bool) -> Self {
        if let Err(error) = plinth_core::check_plugin_name(&name) {
            self.problems.push(MetadataError::InvalidDependencyName {
                plugin: self.name.clone(),
                error,
            });
        }
        if name == self.name {
            self.problems.push(MetadataError::SelfDependency {
                plugin: self.name.clone(),
            });
        }
        if self.dependencies.iter().any(|d| d.name == name) {
            self.problems.push(MetadataError::DuplicateDependency {
                plugin: self.name.clone(),
                dependency: name.clone(),
            });
        }
        match VersionReq::parse(range) {
            Ok(range) => self.dependencies.push(Dependency {
                name,
                range,
                optional,
            }),
            Err(e) => self.problems.push(MetadataError::InvalidRange {
                plugin: self.name.clone(),
                dependency: name,
                range: range.to_string(),
                message: e.to_string(),
            }),
        }
        self
    }

    /// Sets the JSON Schema of the plugin's configuration (`plugins.<name>`).
    /// `default`s in it are applied before validation.
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// let meta = Metadata::new("a", "1.0.0").with_config_schema(serde_json::json!({"type": "object"}));
    /// assert!(meta.config_schema().is_some());
    /// ```
    pub fn with_config_schema(mut self, schema: Value) -> Self {
        self.config_schema = Some(schema);
        self
    }

    /// Names where the configuration schema was written (its file, or the
    /// manifest holding it), so that the error of a schema that does not
    /// compile says where to look.
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// let meta = Metadata::new("a", "1.0.0")
    ///     .with_config_schema(serde_json::json!({"type": "strnig"}))
    ///     .with_config_schema_origin("plugins/a/config.schema.json");
    /// assert_eq!(meta.config_schema_origin(), Some("plugins/a/config.schema.json"));
    /// ```
    pub fn with_config_schema_origin(mut self, origin: impl Into<String>) -> Self {
        self.config_schema_origin = Some(origin.into());
        self
    }

    /// Where the configuration schema was written, if the plugin said.
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// assert!(Metadata::new("a", "1.0.0").config_schema_origin().is_none());
    /// ```
    pub fn config_schema_origin(&self) -> Option<&str> {
        self.config_schema_origin.as_deref()
    }

    /// Sets how long an async `initialize` or `destroy` may take, overriding
    /// the manager's default; also how long `disable` waits for hook calls
    /// still running the plugin's callbacks before it destroys the plugin.
    /// A sync [`Plugin`](crate::Plugin)'s `initialize` and `destroy` are
    /// not bounded by it: they run to completion on the operation's task.
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// # use std::time::Duration;
    /// let meta = Metadata::new("a", "1.0.0").with_timeout(Duration::from_secs(2));
    /// assert_eq!(meta.timeout(), Some(Duration::from_secs(2)));
    /// ```
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Adds a notice for the operator, shown by
    /// [`Manager::list`](crate::Manager::list): something about the plugin
    /// that does not stop it but should be seen (a sandboxed plugin asking
    /// for more than it is granted, say).
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// let meta = Metadata::new("a", "1.0.0").with_notice("asks to write \"data\", not granted");
    /// assert_eq!(meta.notices(), ["asks to write \"data\", not granted"]);
    /// ```
    pub fn with_notice(mut self, notice: impl Into<String>) -> Self {
        self.notices.push(notice.into());
        self
    }

    /// The notices for the operator (see [`with_notice`](Self::with_notice)).
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// assert!(Metadata::new("a", "1.0.0").notices().is_empty());
    /// ```
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// The unique name (also the plugin's URN in host snapshots).
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// assert_eq!(Metadata::new("a", "1.0.0").name(), "a");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version (`0.0.0` when the given text did not parse; see
    /// [`check`](Self::check)).
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// assert_eq!(Metadata::new("a", "2.0.0-rc.1").version().pre.as_str(), "rc.1");
    /// ```
    pub fn version(&self) -> &Version {
        &self.version
    }

    /// The description, if any.
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// assert_eq!(Metadata::new("a", "1.0.0").description(), None);
    /// ```
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The author, if any.
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// assert_eq!(Metadata::new("a", "1.0.0").author(), None);
    /// ```
    pub fn author(&self) -> Option<&str> {
        self.author.as_deref()
    }

    /// Required and optional dependencies, in declaration order.
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// let meta = Metadata::new("a", "1.0.0").with_dependency("b", "1").with_dependency("c", "2");
    /// let names: Vec<_> = meta.dependencies().iter().map(|d| d.name.as_str()).collect();
    /// assert_eq!(names, ["b", "c"]);
    /// ```
    pub fn dependencies(&self) -> &[Dependency] {
        &self.dependencies
    }

    /// The configuration schema, if any.
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// assert!(Metadata::new("a", "1.0.0").config_schema().is_none());
    /// ```
    pub fn config_schema(&self) -> Option<&Value> {
        self.config_schema.as_ref()
    }

    /// The async timeout override, if any.
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// assert_eq!(Metadata::new("a", "1.0.0").timeout(), None);
    /// ```
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The first problem met while building the metadata, if any.
    ///
    /// # Errors
    /// A [`MetadataError`]: an empty name, a plugin or dependency name
    /// outside the plugin name rule ([`plinth_core::check_plugin_name`]), a
    /// version or range that is not semver, a self or duplicate dependency.
    ///
    /// ```
    /// # use plinth_runtime::Metadata;
    /// let err = Metadata::new("a", "1.0.0").with_dependency("b", "not a range").check().unwrap_err();
    /// assert!(err.to_string().contains(r#"dependency "b""#));
    /// ```
    pub fn check(&self) -> Result<(), MetadataError> {
        match self.problems.first() {
            Some(problem) => Err(problem.clone()),
            None => Ok(()),
        }
    }
}
