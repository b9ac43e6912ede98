//! The one error type of the sandbox.

use std::path::PathBuf;

/// Why a sandboxed plugin could not be loaded or called (each names the
/// plugin), or the sandbox could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WasmError {
    /// wasmtime refused the engine's configuration.
    #[error("cannot make the WebAssembly engine: {0}")]
    Engine(String),
    /// The certificates given as TLS roots could not be read.
    #[error("TLS roots: {0}")]
    TlsRoots(String),
    /// The component file could not be read.
    #[error("plugin {plugin:?}: cannot read component {}: {source}", path.display())]
    Read {
        /// The plugin.
        plugin: String,
        /// The component file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A directory granted to the plugin could not be made in its data
    /// directory.
    #[error("plugin {plugin:?}: cannot make granted directory {}: {source}", path.display())]
    DataDir {
        /// The plugin.
        plugin: String,
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The module is not a component file inside the plugin's folder.
    #[error("plugin {plugin:?}: {message}")]
    Module {
        /// The plugin.
        plugin: String,
        /// What is wrong.
        message: String,
    },
    /// The component does not compile (not WebAssembly, not a component).
    #[error("plugin {plugin:?}: invalid component: {message}")]
    Compile {
        /// The plugin.
        plugin: String,
        /// wasmtime's message.
        message: String,
    },
    /// The component was built for another plugin world, or imports what
    /// the host does not offer.
    #[error("plugin {plugin:?}: {message}")]
    World {
        /// The plugin.
        plugin: String,
        /// What does not match.
        message: String,
    },
    /// The manifest taps a hook the application does not offer to
    /// sandboxed plugins.
    #[error(
        "plugin {plugin:?}: taps hook {hook:?}, which the application does not offer to sandboxed plugins (offered: {offered})"
    )]
    UnknownHook {
        /// The plugin.
        plugin: String,
        /// The hook.
        hook: String,
        /// The hooks offered, comma-separated.
        offered: String,
    },
    /// The plugin asks for capabilities the policy does not grant, and the
    /// policy is strict.
    #[error("plugin {plugin:?}: asks for capabilities not granted: {}", denied.join("; "))]
    NotGranted {
        /// The plugin.
        plugin: String,
        /// Each capability asked for and not granted.
        denied: Vec<String>,
    },
    /// A call into the guest failed.
    #[error("plugin {plugin:?}: {call}: {kind}")]
    Call {
        /// The plugin.
        plugin: String,
        /// Which call (`initialize`, `on-hook(user:action)`, ...).
        call: String,
        /// What happened.
        kind: CallFailure,
    },
}

/// How a call into a guest failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallFailure {
    /// The guest answered with an error of its own.
    #[error("the plugin reported: {0}")]
    Guest(String),
    /// The call ran past its deadline and was interrupted.
    #[error("deadline of {0} ms exceeded")]
    Deadline(u64),
    /// The call ran out of fuel.
    #[error("out of fuel")]
    Fuel,
    /// The guest trapped (memory cap, stack overflow, unreachable, a bad
    /// pointer or string it returned, ...).
    #[error("trapped: {0}")]
    Trap(String),
    /// The guest's answer is not what the hook expects.
    #[error("bad answer: {0}")]
    Answer(String),
    /// Every instance stayed busy past the deadline.
    #[error("all {0} instances busy past the deadline")]
    Busy(usize),
    /// The plugin called itself back (through a hook or the bus) while
    /// all of its instances were busy.
    #[error("re-entrant call while all of its instances are busy")]
    Reentrant,
    /// The call would have nested deeper than the host allows sandboxed
    /// calls on one thread (a plugin publishing to a plugin publishing ...).
    #[error("sandboxed calls already nested {0} deep on this thread")]
    Nested(usize),
    /// The plugin trapped more often in a row than its restart bound.
    #[error("trapped {traps} times in a row (bound {bound}); last: {last}")]
    Exhausted {
        /// Traps in a row.
        traps: u32,
        /// The bound.
        bound: u32,
        /// The last trap.
        last: Box<CallFailure>,
    },
    /// The plugin was stopped.
    #[error("the plugin is stopped")]
    Stopped,
}

impl CallFailure {
    /// Whether the instance is lost (a trap), as opposed to an answer.
    pub fn is_trap(&self) -> bool {
        matches!(
            self,
            CallFailure::Deadline(_) | CallFailure::Fuel | CallFailure::Trap(_)
        )
    }
}

/// The most of a guest's string a message shows.
const SHOWN: usize = 64;

/// A guest's string (a key, a topic, a path, a host) for a message: quoted,
/// and cut to its first [`SHOWN`] bytes before it is escaped, since a
/// guest's string may be as large as its memory.
pub(crate) fn shown(text: &str) -> String {
    let head = head(text, SHOWN);
    if head.len() < text.len() {
        format!("{head:?}...")
    } else {
        format!("{text:?}")
    }
}

/// The longest start of `text` of at most `max` bytes that ends on a
/// character boundary. (`str::floor_char_boundary` is newer than the
/// workspace's minimum Rust.)
pub(crate) fn head(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
