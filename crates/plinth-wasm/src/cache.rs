//! The on-disk cache of compiled components.
//!
//! An entry is named by the SHA-256 of the component and a digest of the
//! engine's compatibility hash (wasmtime version, compiler settings, CPU
//! features), so a new engine or a changed component never meets an old
//! entry. Each entry starts with the SHA-256 of the compiled bytes after
//! it: a truncated or corrupt file fails that check and is recompiled
//! rather than handed to wasmtime; wasmtime itself refuses an artifact of
//! another engine, which is then recompiled too.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

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

const DIGEST: usize = 32;

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
        let mut engine_hash = EngineHasher(Sha256::new());
        engine
            .precompile_compatibility_hash()
            .hash(&mut engine_hash);
        let engine_hash = engine_hash.0.finalize();
        let component_hash = Sha256::digest(component);
        self.dir.join(format!(
            "{}-{}.cwasm",
            hex(&component_hash[..16]),
            hex(&engine_hash[..8])
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
        file.write_all(&Sha256::digest(&artifact))?;
        file.write_all(&artifact)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }
}

/// The artifact of an entry whose digest matches, else `None`.
fn verified(entry: &[u8]) -> Option<&[u8]> {
    let (digest, artifact) = entry.split_at_checked(DIGEST)?;
    (Sha256::digest(artifact).as_slice() == digest).then_some(artifact)
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, artifact: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: wasmtime requires that the bytes be an artifact it produced
    // (`serialize`), since it maps them as code. The entry's SHA-256 was
    // checked above against the digest written with it by `store`, so
    // the bytes are those `serialize` returned, unless someone with write
    // access to the cache directory forged both; that directory must be
    // writable by the application alone (documented on
    // `WasmRuntimeBuilder::cache_dir`). wasmtime checks that the artifact
    // is for this engine's version and settings.
    unsafe { Component::deserialize(engine, artifact) }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Feeds `Hash` output into SHA-256, for a digest that does not depend on
/// the standard library's hasher.
struct EngineHasher(Sha256);

impl Hasher for EngineHasher {
    fn finish(&self) -> u64 {
        0 // unused: the digest is read with `finalize`
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}
