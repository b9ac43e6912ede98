//! The default search path: places scanned in order, later ones winning.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::{Discovery, ManifestCache, scan};

/// An ordered list of directories to scan; plugins found in later ones
/// override earlier ones of the same name.
///
/// ```
/// use plinth_extensions::SearchPath;
///
/// let path = SearchPath::new().with("/usr/share/xedit/plugins").with("plugins");
/// assert_eq!(path.dirs().len(), 2);
/// let found = path.scan();
/// # let _ = found;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchPath {
    dirs: Vec<PathBuf>,
}

impl SearchPath {
    /// An empty search path.
    ///
    /// ```
    /// # use plinth_extensions::SearchPath;
    /// let path = SearchPath::new();
    /// assert!(path.dirs().is_empty());
    /// assert!(path.scan().plugins.is_empty());
    /// ```
    pub fn new() -> Self {
        SearchPath::default()
    }

    /// Appends a directory (it overrides those before it).
    ///
    /// ```
    /// # use std::path::PathBuf;
    /// # use plinth_extensions::SearchPath;
    /// let path = SearchPath::new().with("system").with("user");
    /// assert_eq!(path.dirs(), [PathBuf::from("system"), PathBuf::from("user")]);
    /// ```
    pub fn with(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dirs.push(dir.into());
        self
    }

    /// Appends a directory in place.
    ///
    /// ```
    /// # use plinth_extensions::SearchPath;
    /// let mut path = SearchPath::new();
    /// path.push("plugins");
    /// assert_eq!(path, SearchPath::new().with("plugins"));
    /// ```
    pub fn push(&mut self, dir: impl Into<PathBuf>) {
        self.dirs.push(dir.into());
    }

    /// The directories, in scan order.
    ///
    /// ```
    /// # use std::path::Path;
    /// # use plinth_extensions::SearchPath;
    /// let path: SearchPath = ["system", "user"].into_iter().collect();
    /// assert_eq!(path.dirs().last().map(|d| d.as_path()), Some(Path::new("user")));
    /// ```
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// A conventional search path for application `app`, from least to
    /// most specific: the system folder, the user's data folder,
    /// `./plugins`, then each entry of `<APP>_PLUGIN_PATH` (upper case,
    /// `-` as `_`, separated as `PATH` is).
    ///
    /// ```
    /// use plinth_extensions::SearchPath;
    /// let path = SearchPath::standard("xedit");
    /// assert!(path.dirs().iter().any(|d| d.ends_with("plugins")));
    /// ```
    pub fn standard(app: &str) -> Self {
        SearchPath::standard_with_env(app, |var| std::env::var_os(var))
    }

    /// [`standard`](Self::standard) reading environment variables through
    /// `env`, so that the result can be computed without touching the
    /// process environment.
    ///
    /// ```
    /// use std::path::PathBuf;
    /// use plinth_extensions::SearchPath;
    ///
    /// let env = |var: &str| match var {
    ///     "HOME" => Some("/home/ada".into()),
    ///     "XEDIT_PLUGIN_PATH" => Some("/opt/a:/opt/b".into()),
    ///     _ => None,
    /// };
    /// let path = SearchPath::standard_with_env("xedit", env);
    /// # #[cfg(target_os = "linux")]
    /// assert_eq!(path.dirs(), [
    ///     PathBuf::from("/usr/share/xedit/plugins"),
    ///     PathBuf::from("/home/ada/.local/share/xedit/plugins"),
    ///     PathBuf::from("plugins"),
    ///     PathBuf::from("/opt/a"),
    ///     PathBuf::from("/opt/b"),
    /// ]);
    /// ```
    pub fn standard_with_env(app: &str, env: impl Fn(&str) -> Option<OsString>) -> Self {
        let mut path = SearchPath::new();
        if let Some(system) = system_dir(&env) {
            path.push(system.join(app).join("plugins"));
        }
        if let Some(data) = user_data_dir(&env) {
            path.push(data.join(app).join("plugins"));
        }
        path.push("plugins");
        let var = format!("{}_PLUGIN_PATH", app.to_uppercase().replace('-', "_"));
        if let Some(list) = env(&var) {
            path.dirs
                .extend(std::env::split_paths(&list).filter(|d| !d.as_os_str().is_empty()));
        }
        path
    }

    /// Scans the directories in order (see [`scan`](crate::scan)).
    ///
    /// ```
    /// # use plinth_extensions::SearchPath;
    /// let (system, user) = (tempfile::tempdir()?, tempfile::tempdir()?);
    /// for (root, version) in [(&system, "1.0.0"), (&user, "2.0.0")] {
    ///     std::fs::create_dir(root.path().join("a"))?;
    ///     std::fs::write(root.path().join("a/plinth.toml"), format!("[plugin]\nname = \"a\"\nversion = \"{version}\"\n"))?;
    /// }
    /// let found = SearchPath::new().with(system.path()).with(user.path()).scan();
    /// assert_eq!(found.get("a").unwrap().manifest.version.to_string(), "2.0.0");
    /// assert_eq!(found.overrides.len(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn scan(&self) -> Discovery {
        scan(&self.dirs)
    }

    /// Scans the directories through `cache`, which parses only the
    /// manifests changed since its last scan (see [`ManifestCache`]).
    ///
    /// ```
    /// # use plinth_extensions::{ManifestCache, SearchPath};
    /// let cache = ManifestCache::new();
    /// let path = SearchPath::new().with("plugins");
    /// let found = path.scan_cached(&cache); // rescan later with the same cache
    /// # assert!(found.errors.is_empty());
    /// ```
    pub fn scan_cached(&self, cache: &ManifestCache) -> Discovery {
        cache.scan(&self.dirs)
    }
}

fn system_dir(env: &impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    if cfg!(windows) {
        env("ProgramData").map(PathBuf::from)
    } else {
        Some(Path::new("/usr/share").to_owned())
    }
}

fn user_data_dir(env: &impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    if cfg!(windows) {
        env("APPDATA").map(PathBuf::from)
    } else if cfg!(target_os = "macos") {
        env("HOME").map(|h| PathBuf::from(h).join("Library/Application Support"))
    } else {
        env("XDG_DATA_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".local/share")))
    }
}

impl<P: Into<PathBuf>> FromIterator<P> for SearchPath {
    fn from_iter<I: IntoIterator<Item = P>>(iter: I) -> Self {
        SearchPath {
            dirs: iter.into_iter().map(Into::into).collect(),
        }
    }
}
