//! The on-disk cache of compiled components.
//!
//! An entry is named by a 128-bit hash of the component and one of the
//! engine's compatibility hash (wasmtime version, compiler settings, CPU
//! features), so a new engine or a changed component never meets an old
//! entry. Each entry starts with the hash of the compiled bytes after it:
//! a truncated or corrupt file fails that check and is recompiled rather
//! than handed to wasmtime; wasmtime itself refuses an artifact of another
//! engine, which is then recompiled too.
//!
//! The hash is xxh3-128, not a cryptographic one: it guards against
//! accidents (a torn write, a flipped bit, a stale file), at a cost of
//! microseconds where SHA-256 took most of a cached start. Forgery is
//! kept out by the directory's permissions (see `cache_dir`).

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

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

const DIGEST: usize = 16;

/// The compile cache in a directory (created when first written).
#[derive(Debug, Clone)]
pub(crate) struct CompileCache {
    dir: PathBuf,
}

impl CompileCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        CompileCache { dir: dir.into() }
    }

    fn entry(&self, engine: &Engine, component: &[u8]) -> PathBuf {
        let mut engine_hash = Xxh3::new();
        engine
            .precompile_compatibility_hash()
            .hash(&mut engine_hash);
        self.dir.join(format!(
            "{:032x}-{:016x}.cwasm",
            xxh3_128(component),
            engine_hash.finish()
        ))
    }

    /// The compiled component for `bytes`, from the cache when a valid
    /// entry exists.
    pub fn load(
        &self,
        engine: &Engine,
        bytes: &[u8],
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let path = self.entry(engine, bytes);
        let existed = match std::fs::read(&path) {
            Ok(entry) => match verified(&entry) {
                Some(artifact) => match deserialize(engine, artifact) {
                    Ok(component) => return Ok((component, CacheOutcome::Hit)),
                    Err(e) => {
                        tracing::warn!(path = %path.display(), "compile cache entry refused by the engine, recompiling: {e}");
                        true
                    }
                },
                None => {
                    tracing::warn!(path = %path.display(), "compile cache entry corrupt, recompiling");
                    true
                }
            },
            Err(_) => false,
        };
        let component = Component::new(engine, bytes)?;
        if let Err(e) = self.store(&path, &component) {
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

    fn store(&self, path: &Path, component: &Component) -> Result<(), Box<dyn std::error::Error>> {
        let artifact = component.serialize()?;
        std::fs::create_dir_all(&self.dir)?;
        // Written aside and renamed, so that a reader never sees half.
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(&xxh3_128(&artifact).to_le_bytes())?;
        file.write_all(&artifact)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }
}

/// The artifact of an entry whose digest matches, else `None`.
fn verified(entry: &[u8]) -> Option<&[u8]> {
    let (digest, artifact) = entry.split_at_checked(DIGEST)?;
    (xxh3_128(artifact).to_le_bytes() == digest).then_some(artifact)
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, artifact: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: wasmtime requires that the bytes be an artifact it produced
    // (`serialize`), since it maps them as code. The entry's hash was
    // checked above against the one written with it by `store`, so
    // the bytes are those `serialize` returned, unless someone with write
    // access to the cache directory forged both; that directory must be
    // writable by the application alone (documented on
    // `WasmRuntimeBuilder::cache_dir`). wasmtime checks that the artifact
    // is for this engine's version and settings.
    unsafe { Component::deserialize(engine, artifact) }
}
