//! The sandbox end to end: WebAssembly guests (component text) run by the
//! manager, under limits and capabilities.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::executor::block_on;
use plinth_extensions::{ConnectOptions, ExtensionPoint, ExtensionRegistry, Loaders, scan};
use plinth_hooks::{Filter, Hook, Key, PluginUrn, Topic};
use plinth_runtime::testing::{TestContext, TestKit};
use plinth_runtime::{Manager, PluginState};
use plinth_wasm::{CacheOutcome, Grant, HookBridge, Limits, Policy, WasmRuntime};
use serde_json::{Value, json};

use common::http::answering_ok;
use common::*;

const ECHO: Key<Filter<String>> = Key::new("test:echo");
const TAPS_ECHO: &str = "[hooks]\n\"test:echo\" = {}\n";
/// The bus and pool of a plugin that republishes on `loop`: an instance
/// for every level it could nest.
const REPUBLISHES: &str =
    "[bus]\nsubscribe = [\"loop\"]\npublish = [\"loop\"]\n[sandbox]\ninstances = 16\n";

fn runtime(root: &Path, policy: Policy, limits: Limits) -> WasmRuntime {
    WasmRuntime::builder()
        .hooks(HookBridge::new().filter(&ECHO))
        .policy(policy)
        .cache_dir(root.join("cache"))
        .limits(limits)
        .build()
        .unwrap()
}

fn limits() -> Limits {
    Limits::default()
        .with_deadline(Duration::from_millis(20))
        .with_memory(8 << 20)
        .with_max_restarts(2)
}

/// A manager with every plugin folder under `root/plugins`, started.
fn started(rt: &WasmRuntime, root: &Path) -> Manager {
    started_with(rt, root, &Arc::new(ExtensionRegistry::new()))
}

/// [`started`], registering the plugins' extensions in `registry`.
fn started_with(rt: &WasmRuntime, root: &Path, registry: &Arc<ExtensionRegistry>) -> Manager {
    start_plugins(Manager::new(), rt, root, registry)
}

fn echo_call(manager: &Manager, text: &str) -> Result<String, String> {
    let hook = manager.hooks().hook(&ECHO).unwrap();
    hook.call(text.to_owned()).map_err(|e| e.to_string())
}

fn reason(manager: &Manager, plugin: &str) -> String {
    manager
        .reason(plugin)
        .map(ToString::to_string)
        .unwrap_or_default()
}

#[test]
fn a_guest_taps_a_filter_through_the_manager() {
    let tmp = tempfile::tempdir().unwrap();
    plugin_dir(&tmp.path().join("plugins"), "echo", echo(), TAPS_ECHO);
    let rt = runtime(tmp.path(), Policy::new(tmp.path().join("data")), limits());
    let manager = started(&rt, tmp.path());
    assert_eq!(manager.state("echo"), Some(PluginState::Active));
    assert_eq!(
        echo_call(&manager, "héllo \"world\"").unwrap(),
        "héllo \"world\""
    );
    let stats = rt.stats("echo").unwrap();
    assert!(stats.calls >= 1);
    assert_eq!(stats.instances, 1);
}

/// A guest that traps in every call: each trap loses the instance and the
/// call is skipped; past the restart bound the plugin fails with the
/// reason; an in-process plugin on the same hook keeps being served.
fn keeps_trapping(component: String, expected: &str) {
    let tmp = tempfile::tempdir().unwrap();
    plugin_dir(&tmp.path().join("plugins"), "bad", component, TAPS_ECHO);
    let rt = runtime(tmp.path(), Policy::new(tmp.path().join("data")), limits());
    let mut manager = started(&rt, tmp.path());
    assert_eq!(manager.state("bad"), Some(PluginState::Active));
    let app = plinth_hooks::PluginUrn::application();
    manager.hooks().hook(&ECHO).unwrap().tap(app, |s| s + "!");
    // Within the bound (2): skipped, the value passes on untouched.
    for _ in 0..2 {
        assert_eq!(echo_call(&manager, "a").unwrap(), "a!");
    }
    // The third trap in a row is beyond it.
    let err = echo_call(&manager, "a").unwrap_err();
    assert!(err.contains(expected), "{err}");
    block_on(manager.apply_faults());
    assert_eq!(manager.state("bad"), Some(PluginState::Failed));
    let why = reason(&manager, "bad");
    assert!(
        why.contains("trapped 3 times in a row") && why.contains(expected),
        "{why}"
    );
    // The host goes on serving.
    assert_eq!(echo_call(&manager, "b").unwrap(), "b!");
    let stats = rt.stats("bad").unwrap();
    assert_eq!(stats.traps, 3);
    assert_eq!(
        stats.instances, 0,
        "every trapped or stopped instance is dropped"
    );
    assert_eq!(stats.memory, 0);
}

#[test]
fn an_infinite_loop_is_interrupted_at_its_deadline() {
    keeps_trapping(infinite_loop(), "deadline of 20 ms exceeded");
}

#[test]
fn a_memory_bomb_traps_at_the_cap() {
    keeps_trapping(memory_bomb(), "memory cap of 8 MiB reached");
}

#[test]
fn a_memory_growing_past_the_address_space_traps_at_the_cap() {
    keeps_trapping(memory_wrap(), "memory cap of 8 MiB reached");
}

#[test]
fn runaway_recursion_traps() {
    keeps_trapping(runaway_recursion(), "trapped");
}

#[test]
fn a_string_that_is_not_utf8_traps() {
    keeps_trapping(invalid_utf8(), "utf-8");
}

#[test]
fn a_pointer_out_of_bounds_traps() {
    keeps_trapping(out_of_bounds(), "out of bounds");
}

fn fails_to_start(component: String, expected: &str) {
    let tmp = tempfile::tempdir().unwrap();
    plugin_dir(&tmp.path().join("plugins"), "bad", component, TAPS_ECHO);
    plugin_dir(&tmp.path().join("plugins"), "good", echo(), TAPS_ECHO);
    let rt = runtime(tmp.path(), Policy::new(tmp.path().join("data")), limits());
    let manager = started(&rt, tmp.path());
    assert_eq!(manager.state("bad"), Some(PluginState::Failed));
    let why = reason(&manager, "bad");
    assert!(why.contains(expected), "{why}");
    assert_eq!(manager.state("good"), Some(PluginState::Active));
    assert_eq!(echo_call(&manager, "x").unwrap(), "x");
    assert_eq!(rt.stats("bad").map_or(0, |s| s.instances), 0);
}

#[test]
fn a_trap_in_initialize_fails_the_start() {
    fails_to_start(trap_in_initialize(), "initialize: trapped");
}

#[test]
fn a_guest_with_more_memories_than_a_store_holds_fails_the_start() {
    fails_to_start(many_memories(), "memory count too high");
}

#[test]
fn a_guest_of_another_major_version_is_refused_naming_both() {
    fails_to_start(
        other_major(),
        "built against plugin world plinth:plugin@1.0.0, which this host does not run; the host implements plinth:plugin@0.1.3",
    );
}

#[test]
fn a_guest_of_a_newer_patch_version_is_refused_naming_both() {
    fails_to_start(
        common::guest("", "", "", "0.1.9"),
        "built against plugin world plinth:plugin@0.1.9, newer than this host's plinth:plugin@0.1.3",
    );
}

#[test]
fn a_guest_importing_what_the_host_does_not_offer_is_refused() {
    fails_to_start(
        foreign_import(),
        "imports `wasi:filesystem/types@0.2.0`, which the host does not offer",
    );
}

#[test]
fn a_file_that_is_not_a_component_is_refused() {
    fails_to_start("not wasm at all".into(), "invalid component");
}

/// A FIFO has no writer: a plain read of it would hold the manager (and
/// every admin operation waiting for it) forever.
#[cfg(unix)]
#[test]
fn a_fifo_named_like_the_component_is_refused_without_waiting() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = plugin_dir(&tmp.path().join("plugins"), "bad", echo(), TAPS_ECHO);
    plugin_dir(&tmp.path().join("plugins"), "good", echo(), TAPS_ECHO);
    std::fs::remove_file(bad.join("plugin.wasm")).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(bad.join("plugin.wasm"))
        .status()
        .unwrap();
    assert!(made.success());
    let rt = runtime(tmp.path(), Policy::new(tmp.path().join("data")), limits());
    let manager = started(&rt, tmp.path());
    assert_eq!(manager.state("bad"), Some(PluginState::Failed));
    let why = reason(&manager, "bad");
    assert!(why.contains("plugin.wasm: not a regular file"), "{why}");
    assert_eq!(echo_call(&manager, "x").unwrap(), "x");
}

#[test]
fn a_hook_the_application_does_not_offer_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    plugin_dir(
        &tmp.path().join("plugins"),
        "bad",
        echo(),
        "[hooks]\n\"secret:hook\" = {}\n",
    );
    let rt = runtime(tmp.path(), Policy::new(tmp.path().join("data")), limits());
    let manager = started(&rt, tmp.path());
    let why = reason(&manager, "bad");
    assert!(
        why.contains("taps hook \"secret:hook\", which the application does not offer to sandboxed plugins (offered: test:echo)"),
        "{why}"
    );
}

#[test]
fn a_thousand_traps_leak_no_instance_and_no_memory() {
    let tmp = tempfile::tempdir().unwrap();
    plugin_dir(
        &tmp.path().join("plugins"),
        "bomb",
        memory_bomb(),
        TAPS_ECHO,
    );
    let limits = limits().with_max_restarts(10_000);
    let rt = runtime(tmp.path(), Policy::new(tmp.path().join("data")), limits);
    let manager = started(&rt, tmp.path());
    let before = rt.stats("bomb").unwrap();
    assert_eq!(before.instances, 1);
    for _ in 0..1_000 {
        echo_call(&manager, "x").unwrap();
    }
    let after = rt.stats("bomb").unwrap();
    assert_eq!(after.traps, 1_000);
    assert_eq!(after.instances, 0, "each trapped instance is dropped");
    assert_eq!(after.memory, 0, "with its memory");
    assert_eq!(manager.state("bomb"), Some(PluginState::Active));
}

#[test]
fn the_compile_cache_is_cold_then_warm_and_a_corrupt_entry_is_recompiled() {
    let tmp = tempfile::tempdir().unwrap();
    plugin_dir(&tmp.path().join("plugins"), "echo", echo(), TAPS_ECHO);
    let start = || {
        let rt = runtime(tmp.path(), Policy::new(tmp.path().join("data")), limits());
        let manager = started(&rt, tmp.path());
        assert_eq!(echo_call(&manager, "x").unwrap(), "x");
        rt.stats("echo").unwrap().cache
    };
    assert_eq!(start(), Some(CacheOutcome::Miss));
    assert_eq!(start(), Some(CacheOutcome::Hit));
    let entries: Vec<_> = std::fs::read_dir(tmp.path().join("cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    let artifact = entries
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .unwrap();
    let check = artifact.with_extension("check");
    // Flip one byte of the compiled code.
    let mut bytes = std::fs::read(artifact).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    std::fs::write(artifact, &bytes).unwrap();
    assert_eq!(start(), Some(CacheOutcome::Replaced));
    assert_eq!(start(), Some(CacheOutcome::Hit));
    // A truncated entry, a missing check, and a foreign entry (not an
    // artifact of this engine, with a matching check) are recompiled too.
    std::fs::write(artifact, &bytes[..10]).unwrap();
    assert_eq!(start(), Some(CacheOutcome::Replaced));
    std::fs::remove_file(&check).unwrap();
    assert_eq!(start(), Some(CacheOutcome::Replaced));
    let foreign = b"\0asm\x01\0\0\0".to_vec();
    std::fs::write(artifact, &foreign).unwrap();
    std::fs::write(&check, xxhash_rust::xxh3::xxh3_128(&foreign).to_le_bytes()).unwrap();
    assert_eq!(start(), Some(CacheOutcome::Replaced));
    assert_eq!(start(), Some(CacheOutcome::Hit));
}

#[test]
fn an_entry_changed_after_this_process_checked_it_is_checked_again() {
    let tmp = tempfile::tempdir().unwrap();
    plugin_dir(&tmp.path().join("plugins"), "echo", echo(), TAPS_ECHO);
    let rt = runtime(tmp.path(), Policy::new(tmp.path().join("data")), limits());
    let start = || {
        let manager = started(&rt, tmp.path());
        assert_eq!(echo_call(&manager, "x").unwrap(), "x");
        rt.stats("echo").unwrap().cache
    };
    assert_eq!(start(), Some(CacheOutcome::Miss));
    assert_eq!(start(), Some(CacheOutcome::Hit));
    let artifact = std::fs::read_dir(tmp.path().join("cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .unwrap();
    // Same length, same file, new contents.
    std::thread::sleep(Duration::from_millis(20));
    let mut bytes = std::fs::read(&artifact).unwrap();
    let at = bytes.len() / 3;
    bytes[at] ^= 0x55;
    std::fs::write(&artifact, &bytes).unwrap();
    assert_eq!(start(), Some(CacheOutcome::Replaced));
    assert_eq!(start(), Some(CacheOutcome::Hit));
}

#[test]
fn a_component_rewritten_in_place_is_read_again() {
    let tmp = tempfile::tempdir().unwrap();
    // Two guests of the same length: one echoes, one traps.
    let echoing = guest("", "(nop)        ", "", "0.1.0");
    let trapping = guest("", "(unreachable)", "", "0.1.0");
    assert_eq!(echoing.len(), trapping.len());
    let dir = plugin_dir(&tmp.path().join("plugins"), "echo", &echoing, TAPS_ECHO);
    // Only a file that last changed over two seconds ago is remembered by
    // its stamp (a change within one timestamp tick could keep it).
    std::thread::sleep(Duration::from_millis(2100));
    let rt = runtime(tmp.path(), Policy::new(tmp.path().join("data")), limits());
    // What the start found, and how many calls trapped so far.
    let start = || {
        let manager = started(&rt, tmp.path());
        let _ = echo_call(&manager, "x");
        let stats = rt.stats("echo").unwrap();
        (stats.cache, stats.traps)
    };
    assert_eq!(start(), (Some(CacheOutcome::Miss), 0));
    // The second start finds the entry without reading the component.
    assert_eq!(start(), (Some(CacheOutcome::Hit), 0));
    // Same file, same length, the modification time put back: only the
    // status-change time tells.
    let file = dir.join("plugin.wasm");
    let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&file, &trapping).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    assert_eq!(
        std::fs::metadata(&file).unwrap().modified().unwrap(),
        modified
    );
    assert_eq!(start(), (Some(CacheOutcome::Miss), 1), "the new guest ran");
}

#[test]
fn a_sandboxed_plugin_answers_the_extension_points_it_declares() {
    let tmp = tempfile::tempdir().unwrap();
    let extensions = r#"
[extensions."app:greeting"]
echoed = "wasm:plugin.wasm"
declined = { module = "wasm:plugin.wasm", object = "decline" }
"#;
    plugin_dir(
        &tmp.path().join("plugins"),
        "greeter",
        answering(),
        &format!("{TAPS_ECHO}{extensions}"),
    );
    // The same declaration in a plugin whose component has no `answer`.
    plugin_dir(
        &tmp.path().join("plugins"),
        "mute",
        echo(),
        "[extensions.\"app:quiet\"]\nsilent = \"wasm:plugin.wasm\"\n",
    );
    // And one naming another module than its own component.
    plugin_dir(
        &tmp.path().join("plugins"),
        "stray",
        echo(),
        "[extensions.\"app:quiet\"]\nelsewhere = \"wasm:other.wasm\"\n",
    );
    let rt = runtime(tmp.path(), Policy::new(tmp.path().join("data")), limits());
    let registry = Arc::new(ExtensionRegistry::new());
    let mut manager = started_with(&rt, tmp.path(), &registry);

    const GREETING: ExtensionPoint<(), Value, Value> = ExtensionPoint::new("app:greeting");
    let data = json!({ "to": "ada", "n": 7 });
    let all = registry
        .connect_blocking(
            &(),
            &GREETING,
            ConnectOptions::new().data(&data).multi(true),
        )
        .unwrap();
    // The declining extension is skipped, without an error.
    assert_eq!(all.instances(), std::slice::from_ref(&data));
    let named = registry
        .connect_blocking(
            &(),
            &GREETING,
            ConnectOptions::new().data(&data).name("declined"),
        )
        .unwrap();
    assert_eq!(named.single(), None);

    // A component without `answer`: the connect fails naming the plugin.
    const QUIET: ExtensionPoint<(), Value, Value> = ExtensionPoint::new("app:quiet");
    let mut errors = Vec::new();
    let options = ConnectOptions::new()
        .data(&data)
        .name("silent")
        .on_error(|e| errors.push(e.to_string()));
    let quiet = registry.connect_blocking(&(), &QUIET, options).unwrap();
    assert_eq!(quiet.single(), None);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].contains("mute") && errors[0].contains("exports no `answer`"),
        "{}",
        errors[0]
    );
    // Another module than the plugin's own component fails its start.
    assert_eq!(manager.state("stray"), Some(PluginState::Failed));
    assert!(reason(&manager, "stray").contains("answers extension points from its own component"));

    // Disabled, the plugin answers nothing: its extensions are gone.
    block_on(manager.disable("greeter")).unwrap();
    assert!(registry.extension_names("app:greeting").is_empty());
    block_on(manager.enable("greeter")).unwrap();
    let again = registry
        .connect_blocking(
            &(),
            &GREETING,
            ConnectOptions::new().data(&data).multi(true),
        )
        .unwrap();
    assert_eq!(again.instances(), [data]);
}

#[test]
fn capabilities_are_what_was_asked_for_and_granted() {
    let tmp = tempfile::tempdir().unwrap();
    let addr = answering_ok();
    let asks = format!(
        "{TAPS_ECHO}[permissions]\nread = [\"data\"]\nwrite = [\"data\"]\nenv = [\"PLINTH_TEST_SECRET\"]\nnet = [\"{addr}\"]\nclocks = true\n"
    );
    plugin_dir(&tmp.path().join("plugins"), "granted", prober(), &asks);
    plugin_dir(&tmp.path().join("plugins"), "ungranted", prober(), &asks);
    plugin_dir(&tmp.path().join("plugins"), "modest", prober(), TAPS_ECHO);
    let data = tmp.path().join("data");
    std::fs::create_dir_all(data.join("granted/data")).unwrap();
    std::fs::write(data.join("granted/data/secret.txt"), "s").unwrap();
    let policy = Policy::new(&data)
        .grant(
            "granted",
            Grant::new()
                .write("data")
                .env("PLINTH_TEST_SECRET")
                .net(addr.to_string())
                .clocks(),
        )
        // Granted to all, but `modest` did not ask for it.
        .grant_all(Grant::new().clocks());
    let rt = WasmRuntime::builder()
        .hooks(HookBridge::new().filter(&ECHO))
        .policy(policy)
        .limits(
            limits()
                .with_deadline(Duration::from_secs(2))
                .with_max_restarts(0),
        )
        .build()
        .unwrap();
    let kit = TestContext::new("observer").build().unwrap();
    let mut manager = started(&rt, tmp.path());
    for p in manager.list() {
        assert_eq!(p.state, PluginState::Active, "{}: {:?}", p.name, p.reason);
    }
    // Starting without what it asked for is said in the log, once.
    let warned: Vec<String> = kit
        .logs()
        .iter()
        .filter(|l| l.message.contains("starts without capabilities"))
        .map(|l| format!("{:?}: {}", l.plugin, l.message))
        .collect();
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].starts_with("Some(\"ungranted\")"), "{warned:?}");
    assert!(warned[0].contains("write \"data\""), "{warned:?}");
    let url = format!("http://{addr}/");
    // The filter chains the probers: each answers alone, the others
    // disabled around it.
    let mut answers = std::collections::BTreeMap::new();
    for plugin in ["granted", "ungranted", "modest"] {
        for other in ["granted", "ungranted", "modest"] {
            if other == plugin {
                block_on(manager.enable(other)).unwrap();
            } else {
                block_on(manager.disable(other)).unwrap();
            }
        }
        answers.insert(plugin, echo_call(&manager, &url).unwrap());
    }
    // read, env, write, clocks, http: 0 allowed, 1 denied.
    assert_eq!(answers["granted"], "00000");
    // Clocks are granted to all, and `ungranted` asked for them.
    assert_eq!(answers["ungranted"], "11101");
    assert_eq!(answers["modest"], "11111");
    assert_eq!(
        std::fs::read_to_string(data.join("granted/data/out.txt")).unwrap(),
        "written"
    );
    assert!(!data.join("ungranted/data/out.txt").exists());
    assert_eq!(rt.stats("granted").unwrap().denied, 0);
    assert_eq!(rt.stats("ungranted").unwrap().denied, 4);
    assert_eq!(rt.stats("modest").unwrap().denied, 5);
    // Asking for more than granted shows in `list()`.
    let list = manager.list();
    let ungranted = list.iter().find(|p| p.name == "ungranted").unwrap();
    assert!(
        ungranted
            .notices
            .iter()
            .any(|n| n.contains("write \"data\", not granted")),
        "{:?}",
        ungranted.notices
    );
    assert!(
        list.iter()
            .find(|p| p.name == "granted")
            .unwrap()
            .notices
            .is_empty()
    );
}

/// A host granted by name leads to public addresses only: `localhost`
/// resolves to loopback, so the request is refused as a denied attempt,
/// unless the policy allows private networks. (An address granted as
/// itself, as in the tests above, is always allowed.)
#[test]
fn a_host_granted_by_name_reaches_no_private_address_unless_the_policy_allows_it() {
    let port = answering_ok().port();
    let host = format!("localhost:{port}");
    let url = format!("http://{host}/");
    let mut denied = Vec::new();
    for allow in [false, true] {
        let tmp = tempfile::tempdir().unwrap();
        let asks = format!("{TAPS_ECHO}[permissions]\nnet = [\"{host}\"]\n");
        plugin_dir(&tmp.path().join("plugins"), "by-name", prober(), &asks);
        let policy = Policy::new(tmp.path().join("data"))
            .grant("by-name", Grant::new().net(&host))
            .private_networks(allow);
        let rt = runtime(
            tmp.path(),
            policy,
            limits().with_deadline(Duration::from_secs(5)),
        );
        let manager = started(&rt, tmp.path());
        // read, env, write, clocks (none granted), then HTTP.
        let answer = echo_call(&manager, &url).unwrap();
        let expected = if allow { "11110" } else { "11111" };
        assert_eq!(answer, expected, "private networks allowed: {allow}");
        denied.push(rt.stats("by-name").unwrap().denied);
    }
    // The refused request counts as denied.
    assert_eq!(denied, [5, 4]);
}

/// A granted host cannot lead a plugin to one that is not: a redirect is
/// the guest's answer, not followed by the host. The host it points to
/// sees no connection.
#[test]
fn a_redirect_from_a_granted_host_is_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let elsewhere = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let elsewhere_addr = elsewhere.local_addr().unwrap();
    let granted = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = granted.local_addr().unwrap();
    let answered = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut s, _) = granted.accept().unwrap();
        let mut buf = [0; 1024];
        let _ = s.read(&mut buf);
        let reply = format!(
            "HTTP/1.1 302 Found\r\nlocation: http://{elsewhere_addr}/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        );
        s.write_all(reply.as_bytes()).unwrap();
    });
    let asks = format!("{TAPS_ECHO}[permissions]\nnet = [\"{addr}\"]\n");
    plugin_dir(&tmp.path().join("plugins"), "redirected", prober(), &asks);
    let policy = Policy::new(tmp.path().join("data"))
        .grant("redirected", Grant::new().net(addr.to_string()));
    let rt = runtime(
        tmp.path(),
        policy,
        limits().with_deadline(Duration::from_secs(2)),
    );
    let manager = started(&rt, tmp.path());
    // read, env, write, clocks denied; the request answered (with the 302).
    assert_eq!(
        echo_call(&manager, &format!("http://{addr}/")).unwrap(),
        "11110"
    );
    answered.join().unwrap();
    elsewhere.set_nonblocking(true).unwrap();
    // A connection made by a followed redirect would wait in the backlog.
    let err = elsewhere.accept().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
}

/// A plugin republishing what it receives calls itself back through the
/// bus, one level deeper on the same thread each time. Every level may use
/// a whole wasm stack of the thread's native one, so the nesting stops at
/// two sandboxed calls, long before the stack would overflow and abort the
/// process; the call that started it is answered. The publish that would
/// nest deeper is refused to the guest making it, so no subscriber fails
/// for it.
#[test]
fn sandboxed_calls_nest_at_most_two_deep_on_a_thread() {
    let tmp = tempfile::tempdir().unwrap();
    plugin_dir(
        &tmp.path().join("plugins"),
        "echoing",
        republisher(),
        &format!("{TAPS_ECHO}{REPUBLISHES}"),
    );
    let rt = runtime(tmp.path(), Policy::new(tmp.path().join("data")), limits());
    let mut manager = started(&rt, tmp.path());
    let before = rt.stats("echoing").unwrap().calls;
    assert_eq!(echo_call(&manager, "x").unwrap(), "x");
    // The hook call and the message inside it; that message's own publish
    // was refused.
    assert_eq!(rt.stats("echoing").unwrap().calls - before, 2);
    assert_eq!(rt.stats("echoing").unwrap().traps, 0);
    block_on(manager.apply_faults());
    assert_eq!(manager.state("echoing"), Some(PluginState::Active));
}

/// A subscriber that traps within its restart bound is skipped, as a hook
/// is: the message counts as not delivered, and the plugin stays active and
/// subscribed.
#[test]
fn a_subscriber_that_traps_within_its_bound_stays_active() {
    let tmp = tempfile::tempdir().unwrap();
    let plugins = tmp.path().join("plugins");
    let speaks = format!("{TAPS_ECHO}[bus]\npublish = [\"loop\"]\n");
    plugin_dir(&plugins, "speaker", republisher(), &speaks);
    plugin_dir(
        &plugins,
        "fragile",
        common::trapping_subscriber(),
        "[bus]\nsubscribe = [\"loop\"]\n[sandbox]\nmax-restarts = 3\n",
    );
    let rt = runtime(tmp.path(), Policy::new(tmp.path().join("data")), limits());
    let mut manager = started(&rt, tmp.path());
    for _ in 0..2 {
        assert_eq!(echo_call(&manager, "x").unwrap(), "x");
    }
    block_on(manager.apply_faults());
    assert_eq!(manager.state("fragile"), Some(PluginState::Active));
    assert_eq!(rt.stats("fragile").unwrap().traps, 2);
}

/// An instance made for a nested call is made inside it: its `initialize`,
/// which may publish too, counts as a level, so instances that publish as
/// they start cannot chain past the bound either.
#[test]
fn an_initialize_that_publishes_is_a_nested_call_too() {
    let tmp = tempfile::tempdir().unwrap();
    plugin_dir(
        &tmp.path().join("plugins"),
        "chain",
        republisher_from_initialize(),
        &format!("{TAPS_ECHO}{REPUBLISHES}"),
    );
    let rt = runtime(tmp.path(), Policy::new(tmp.path().join("data")), limits());
    let manager = started(&rt, tmp.path());
    assert_eq!(echo_call(&manager, "x").unwrap(), "x");
    // The instance made at start, and the one made for the first message.
    assert_eq!(rt.stats("chain").unwrap().instances, 2);
}

/// A sandboxed plugin publishes only on the topics its manifest declares:
/// any other is refused, warned about and counted like a capability.
#[test]
fn a_plugin_publishes_only_on_the_topics_its_manifest_declares() {
    let tmp = tempfile::tempdir().unwrap();
    plugin_dir(
        &tmp.path().join("plugins"),
        "undeclared",
        republisher(),
        &format!("{TAPS_ECHO}[bus]\nsubscribe = [\"loop\"]\n"),
    );
    let rt = runtime(tmp.path(), Policy::new(tmp.path().join("data")), limits());
    let manager = started(&rt, tmp.path());
    let before = rt.stats("undeclared").unwrap().calls;
    assert_eq!(echo_call(&manager, "x").unwrap(), "x");
    // The hook call only: its message was refused, so it never came back.
    assert_eq!(rt.stats("undeclared").unwrap().calls - before, 1);
    assert_eq!(rt.stats("undeclared").unwrap().denied, 1);
}

/// A topic the application declares with a payload type of its own, and
/// offers to the sandbox with it: a guest's message reaches the topic's
/// typed subscribers, sandboxed or not, and a typed message reaches a
/// sandboxed subscriber as JSON. A guest's message that does not fit the
/// type is refused to it, and reaches no one.
#[test]
fn a_typed_topic_offered_carries_messages_between_guests_and_the_application() {
    fn heard_on<T: Clone + Send + Sync + 'static>(
        topic: &Topic<T>,
        manager: &Manager,
    ) -> Arc<std::sync::Mutex<Vec<T>>> {
        let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
        let into = heard.clone();
        manager
            .bus()
            .subscribe(topic, PluginUrn::new("listener").unwrap(), move |m: &T| {
                into.lock().unwrap().push(m.clone());
                Ok(())
            })
            .unwrap();
        heard
    }
    const WORDS: Topic<String> = Topic::new("loop");
    const NUMBERS: Topic<u32> = Topic::new("loop");
    let tmp = tempfile::tempdir().unwrap();
    let plugins = tmp.path().join("plugins");
    let speaks = format!("{TAPS_ECHO}[bus]\npublish = [\"loop\"]\n");
    plugin_dir(&plugins, "speaker", republisher(), &speaks);
    // It republishes what it hears, on a topic it may not publish on.
    plugin_dir(
        &plugins,
        "hearer",
        republisher(),
        "[bus]\nsubscribe = [\"loop\"]\n",
    );
    let offering = |bridge: HookBridge| {
        WasmRuntime::builder()
            .hooks(bridge.filter(&ECHO))
            .policy(Policy::new(tmp.path().join("data")))
            .cache_dir(tmp.path().join("cache"))
            .limits(limits())
            .build()
            .unwrap()
    };

    let rt = offering(HookBridge::new().topic(&WORDS));
    let manager = Manager::new();
    let heard = heard_on(&WORDS, &manager);
    let manager = start_plugins(
        manager,
        &rt,
        tmp.path(),
        &Arc::new(ExtensionRegistry::new()),
    );
    assert_eq!(manager.state("hearer"), Some(PluginState::Active));
    let before = rt.stats("hearer").unwrap().calls;
    assert_eq!(echo_call(&manager, "hello").unwrap(), "hello");
    assert_eq!(*heard.lock().unwrap(), ["hello"]);
    assert_eq!(rt.stats("hearer").unwrap().calls - before, 1);
    // Its own publish of what it heard: refused, and counted.
    assert_eq!(rt.stats("hearer").unwrap().denied, 1);
    manager.bus().publish(&WORDS, &"hi".to_owned()).unwrap();
    assert_eq!(rt.stats("hearer").unwrap().calls - before, 2);
    assert_eq!(rt.stats("speaker").unwrap().denied, 0);
    drop(manager);

    // The same topic of numbers: the speaker's `"hello"` does not fit.
    let rt = offering(HookBridge::new().topic(&NUMBERS));
    let manager = Manager::new();
    let heard = heard_on(&NUMBERS, &manager);
    let manager = start_plugins(
        manager,
        &rt,
        tmp.path(),
        &Arc::new(ExtensionRegistry::new()),
    );
    let before = rt.stats("hearer").unwrap().calls;
    assert_eq!(echo_call(&manager, "hello").unwrap(), "hello");
    assert!(heard.lock().unwrap().is_empty());
    assert_eq!(rt.stats("hearer").unwrap().calls, before);
    assert_eq!(manager.state("speaker"), Some(PluginState::Active));
}

/// A guest granted a directory cannot fill the disk through it: its files
/// and folders are counted against a quota, and a write past it fails,
/// writing nothing, while the plugin keeps serving. The count starts from
/// what the directory holds, and starts again at the plugin's next start.
#[test]
fn a_write_past_the_disk_quota_fails_and_writes_nothing() {
    const BLOCK: u64 = 4096;
    let tmp = tempfile::tempdir().unwrap();
    let asks = format!("{TAPS_ECHO}[permissions]\nwrite = [\"data\"]\n");
    plugin_dir(&tmp.path().join("plugins"), "filler", filler(), &asks);
    let data = tmp.path().join("data");
    let granted = data.join("filler/data");
    std::fs::create_dir_all(&granted).unwrap();
    std::fs::write(granted.join("old.txt"), "o").unwrap();
    let policy = Policy::new(&data).grant("filler", Grant::new().write("data"));
    let rt = runtime(tmp.path(), policy, limits().with_disk_bytes(4 * BLOCK));
    let mut manager = started(&rt, tmp.path());
    assert_eq!(manager.state("filler"), Some(PluginState::Active));
    // `old.txt`: one block.
    assert_eq!(rt.stats("filler").unwrap().disk_bytes, BLOCK);
    // The folder `deep` and the file: a block each. The payload is
    // written as its JSON text, quotes and all.
    echo_call(&manager, "x").unwrap();
    assert_eq!(rt.stats("filler").unwrap().disk_bytes, 3 * BLOCK);
    // 3 + 4,002 bytes: still one block.
    echo_call(&manager, &"a".repeat(4000)).unwrap();
    assert_eq!(rt.stats("filler").unwrap().disk_bytes, 3 * BLOCK);
    // 4,005 + 202 bytes: two blocks, the quota exactly.
    echo_call(&manager, &"b".repeat(200)).unwrap();
    assert_eq!(rt.stats("filler").unwrap().disk_bytes, 4 * BLOCK);
    let fill = granted.join("deep/fill.txt");
    assert_eq!(std::fs::metadata(&fill).unwrap().len(), 4207);
    let err = echo_call(&manager, &"c".repeat(5000)).unwrap_err();
    assert!(
        err.contains(
            "data/deep/fill.txt: disk quota of 16384 bytes reached (16384 used, 4096 more needed)"
        ),
        "{err}"
    );
    assert_eq!(std::fs::metadata(&fill).unwrap().len(), 4207);
    assert_eq!(rt.stats("filler").unwrap().disk_bytes, 4 * BLOCK);
    // An error for the guest to handle, not a trap: the plugin serves on.
    assert_eq!(rt.stats("filler").unwrap().traps, 0);
    assert_eq!(manager.state("filler"), Some(PluginState::Active));
    echo_call(&manager, "").unwrap();

    // Files removed while it runs are seen when it starts again.
    std::fs::remove_file(&fill).unwrap();
    block_on(manager.disable("filler")).unwrap();
    block_on(manager.enable("filler")).unwrap();
    assert_eq!(rt.stats("filler").unwrap().disk_bytes, 2 * BLOCK);
}

/// The plugin `name` (its guest `component`, tapping the echo) started
/// under a log rate of `lines` a second, with this thread's logs captured:
/// the guest is called on it.
fn logging_at_rate(
    root: &Path,
    name: &str,
    component: String,
    lines: u32,
) -> (WasmRuntime, TestKit, Manager) {
    plugin_dir(&root.join("plugins"), name, component, TAPS_ECHO);
    let rt = runtime(
        root,
        Policy::new(root.join("data")),
        limits().with_log_lines(lines),
    );
    let kit = TestContext::new("observer").build().unwrap();
    let manager = started(&rt, root);
    (rt, kit, manager)
}

/// A guest cannot flood the host's log: past its rate of lines a second,
/// its lines are dropped and counted, and the next line logged says how
/// many were.
#[test]
fn log_lines_past_the_rate_are_dropped_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    // Two lines a second: a token comes back every half second, far
    // longer than a call's 50 lines take.
    let (rt, kit, manager) = logging_at_rate(tmp.path(), "chatty", chatterbox(), 2);
    let lines = |text: &str| {
        kit.logs()
            .iter()
            .filter(|l| l.message.contains(text) && l.plugin.as_deref() == Some("chatty"))
            .count()
    };
    // 50 lines at once: the burst of 2 is logged.
    echo_call(&manager, "now").unwrap();
    assert_eq!(lines("now"), 2);
    assert_eq!(rt.stats("chatty").unwrap().logs_dropped, 48);
    assert_eq!(lines("log lines dropped"), 0);
    // After a token came back, the next call logs a line, after the
    // count of those dropped.
    std::thread::sleep(Duration::from_millis(600));
    echo_call(&manager, "then").unwrap();
    assert_eq!(lines("then"), 1);
    assert_eq!(
        lines("48 log lines dropped: over the limit of 2 a second"),
        1
    );
    assert_eq!(rt.stats("chatty").unwrap().logs_dropped, 48 + 49);
}

/// The host's warning of a denied attempt is a line of the plugin's: a
/// guest repeating attempts it was not granted cannot flood the log
/// either. Each attempt is still counted as denied.
#[test]
fn denial_warnings_count_against_the_log_rate() {
    let tmp = tempfile::tempdir().unwrap();
    let (rt, kit, manager) = logging_at_rate(tmp.path(), "prying", prober(), 2);
    // Five attempts, none granted.
    assert_eq!(echo_call(&manager, "http://127.0.0.1:9/").unwrap(), "11111");
    let stats = rt.stats("prying").unwrap();
    assert_eq!((stats.denied, stats.logs_dropped), (5, 3));
    let warnings = kit
        .logs()
        .iter()
        .filter(|l| l.message.starts_with("capability denied"))
        .count();
    assert_eq!(warnings, 2);
}

/// A FIFO where a guest writes (a guest cannot make one, but another
/// process can) fails the write at once: waiting for a reader would hold
/// the call past its deadline, and the plugin's other writes with it.
#[cfg(unix)]
#[test]
fn a_write_to_a_fifo_fails_without_waiting() {
    let tmp = tempfile::tempdir().unwrap();
    let asks = format!("{TAPS_ECHO}[permissions]\nwrite = [\"data\"]\n");
    plugin_dir(&tmp.path().join("plugins"), "filler", filler(), &asks);
    let data = tmp.path().join("data");
    let deep = data.join("filler/data/deep");
    std::fs::create_dir_all(&deep).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(deep.join("fill.txt"))
        .status()
        .unwrap();
    assert!(made.success());
    let policy = Policy::new(&data).grant("filler", Grant::new().write("data"));
    let rt = runtime(tmp.path(), policy, limits());
    let manager = started(&rt, tmp.path());
    let err = echo_call(&manager, "x").unwrap_err();
    // No reader: the non-blocking open fails (ENXIO); were there one, the
    // file type check would refuse it.
    assert!(err.contains("data/deep/fill.txt: "), "{err}");
    assert_eq!(rt.stats("filler").unwrap().traps, 0);
}

/// A plugin's key-value store holds what the host's quota allows: a
/// `kv-set` past it traps (it has no error to answer with), so a guest
/// cannot grow the store until the host runs out of memory. (That it
/// stores nothing is `Kv`'s unit test.)
#[test]
fn a_kv_set_past_the_quota_traps() {
    let tmp = tempfile::tempdir().unwrap();
    plugin_dir(&tmp.path().join("plugins"), "hoard", hoarder(), TAPS_ECHO);
    let rt = runtime(
        tmp.path(),
        Policy::new(tmp.path().join("data")),
        // An entry costs 64 bytes beside its key and value.
        limits().with_kv_bytes(64 + 8).with_max_restarts(0),
    );
    let mut manager = started(&rt, tmp.path());
    // The key and the payload's JSON text: 1 + 5 bytes.
    assert_eq!(echo_call(&manager, "abc").unwrap(), "abc");
    assert_eq!(rt.stats("hoard").unwrap().kv_bytes, 64 + 1 + 5);
    // 1 + 9 bytes: over the quota.
    let err = echo_call(&manager, "abcdefg").unwrap_err();
    assert!(
        err.contains("kv-set: key-value store quota of 72 bytes reached"),
        "{err}"
    );
    assert_eq!(rt.stats("hoard").unwrap().traps, 1);
    block_on(manager.apply_faults());
    assert_eq!(manager.state("hoard"), Some(PluginState::Failed));
    assert!(reason(&manager, "hoard").contains("quota of 72 bytes reached"));
}

#[test]
fn a_strict_policy_refuses_a_plugin_asking_for_more() {
    let tmp = tempfile::tempdir().unwrap();
    plugin_dir(
        &tmp.path().join("plugins"),
        "greedy",
        echo(),
        &format!("{TAPS_ECHO}[permissions]\nenv = [\"HOME\"]\n"),
    );
    let rt = runtime(
        tmp.path(),
        Policy::new(tmp.path().join("data")).strict(true),
        limits(),
    );
    let manager = started(&rt, tmp.path());
    assert_eq!(manager.state("greedy"), Some(PluginState::Failed));
    assert!(reason(&manager, "greedy").contains("asks for capabilities not granted: env \"HOME\""));
}

#[test]
fn two_threads_are_served_by_two_instances_and_a_single_instance_serializes() {
    let tmp = tempfile::tempdir().unwrap();
    plugin_dir(
        &tmp.path().join("plugins"),
        "pooled",
        echo(),
        &format!("{TAPS_ECHO}[sandbox]\ninstances = 2\n"),
    );
    plugin_dir(
        &tmp.path().join("plugins"),
        "single",
        echo(),
        &format!("{TAPS_ECHO}[sandbox]\ninstances = 1\n"),
    );
    let rt = runtime(
        tmp.path(),
        Policy::new(tmp.path().join("data")),
        limits().with_deadline(Duration::from_secs(5)),
    );
    let manager = started(&rt, tmp.path());
    let hook = manager.hooks().hook(&ECHO).unwrap();
    let calls_before = rt.stats("single").unwrap().calls;
    std::thread::scope(|s| {
        for t in 0..2 {
            let hook = hook.clone();
            s.spawn(move || {
                for i in 0..500 {
                    let text = format!("{t}-{i}");
                    assert_eq!(hook.call(text.clone()).unwrap(), text);
                }
            });
        }
    });
    assert!(rt.stats("pooled").unwrap().instances <= 2);
    assert_eq!(rt.stats("single").unwrap().instances, 1);
    assert_eq!(rt.stats("single").unwrap().calls - calls_before, 1_000);
    assert_eq!(rt.stats("pooled").unwrap().traps, 0);
}

#[test]
fn a_slow_plugin_holds_no_other_plugin_past_its_deadline() {
    // One instance spinning: a second caller of the same plugin waits at
    // most the deadline; a hook without the slow plugin is not held.
    const OTHER: Key<Filter<String>> = Key::new("test:other");
    let tmp = tempfile::tempdir().unwrap();
    plugin_dir(
        &tmp.path().join("plugins"),
        "slow",
        infinite_loop(),
        &format!("{TAPS_ECHO}[sandbox]\ninstances = 1\ndeadline-ms = 200\n"),
    );
    plugin_dir(
        &tmp.path().join("plugins"),
        "fast",
        echo(),
        "[hooks]\n\"test:other\" = {}\n",
    );
    let rt = WasmRuntime::builder()
        .hooks(HookBridge::new().filter(&ECHO).filter(&OTHER))
        .policy(Policy::new(tmp.path().join("data")))
        .limits(limits().with_max_restarts(100))
        .build()
        .unwrap();
    let manager = started(&rt, tmp.path());
    let slow = manager.hooks().hook(&ECHO).unwrap();
    let other = manager.hooks().hook(&OTHER).unwrap();
    std::thread::scope(|s| {
        let spinning = s.spawn(|| slow.call("a".into()).unwrap());
        // Calls of the other plugin go on while `slow` spins.
        for _ in 0..50 {
            assert_eq!(other.call("b".into()).unwrap(), "b");
        }
        assert_eq!(spinning.join().unwrap(), "a", "interrupted and skipped");
    });
    assert_eq!(rt.stats("slow").unwrap().traps, 1);
}

/// A publisher's call waits for a busy subscriber only until its own
/// deadline, not the subscriber's: past it, the publisher would be
/// interrupted, and charged with the trap, for another's slowness.
#[test]
fn a_nested_call_waits_no_longer_than_its_callers_deadline() {
    const LOOP: Topic<Value> = Topic::new("loop");
    let tmp = tempfile::tempdir().unwrap();
    let plugins = tmp.path().join("plugins");
    plugin_dir(
        &plugins,
        "speaker",
        republisher(),
        &format!("{TAPS_ECHO}[bus]\npublish = [\"loop\"]\n[sandbox]\ndeadline-ms = 300\n"),
    );
    plugin_dir(
        &plugins,
        "busy",
        common::spinning_subscriber(),
        "[bus]\nsubscribe = [\"loop\"]\n[sandbox]\ninstances = 1\ndeadline-ms = 4000\nmax-restarts = 10\n",
    );
    let rt = runtime(
        tmp.path(),
        Policy::new(tmp.path().join("data")),
        limits().with_max_restarts(10),
    );
    let manager = started(&rt, tmp.path());
    let bus = manager.bus().clone();
    // Its start's calls (`entities`) are counted already.
    let before = rt.stats("busy").unwrap().calls;
    std::thread::scope(|s| {
        // The subscriber's one instance spins for its 4 s.
        let spinning = s.spawn(move || bus.publish(&LOOP, &json!("first")));
        while rt.stats("busy").unwrap().calls == before {
            std::thread::yield_now();
        }
        let started = std::time::Instant::now();
        assert_eq!(echo_call(&manager, "x").unwrap(), "x");
        // Bounded by the speaker's 300 ms, not the subscriber's 4 s.
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        spinning.join().unwrap().unwrap();
    });
}

mod in_process {
    use plinth_runtime::{Metadata, Plugin};

    pub struct Core;
    impl Plugin for Core {
        fn metadata(&self) -> Metadata {
            Metadata::new("core", "2.1.0")
        }
    }

    pub struct Ui;
    impl Plugin for Ui {
        fn metadata(&self) -> Metadata {
            Metadata::new("ui", "1.0.0").with_dependency("sandboxed", "^1")
        }
    }
}

#[test]
fn a_sandboxed_plugin_depends_on_and_is_depended_on_by_in_process_plugins() {
    let tmp = tempfile::tempdir().unwrap();
    plugin_dir(
        &tmp.path().join("plugins"),
        "sandboxed",
        echo(),
        &format!("{TAPS_ECHO}[dependencies]\ncore = \"^2\"\n"),
    );
    let rt = runtime(tmp.path(), Policy::new(tmp.path().join("data")), limits());
    let mut manager = Manager::new();
    manager.register(in_process::Ui).unwrap();
    manager.register(in_process::Core).unwrap();
    let discovery = scan([tmp.path().join("plugins")]);
    rt.register_discovered(
        &mut manager,
        &discovery,
        &Arc::new(ExtensionRegistry::new()),
        &Arc::new(Loaders::new()),
    );
    block_on(manager.initialize_all()).unwrap();
    assert_eq!(manager.start_order(), ["core", "sandboxed", "ui"]);
    assert_eq!(echo_call(&manager, "x").unwrap(), "x");
    // Disabling the in-process dependency stops the sandboxed plugin and
    // its in-process dependent; enabling brings them back.
    let stopped = block_on(manager.disable("core")).unwrap();
    assert!(
        stopped.contains(&"sandboxed".to_owned()) && stopped.contains(&"ui".to_owned()),
        "{stopped:?}"
    );
    assert_eq!(rt.stats("sandboxed").unwrap().instances, 0);
    assert_eq!(manager.hooks().hook(&ECHO).unwrap().len(), 0);
    block_on(manager.enable("ui")).unwrap();
    assert_eq!(manager.state("sandboxed"), Some(PluginState::Active));
    assert_eq!(echo_call(&manager, "y").unwrap(), "y");
}

#[test]
fn with_fuel_metering_an_infinite_loop_runs_out_of_fuel() {
    let tmp = tempfile::tempdir().unwrap();
    // Asking for more fuel than the host gives gets the host's.
    plugin_dir(
        &tmp.path().join("plugins"),
        "spin",
        infinite_loop(),
        &format!("{TAPS_ECHO}[sandbox]\nfuel = 1000000000000000\n"),
    );
    plugin_dir(&tmp.path().join("plugins"), "echo", echo(), TAPS_ECHO);
    let rt = runtime(
        tmp.path(),
        Policy::new(tmp.path().join("data")),
        limits()
            .with_deadline(Duration::from_secs(5))
            .with_fuel(100_000)
            .with_max_restarts(0),
    );
    let mut manager = started(&rt, tmp.path());
    // The echo guest's calls fit in the fuel.
    block_on(manager.disable("spin")).unwrap();
    assert_eq!(echo_call(&manager, "x").unwrap(), "x");
    block_on(manager.enable("spin")).unwrap();
    let err = echo_call(&manager, "x").unwrap_err();
    assert!(err.contains("out of fuel"), "{err}");
}

#[test]
fn a_manifest_asking_for_a_longer_deadline_gets_the_hosts_cap() {
    let tmp = tempfile::tempdir().unwrap();
    plugin_dir(
        &tmp.path().join("plugins"),
        "greedy",
        infinite_loop(),
        &format!("{TAPS_ECHO}[sandbox]\ndeadline-ms = 3600000\nmax-restarts = 0\n"),
    );
    let mut limits = limits();
    limits.max_deadline = Duration::from_millis(30);
    let rt = runtime(tmp.path(), Policy::new(tmp.path().join("data")), limits);
    let manager = started(&rt, tmp.path());
    let err = echo_call(&manager, "x").unwrap_err();
    assert!(err.contains("deadline of 30 ms exceeded"), "{err}");
}
