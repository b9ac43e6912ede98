//! A failing filter hands the caller the last good value, so that it can
//! answer with it: through `call`, a caller handle, the per-callback path
//! (interceptors, `PanicPolicy::Propagate`) and `call_async`.

mod common;

use std::error::Error as _;
use std::sync::Arc;

use common::urn;
use futures_executor::block_on;
use plinth_hooks::Hook;
use plinth_hooks::{
    CallInfo, CallbackError, Config, Fault, Filter, FilterError, Interceptor, PanicPolicy,
};

/// A payload that cannot be cloned: the chain must keep the value without
/// copying it.
#[derive(Debug, PartialEq)]
struct User {
    name: String,
    roles: Vec<&'static str>,
}

fn user() -> User {
    User {
        name: "ada".into(),
        roles: vec![],
    }
}

/// `user:action` as an application might fill it: a role added, a failing
/// look-up, then a step that must not run.
fn user_action(config: Config) -> Filter<User> {
    let hook = Filter::with_config("user:action", config);
    hook.tap(urn("roles"), |mut u: User| {
        u.roles.push("reader");
        u
    });
    hook.try_tap(urn("directory"), |u: &mut User| {
        if u.name == "ada" {
            return Err("directory unreachable".into());
        }
        u.roles.push("admin");
        Ok(())
    });
    hook.tap(urn("never"), |mut u: User| {
        u.roles.push("never");
        u
    });
    hook
}

fn expected() -> User {
    User {
        name: "ada".into(),
        roles: vec!["reader"],
    }
}

fn check(err: FilterError<User>) {
    assert_eq!(err.owner, "directory");
    assert_eq!(&*err.hook, "user:action");
    assert!(matches!(&err.fault, Fault::Error(e) if e.to_string() == "directory unreachable"));
    assert_eq!(err.value(), Some(&expected()));
    assert_eq!(err.into_value(), Some(expected()));
}

#[test]
fn a_failing_filter_hands_back_the_last_good_value() {
    check(user_action(Config::default()).call(user()).unwrap_err());
}

#[test]
fn a_failing_filter_hands_back_the_last_good_value_through_a_caller() {
    let hook = user_action(Config::default());
    let mut caller = hook.caller();
    check(caller.call(user()).unwrap_err());
    // The handle keeps working, and a good call is untouched.
    let ok = caller
        .call(User {
            name: "bob".into(),
            roles: vec![],
        })
        .unwrap();
    assert_eq!(ok.roles, ["reader", "admin", "never"]);
}

#[test]
fn the_value_survives_on_the_per_callback_path() {
    struct Every;
    impl Interceptor for Every {
        fn on_call(&self, _: &CallInfo<'_>) {}
    }
    let watched = user_action(Config::default());
    watched.intercept(Arc::new(Every));
    check(watched.call(user()).unwrap_err());

    let propagating = user_action(Config {
        panics: PanicPolicy::Propagate,
    });
    check(propagating.call(user()).unwrap_err());
}

#[test]
fn an_async_filter_hands_back_the_last_good_value() {
    // A failing sync callback inside an async call.
    check(block_on(user_action(Config::default()).call_async(user())).unwrap_err());

    // A failing async callback.
    let hook = Filter::<User>::new("user:action");
    hook.tap(urn("roles"), |mut u: User| {
        u.roles.push("reader");
        u
    });
    hook.tap_async(urn("directory"), |u: &mut User| {
        Box::pin(async move {
            if u.name == "ada" {
                return Err("directory unreachable".into());
            }
            u.roles.push("admin");
            Ok(())
        })
    });
    check(block_on(hook.call_async(user())).unwrap_err());
    let ok = block_on(hook.call_async(User {
        name: "bob".into(),
        roles: vec![],
    }))
    .unwrap();
    assert_eq!(ok.roles, ["reader", "admin"]);
}

#[test]
fn a_panic_loses_the_value_but_names_the_owner() {
    let hook = Filter::<User>::new("user:action");
    hook.tap(urn("roles"), |mut u: User| {
        u.roles.push("reader");
        u
    });
    hook.tap(urn("bad"), |_: User| panic!("boom"));
    let err = hook.call(user()).unwrap_err();
    assert_eq!(err.owner, "bad");
    assert!(matches!(&err.fault, Fault::Panic(m) if m == "boom"));
    assert_eq!(err.value(), None);

    let in_place = Filter::<User>::new("user:action");
    in_place.try_tap(urn("half"), |u: &mut User| {
        u.roles.push("half");
        panic!("half way")
    });
    let err = in_place.call(user()).unwrap_err();
    assert_eq!(err.owner, "half");
    assert_eq!(err.into_value(), None, "a half-changed value is not good");
}

#[test]
fn a_refused_sync_call_hands_back_the_untouched_value() {
    let hook = Filter::<User>::new("user:action");
    hook.tap(urn("roles"), |mut u: User| {
        u.roles.push("reader");
        u
    });
    hook.tap_async(urn("async"), |_: &mut User| Box::pin(async { Ok(()) }));
    let err = hook.call(user()).unwrap_err();
    assert!(matches!(err.fault, Fault::AsyncInSyncCall));
    assert_eq!(err.into_value(), Some(user()));
}

#[test]
fn the_error_converts_into_a_callback_error_with_the_same_text_and_source() {
    fn through_question_mark(hook: &Filter<User>) -> Result<User, CallbackError> {
        Ok(hook.call(user())?)
    }
    let hook = user_action(Config::default());
    let err = hook.call(user()).unwrap_err();
    let text = err.to_string();
    let source = err.source().map(ToString::to_string);
    let (callback_error, value) = err.into_parts();
    assert_eq!(value, Some(expected()));
    assert_eq!(callback_error.to_string(), text);
    assert_eq!(callback_error.source().map(ToString::to_string), source);

    let err = through_question_mark(&hook).unwrap_err();
    assert_eq!(err.owner, "directory");
    assert_eq!(err.to_string(), text);
}
