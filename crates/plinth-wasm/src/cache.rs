//! The on-disk cache of compiled components.
//!
//! An entry is named by a 128-bit hash of the component and one of the
//! engine's compatibility hash (wasmtime version, compiler settings, CPU
//! features), so a new engine or a changed component never meets an old
//! entry. Beside each entry (`.cwasm`, mapped by wasmtime as it is) a
//! `.check` file holds the hash of its bytes: a truncated or corrupt entry
//! fails that check and is recompiled rather than handed to wasmtime; wasmtime itself refuses an artifact of another
//! engine, which is then recompiled too.
//!
//! An entry checked (or written) once is not hashed again by this process
//! while its file keeps its length, modification time and inode.
//!
//! The hash is xxh3-128, not a cryptographic one: it guards against
//! accidents (a torn write, a flipped bit, a stale file), at a cost of
//! microseconds where SHA-256 took most of a cached start. Forgery is
//! kept out by the directory's permissions (see `cache_dir`).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use plinth_extensions::FileStamp;
use wasmtime::Engine;
use wasmtime::component::Component;
use xxhash_rust::xxh3::{Xxh3, xxh3_128};

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheOutcome {
    /// Compiled; no cache configured.
    Compiled,
    /// Loaded from a valid cache entry.
    Hit,
    /// Compiled, no entry existed; the entry is now written.
    Miss,
    /// An entry existed but was corrupt or foreign: compiled and rewritten.
    Replaced,
}

/// The compile cache in a directory (created when first written).
#[derive(Debug)]
pub(crate) struct CompileCache {
    dir: PathBuf,
    /// The engine's part of every entry's name, hashed once.
    engine_hash: OnceLock<u64>,
    /// Entries this process wrote or checked, by what identifies their file
    /// now: a later start of the same plugin need not read and hash the
    /// artifact again while the file is unchanged (entries are replaced by
    /// renaming, which changes the file's identity).
    checked: Mutex<HashMap<PathBuf, FileStamp>>,
    /// Components this process hashed, by path: the file's stamp when it
    /// was read, and its hash. A later start of an unchanged file finds
    /// its entry without reading it.
    known: Mutex<HashMap<PathBuf, (FileStamp, u128)>>,
}

/// How long ago a file must have last changed for its stamp to be trusted
/// later: discovery's window, for the same reason (a file written again
/// within the same timestamp tick as it was stamped keeps its stamp).
const RACY_WINDOW: std::time::Duration = plinth_extensions::ManifestCache::RACY_WINDOW;

impl CompileCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        CompileCache {
            dir: dir.into(),
            engine_hash: OnceLock::new(),
            checked: Mutex::new(HashMap::new()),
            known: Mutex::new(HashMap::new()),
        }
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, (FileStamp, u128)>> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Remembers that the component file at `source`, stamped `stamp`
    /// before it was read, hashes to `hash`.
    pub fn remember(&self, source: &Path, stamp: Option<FileStamp>, hash: u128) {
        match stamp {
            Some(stamp) if stamp.settled(RACY_WINDOW) => {
                self.known().insert(source.to_owned(), (stamp, hash))
            }
            _ => self.known().remove(source),
        };
    }

    /// The compiled component of the file at `source`, stamped `stamp`
    /// now, without reading it: when this process hashed that file before,
    /// it is unchanged since, and its entry is valid. `None` sends the
    /// caller the long way ([`load`](Self::load)), which also handles every
    /// bad entry.
    pub fn load_known(
        &self,
        engine: &Engine,
        source: &Path,
        stamp: &FileStamp,
    ) -> Option<Component> {
        let hash = match self.known().get(source) {
            Some((known, hash)) if known == stamp => *hash,
            _ => return None,
        };
        let path = self.entry(engine, hash);
        if !self.verified(&path, &path.with_extension("check")) {
            return None;
        }
        deserialize_file(engine, &path).ok()
    }

    /// The hash that names a component's entry.
    pub fn hash(component: &[u8]) -> u128 {
        xxh3_128(component)
    }

    fn entry(&self, engine: &Engine, component_hash: u128) -> PathBuf {
        let engine_hash = *self.engine_hash.get_or_init(|| {
            let mut hasher = Xxh3::new();
            engine.precompile_compatibility_hash().hash(&mut hasher);
            hasher.finish()
        });
        self.dir
            .join(format!("{component_hash:032x}-{engine_hash:016x}.cwasm"))
    }

    fn checked(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, FileStamp>> {
        self.checked.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the entry at `path` is the artifact its check file names:
    /// from the memo when the file is unchanged since, else by hashing it.
    fn verified(&self, path: &Path, check: &Path) -> bool {
        let stamp = FileStamp::of(path);
        if stamp.is_some() && self.checked().get(path) == stamp.as_ref() {
            return true;
        }
        let ok = match (std::fs::read(check), hash_file(path)) {
            (Ok(digest), Ok(hash)) => digest == hash.to_le_bytes(),
            _ => false,
        };
        match (ok, stamp) {
            (true, Some(stamp)) if stamp.settled(RACY_WINDOW) => {
                self.checked().insert(path.to_owned(), stamp);
            }
            _ => {
                self.checked().remove(path);
            }
        }
        ok
    }

    /// The compiled component for `bytes` (whose [`hash`](Self::hash) is
    /// `hash`), from the cache when a valid entry exists.
    pub fn load(
        &self,
        engine: &Engine,
        bytes: &[u8],
        hash: u128,
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let path = self.entry(engine, hash);
        let check = path.with_extension("check");
        let existed = if self.verified(&path, &check) {
            match deserialize_file(engine, &path) {
                Ok(component) => return Ok((component, CacheOutcome::Hit)),
                Err(e) => {
                    self.checked().remove(&path);
                    tracing::warn!(path = %path.display(), "compile cache entry refused by the engine, recompiling: {e}");
                    true
                }
            }
        } else if path.exists() || check.exists() {
            tracing::warn!(path = %path.display(), "compile cache entry corrupt or incomplete, recompiling");
            true
        } else {
            false
        };
        let component = Component::new(engine, bytes)?;
        if let Err(e) = self.store(&path, &check, &component) {
            // A cache that cannot be written costs time, not correctness.
            tracing::warn!(path = %path.display(), "cannot write compile cache entry: {e}");
        }
        let outcome = if existed {
            CacheOutcome::Replaced
        } else {
            CacheOutcome::Miss
        };
        Ok((component, outcome))
    }

    fn store(
        &self,
        path: &Path,
        check: &Path,
        component: &Component,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let artifact = component.serialize()?;
        create_private_dir(&self.dir)?;
        // Each file is written aside and renamed, so that a reader never
        // sees half of one; a reader seeing a new artifact with an old
        // check (or the reverse) finds them different and recompiles. The
        // name aside is this writer's alone (two threads may store one
        // entry), and made new: an existing file or link there is not
        // written through.
        let aside = |p: &Path, contents: &[u8]| -> std::io::Result<()> {
            static WRITES: AtomicU64 = AtomicU64::new(0);
            let n = WRITES.fetch_add(1, Ordering::Relaxed);
            let tmp = p.with_extension(format!("tmp{}-{n}", std::process::id()));
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            let written = file
                .write_all(contents)
                .and_then(|()| file.sync_all())
                .and_then(|()| std::fs::rename(&tmp, p));
            if written.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            written
        };
        aside(path, &artifact)?;
        aside(check, &xxh3_128(&artifact).to_le_bytes())?;
        // Just written: its stamp is not settled yet, so the next start
        // checks it (and remembers it once it is).
        self.checked().remove(path);
        Ok(())
    }
}

/// Makes the cache directory, when missing, readable and writable by this
/// user only, where the platform has such modes: whoever can write an
/// entry there chooses code the application runs. Its parents are made as
/// any folder is, and a directory that exists is left as its owner made it.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        // Made meanwhile by another writer.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        made => made,
    }
}

/// The xxh3-128 of a file, read through a small buffer: an artifact is
/// hundreds of KB, and a buffer that large would cost its own mapping and
/// page faults on every start.
fn hash_file(path: &Path) -> std::io::Result<u128> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Xxh3::new();
    let mut buffer = [0u8; 16 << 10];
    loop {
        match file.read(&mut buffer)? {
            0 => return Ok(hasher.digest128()),
            n => hasher.update(&buffer[..n]),
        }
    }
}

#[allow(unsafe_code)]
fn deserialize_file(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: wasmtime requires that the file be an artifact it produced
    // (`serialize`) and that it not change while mapped, since it maps it
    // as code. Its hash was just checked against the one `store` wrote
    // beside it, so it is what `serialize` returned, unless someone with
    // write access to the cache directory forged both; that directory must
    // be writable by the application alone (documented on
    // `WasmRuntimeBuilder::cache_dir`), and this crate only ever replaces
    // an entry by renaming a new file over it, which leaves a mapped one
    // intact. wasmtime checks that the artifact is for this engine's
    // version and settings.
    unsafe { Component::deserialize_file(engine, path) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_cache_directory_is_private_to_its_user() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/cache");
        create_private_dir(&dir).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        // The parent is an ordinary folder, as the umask makes it.
        let ordinary = tmp.path().join("ordinary");
        std::fs::create_dir(&ordinary).unwrap();
        assert_eq!(mode(&tmp.path().join("a")), mode(&ordinary));
        // Already there: fine.
        create_private_dir(&dir).unwrap();
    }
}
