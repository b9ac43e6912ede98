//! Typed hooks for plinth: the points where plugins inject behaviour.
//!
//! Three hook kinds, each taking sync and async callbacks:
//! - [`Action`]: a broadcast; every callback sees the same payload, in
//!   series or in parallel, and every failure is returned with its owner;
//! - [`Filter`]: a waterfall; each callback gets the previous output, and
//!   the first error stops the chain and hands the caller the last good
//!   value ([`FilterError`]);
//! - [`Bail`]: callbacks run in order until one returns a value;
//!
//! plus [`Historic`] (late callbacks are replayed earlier calls). What the
//! kinds share is written once, in the [`Hook`] trait (name, number of
//! registrations, removal, interceptors); each kind adds only its own ways
//! to register and to call. [`Filter`], [`Action`] and [`Bail`] also take
//! wrappers (`wrap`): registrations that run around the rest of the chain
//! and see, or replace, its result.
//!
//! Around them: a [`Registry`] holds hooks of any kind under typed
//! [`Key`]s; a [`HookMap`] makes one hook per run-time key; the
//! [`MessageBus`] is a registry of [`Action`]s under [`Topic`]s; the
//! [`Emitter`] is built from an `on` entity collection.
//!
//! Every registration has an owner (a [`PluginUrn`];
//! [`PluginUrn::application`] for the application's own) and a [`Tap`]: a
//! priority (lower first, `0` before the default `10`, ties in
//! registration order) and optional `before` / `after` constraints. There
//! is one vocabulary for removal, wherever a registration lives: it returns
//! a [`Handle`] that `unregister` removes exactly, and `remove_owner`
//! removes all of a plugin's registrations. A panicking callback becomes a
//! [`CallbackError`] naming the hook and the owner ([`PanicPolicy`]).
//! [`Interceptor`]s observe every invocation without changing results.
//!
//! ```
//! use plinth_hooks::prelude::*;
//! use plinth_hooks::{Action, Filter, Key, Registry, Tap};
//!
//! const PRICE: Key<Filter<u32>> = Key::new("cart:price");
//! const CHECKOUT: Key<Action<u32>> = Key::new("cart:checkout");
//!
//! let hooks = Registry::new();
//! let vat = PluginUrn::new("vat")?;
//! let promo = PluginUrn::new("promo")?;
//! hooks.hook(&PRICE)?.tap(&vat, |p| p * 120 / 100);
//! hooks.hook(&PRICE)?.tap(Tap::new(promo.clone()).priority(0), |p| p - 10);
//! hooks.hook(&CHECKOUT)?.tap(&promo, |total| println!("paid {total}"));
//!
//! let total = hooks.hook(&PRICE)?.call(110)?;
//! assert_eq!(total, 120);
//! hooks.hook(&CHECKOUT)?.call(&total)?;
//!
//! hooks.remove_owner(&promo); // the promo plugin is disabled
//! assert_eq!(hooks.hook(&PRICE)?.call(110)?, 132);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Concurrency
//!
//! Each hook keeps its callbacks in an immutable, already ordered snapshot.
//! Dispatch reads it without a lock: sync calls through the hook's slot for
//! the calling thread, validated by a per-snapshot stamp (one atomic load,
//! no shared write), async calls through `arc-swap`; registering or
//! removing copies the list under a writer mutex
//! and publishes the new one atomically, so a registration concurrent with
//! calls is never lost or duplicated, and a call sees the list either
//! entirely before or entirely after it. Callbacks may register or remove
//! callbacks: the change applies from the next call.
//!
//! Code that calls one hook many times can take a caller handle
//! ([`Filter::caller`], [`Action::caller`], [`Bail::caller`]): it keeps the
//! snapshot itself, so a call skips the thread-local lookup and still sees
//! every change from the next call on.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod action;
mod bail;
mod bus;
mod caller;
mod core;
mod emitter;
mod error;
mod filter;
mod grace;
mod historic;
mod hook;
mod interceptor;
mod key;
mod map;
mod ordering;
mod registry;
mod snapshot;
mod tap;
mod wrap;

/// What code that uses hooks needs in scope: the [`Hook`] trait, whose
/// methods every kind shares, and [`PluginUrn`], the owner of every
/// registration.
///
/// ```
/// use plinth_hooks::prelude::*;
/// use plinth_hooks::Filter;
///
/// let hook = Filter::<u8>::new("n");
/// hook.tap(PluginUrn::application(), |n| n + 1);
/// assert_eq!(hook.len(), 1);
/// ```
pub mod prelude {
    pub use crate::Hook;
    pub use plinth_core::PluginUrn;
}

pub use crate::core::{Config, PanicPolicy};
pub use action::Action;
pub use bail::Bail;
pub use bus::{BusError, MessageBus, Topic};
pub use caller::{ActionCaller, BailCaller, FilterCaller};
pub use emitter::{Emitter, Event, Listener, Receives};
pub use error::{
    ActionError, BoxError, CallbackError, CallbackFailure, EmitterError, Fault, FilterError,
    RegistryError,
};
pub use filter::Filter;
pub use grace::quiesce;
pub use historic::{Historic, Replay};
pub use hook::Hook;
pub use interceptor::{CallInfo, HookKind, Interceptor, Outcome};
pub use key::Key;
pub use map::HookMap;
pub use registry::Registry;
pub use tap::{DEFAULT_PRIORITY, Handle, Tap};
pub use wrap::Next;

pub use plinth_core::{GuardError, PluginUrn};
