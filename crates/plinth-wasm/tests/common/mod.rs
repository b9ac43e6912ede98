//! Guests written as component text, a plugin folder to put them in, the
//! built guests of `guests/`, a manager that starts them all, and
//! loopback HTTP servers (`http`).
#![allow(dead_code)]

pub mod http;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::executor::block_on;
use plinth_extensions::{ExtensionRegistry, Loaders, scan};
use plinth_runtime::Manager;
use plinth_wasm::WasmRuntime;

/// `manager` with every plugin folder under `root/plugins` registered in
/// `rt` (their extensions in `registry`), started.
pub fn start_plugins(
    mut manager: Manager,
    rt: &WasmRuntime,
    root: &Path,
    registry: &Arc<ExtensionRegistry>,
) -> Manager {
    let discovery = scan([root.join("plugins")]);
    assert!(discovery.errors.is_empty(), "{:?}", discovery.errors);
    let errors = rt.register_discovered(
        &mut manager,
        &discovery,
        registry,
        &Arc::new(Loaders::new()),
    );
    assert!(errors.is_empty(), "{errors:?}");
    block_on(manager.initialize_all()).unwrap();
    manager
}

/// The repository's guest folder `guests/<name>`.
pub fn guest_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../guests")
        .join(name)
}

/// Copies the guest folder `name` (manifest, component, schema) into
/// `root/plugins`, so that the tests never write into the repository.
pub fn install(root: &Path, name: &str) {
    let to = root.join("plugins").join(name);
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(guest_dir(name)).unwrap() {
        let path = entry.unwrap().path();
        let keep = path
            .extension()
            .is_some_and(|e| e == "wasm" || e == "toml" || e == "json");
        if keep {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// A guest in component text: `init` runs at the start of `initialize`,
/// `hook` at the start of `on-hook` (which then echoes the payload);
/// `funcs` adds core functions; `version` is the world version exported.
pub fn guest(init: &str, hook: &str, funcs: &str, version: &str) -> String {
    format!(
        r#"(component
  (core module $m
    (memory (export "mem") 1)
    (global $bump (mut i32) (i32.const 1024))
    (func $realloc (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (global.get $bump))
      (global.set $bump (i32.add (global.get $bump) (local.get 3)))
      (local.get $p))
    (func (export "initialize") (param $cp i32) (param $cl i32) (result i32)
      {init}
      (global.set $bump (i32.const 1024))
      (i32.store8 (i32.const 16) (i32.const 0))
      (i32.const 16))
    (func (export "on-hook") (param $hp i32) (param $hl i32) (param $pp i32) (param $pl i32) (result i32)
      {hook}
      (global.set $bump (i32.const 1024))
      (i32.store8 (i32.const 32) (i32.const 0))
      (i32.store (i32.const 36) (local.get $pp))
      (i32.store (i32.const 40) (local.get $pl))
      (i32.const 32))
    {funcs}
  )
  (core instance $i (instantiate $m))
  (func $init (param "config" string) (result (result (error string)))
    (canon lift (core func $i "initialize") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
  (func $hook (param "hook" string) (param "payload" string) (result (result string (error string)))
    (canon lift (core func $i "on-hook") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
  (instance $guest (export "initialize" (func $init)) (export "on-hook" (func $hook)))
  (export "plinth:plugin/guest@{version}" (instance $guest))
)"#
    )
}

/// Echoes every payload.
pub fn echo() -> String {
    guest("", "", "", "0.1.0")
}

/// Spins forever in every hook call.
pub fn infinite_loop() -> String {
    guest("", "(loop $l (br $l))", "", "0.1.0")
}

/// Grows its memory by 1 MiB at a time until refused.
pub fn memory_bomb() -> String {
    guest(
        "",
        "(loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))",
        "",
        "0.1.0",
    )
}

/// Asks a second, 64-bit memory to grow by nearly 2^64 bytes: counted
/// without checks, the size wraps around to a small number that passes the
/// cap.
pub fn memory_wrap() -> String {
    guest(
        "",
        "(drop (memory.grow $big (i64.const 0xffffffffffff)))",
        "(memory $big i64 0)",
        "0.1.0",
    )
}

/// Declares more memories than a store may hold, each reserving address
/// space however small it is.
pub fn many_memories() -> String {
    let memories = "(memory 0) ".repeat(16);
    guest("", "", &memories, "0.1.0")
}

/// Recurses without end.
pub fn runaway_recursion() -> String {
    guest("", "(call $rec)", "(func $rec (call $rec))", "0.1.0")
}

/// Traps in `initialize`.
pub fn trap_in_initialize() -> String {
    guest("unreachable", "", "", "0.1.0")
}

/// Answers a string that is not UTF-8.
pub fn invalid_utf8() -> String {
    guest(
        "",
        "(i32.store (i32.const 2048) (i32.const -1))
         (i32.store8 (i32.const 32) (i32.const 0))
         (i32.store (i32.const 36) (i32.const 2048))
         (i32.store (i32.const 40) (i32.const 4))
         (return (i32.const 32))",
        "",
        "0.1.0",
    )
}

/// Answers a string pointing outside its memory.
pub fn out_of_bounds() -> String {
    guest(
        "",
        "(i32.store8 (i32.const 32) (i32.const 0))
         (i32.store (i32.const 36) (i32.const 0x7fff0000))
         (i32.store (i32.const 40) (i32.const 128))
         (return (i32.const 32))",
        "",
        "0.1.0",
    )
}

/// Built against another major version of the world.
pub fn other_major() -> String {
    guest("", "", "", "1.0.0")
}

/// Imports an interface the host does not offer.
pub fn foreign_import() -> String {
    echo().replacen(
        "(component\n",
        "(component\n  (import \"wasi:filesystem/types@0.2.0\" (instance))\n",
        1,
    )
}

/// Tries, in each hook call, to read `data/secret.txt`, read the
/// environment variable `PLINTH_TEST_SECRET`, write `data/out.txt`, read
/// the clock, and make an HTTP request to the URL given as payload (a JSON
/// string). Answers a JSON string of five digits, `0` for each success and
/// `1` for each refusal, in that order.
pub fn prober() -> String {
    importing(
        r#"    (type $resp (record (field "status" u16) (field "body" (list u8))))
    (export "http-response" (type $r (eq $resp)))
    (export "read-file" (func (param "path" string) (result (result (list u8) (error string)))))
    (export "get-env" (func (param "name" string) (result (result (option string) (error string)))))
    (export "write-file" (func (param "path" string) (param "contents" (list u8)) (param "append" bool) (result (result (error string)))))
    (export "now-ms" (func (result (result u64 (error string)))))
    (export "http-request" (func (param "method" string) (param "url" string) (param "body" (list u8)) (result (result $r (error string)))))"#,
        &[
            ("read", "read-file", true),
            ("env", "get-env", true),
            ("write", "write-file", true),
            ("now", "now-ms", true),
            ("http", "http-request", true),
        ],
        r#"    (import "libc" "mem" (memory 1))
    (import "libc" "bump" (global $bump (mut i32)))
    (import "host" "read" (func $read (param i32 i32 i32)))
    (import "host" "env" (func $env (param i32 i32 i32)))
    (import "host" "write" (func $write (param i32 i32 i32 i32 i32 i32)))
    (import "host" "now" (func $now (param i32)))
    (import "host" "http" (func $http (param i32 i32 i32 i32 i32 i32 i32)))
    (data (i32.const 2000) "data/secret.txt")
    (data (i32.const 2100) "PLINTH_TEST_SECRET")
    (data (i32.const 2200) "data/out.txt")
    (data (i32.const 2300) "written")
    (data (i32.const 2400) "GET")
    (func (export "initialize") (param i32 i32) (result i32)
      (i32.store8 (i32.const 16) (i32.const 0))
      (i32.const 16))
    (func (export "on-hook") (param $hp i32) (param $hl i32) (param $pp i32) (param $pl i32) (result i32)
      (i32.store8 (i32.const 3000) (i32.const 34))
      (call $read (i32.const 2000) (i32.const 15) (i32.const 128))
      (i32.store8 (i32.const 3001) (i32.add (i32.const 48) (i32.load8_u (i32.const 128))))
      (call $env (i32.const 2100) (i32.const 18) (i32.const 128))
      (i32.store8 (i32.const 3002) (i32.add (i32.const 48) (i32.load8_u (i32.const 128))))
      (call $write (i32.const 2200) (i32.const 12) (i32.const 2300) (i32.const 7) (i32.const 0) (i32.const 128))
      (i32.store8 (i32.const 3003) (i32.add (i32.const 48) (i32.load8_u (i32.const 128))))
      (call $now (i32.const 128))
      (i32.store8 (i32.const 3004) (i32.add (i32.const 48) (i32.load8_u (i32.const 128))))
      (call $http (i32.const 2400) (i32.const 3)
        (i32.add (local.get $pp) (i32.const 1)) (i32.sub (local.get $pl) (i32.const 2))
        (i32.const 0) (i32.const 0) (i32.const 128))
      (i32.store8 (i32.const 3005) (i32.add (i32.const 48) (i32.load8_u (i32.const 128))))
      (i32.store8 (i32.const 3006) (i32.const 34))
      (global.set $bump (i32.const 8192))
      (i32.store8 (i32.const 32) (i32.const 0))
      (i32.store (i32.const 36) (i32.const 3000))
      (i32.store (i32.const 40) (i32.const 7))
      (i32.const 32))"#,
        false,
    )
}

/// Publishes each hook payload on topic `loop`, and publishes every
/// message it receives again on the same topic: subscribed to `loop`, each
/// delivery calls it back, nested one level deeper on the same thread.
pub fn republisher() -> String {
    republishing("")
}

/// [`republisher`], whose `initialize` also publishes `0` on `loop`: each
/// new instance made for a delivery publishes again before it answers.
pub fn republisher_from_initialize() -> String {
    republishing(
        "(call $publish (i32.const 2000) (i32.const 4) (i32.const 2004) (i32.const 1) (i32.const 128))",
    )
}

fn republishing(init: &str) -> String {
    importing(
        r#"    (export "publish" (func (param "topic" string) (param "message" string) (result (result (error string)))))"#,
        &[("publish", "publish", true)],
        &r#"    (import "libc" "mem" (memory 1))
    (import "host" "publish" (func $publish (param i32 i32 i32 i32 i32)))
    (data (i32.const 2000) "loop0")
    (func (export "initialize") (param i32 i32) (result i32)
      INIT
      (i32.store8 (i32.const 16) (i32.const 0))
      (i32.const 16))
    (func (export "on-hook") (param $hp i32) (param $hl i32) (param $pp i32) (param $pl i32) (result i32)
      (call $publish (i32.const 2000) (i32.const 4) (local.get $pp) (local.get $pl) (i32.const 128))
      (i32.store8 (i32.const 32) (i32.const 0))
      (i32.store (i32.const 36) (local.get $pp))
      (i32.store (i32.const 40) (local.get $pl))
      (i32.const 32))
    (func (export "on-message") (param $tp i32) (param $tl i32) (param $mp i32) (param $ml i32) (result i32)
      (call $publish (local.get $tp) (local.get $tl) (local.get $mp) (local.get $ml) (i32.const 128))
      (i32.store8 (i32.const 48) (i32.const 0))
      (i32.const 48))"#.replace("INIT", init),
        true,
    )
}

/// Echoes hook payloads; traps on every bus message.
pub fn trapping_subscriber() -> String {
    subscriber("unreachable")
}

/// Echoes hook payloads; spins on every bus message until interrupted.
pub fn spinning_subscriber() -> String {
    subscriber("(loop $l (br $l))\n      unreachable")
}

/// Echoes hook payloads; runs `on_message` (which must not return) on
/// every bus message.
fn subscriber(on_message: &str) -> String {
    importing(
        r#"    (export "publish" (func (param "topic" string) (param "message" string) (result (result (error string)))))"#,
        &[("publish", "publish", true)],
        &r#"    (import "libc" "mem" (memory 1))
    (import "host" "publish" (func $publish (param i32 i32 i32 i32 i32)))
    (func (export "initialize") (param i32 i32) (result i32)
      (i32.store8 (i32.const 16) (i32.const 0))
      (i32.const 16))
    (func (export "on-hook") (param $hp i32) (param $hl i32) (param $pp i32) (param $pl i32) (result i32)
      (i32.store8 (i32.const 32) (i32.const 0))
      (i32.store (i32.const 36) (local.get $pp))
      (i32.store (i32.const 40) (local.get $pl))
      (i32.const 32))
    (func (export "on-message") (param $tp i32) (param $tl i32) (param $mp i32) (param $ml i32) (result i32)
      ON_MESSAGE)"#
            .replace("ON_MESSAGE", on_message),
        true,
    )
}

/// Stores each hook payload under the key `k` with `kv-set`.
pub fn hoarder() -> String {
    importing(
        r#"    (export "kv-set" (func (param "key" string) (param "value" (list u8))))"#,
        &[("kv-set", "kv-set", false)],
        r#"    (import "libc" "mem" (memory 1))
    (import "host" "kv-set" (func $set (param i32 i32 i32 i32)))
    (data (i32.const 2000) "k")
    (func (export "initialize") (param i32 i32) (result i32)
      (i32.store8 (i32.const 16) (i32.const 0))
      (i32.const 16))
    (func (export "on-hook") (param $hp i32) (param $hl i32) (param $pp i32) (param $pl i32) (result i32)
      (call $set (i32.const 2000) (i32.const 1) (local.get $pp) (local.get $pl))
      (i32.store8 (i32.const 32) (i32.const 0))
      (i32.store (i32.const 36) (local.get $pp))
      (i32.store (i32.const 40) (local.get $pl))
      (i32.const 32))"#,
        false,
    )
}

/// Logs each hook payload 50 times at level `info`, then answers it.
pub fn chatterbox() -> String {
    importing(
        r#"    (type $level (enum "trace" "debug" "info" "warn" "error"))
    (export "level" (type $lv (eq $level)))
    (export "log" (func (param "level" $lv) (param "message" string)))"#,
        &[("log", "log", false)],
        r#"    (import "libc" "mem" (memory 1))
    (import "host" "log" (func $log (param i32 i32 i32)))
    (func (export "initialize") (param i32 i32) (result i32)
      (i32.store8 (i32.const 16) (i32.const 0))
      (i32.const 16))
    (func (export "on-hook") (param $hp i32) (param $hl i32) (param $pp i32) (param $pl i32) (result i32)
      (local $n i32)
      (loop $again
        (call $log (i32.const 2) (local.get $pp) (local.get $pl))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br_if $again (i32.lt_u (local.get $n) (i32.const 50))))
      (i32.store8 (i32.const 32) (i32.const 0))
      (i32.store (i32.const 36) (local.get $pp))
      (i32.store (i32.const 40) (local.get $pl))
      (i32.const 32))"#,
        false,
    )
}

/// Appends each hook payload to `data/deep/fill.txt` with `write-file`,
/// and answers the payload, or fails with the host's error.
pub fn filler() -> String {
    importing(
        r#"    (export "write-file" (func (param "path" string) (param "contents" (list u8)) (param "append" bool) (result (result (error string)))))"#,
        &[("write", "write-file", true)],
        r#"    (import "libc" "mem" (memory 1))
    (import "host" "write" (func $write (param i32 i32 i32 i32 i32 i32)))
    (data (i32.const 2000) "data/deep/fill.txt")
    (func (export "initialize") (param i32 i32) (result i32)
      (i32.store8 (i32.const 16) (i32.const 0))
      (i32.const 16))
    (func (export "on-hook") (param $hp i32) (param $hl i32) (param $pp i32) (param $pl i32) (result i32)
      (call $write (i32.const 2000) (i32.const 18) (local.get $pp) (local.get $pl) (i32.const 1) (i32.const 128))
      (if (i32.load8_u (i32.const 128))
        (then
          (i32.store8 (i32.const 32) (i32.const 1))
          (i32.store (i32.const 36) (i32.load (i32.const 132)))
          (i32.store (i32.const 40) (i32.load (i32.const 136)))
          (return (i32.const 32))))
      (i32.store8 (i32.const 32) (i32.const 0))
      (i32.store (i32.const 36) (local.get $pp))
      (i32.store (i32.const 40) (local.get $pl))
      (i32.const 32))"#,
        false,
    )
}

/// A guest in component text that imports host functions: `imports` is
/// the body of the host instance's type; each of `lowered` is a core
/// function lowered from one of them (its name, the host function's name,
/// and whether the host may allocate its answer in the guest); `module` is
/// the body of the core module `$m`, which imports `libc.mem` (and
/// `libc.bump`) and `host.<name>` of each lowered function, and exports
/// `initialize`, `on-hook` and, with `on_message`, `on-message`.
fn importing(
    imports: &str,
    lowered: &[(&str, &str, bool)],
    module: &str,
    on_message: bool,
) -> String {
    let libc = r#"(memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))"#;
    let mut lowers = String::new();
    let mut given = String::new();
    for (name, host, allocates) in lowered {
        let options = if *allocates {
            libc
        } else {
            r#"(memory (core memory $libc "mem"))"#
        };
        lowers.push_str(&format!(
            "  (core func ${name} (canon lower (func $host \"{host}\") {options}))\n"
        ));
        given.push_str(&format!(" (export \"{name}\" (func ${name}))"));
    }
    let (message, message_export) = if on_message {
        (
            format!(
                "  (func $message (param \"topic\" string) (param \"message\" string) (result (result (error string)))\n    (canon lift (core func $i \"on-message\") {libc}))\n"
            ),
            r#" (export "on-message" (func $message))"#,
        )
    } else {
        (String::new(), "")
    };
    format!(
        r#"(component
  (import "plinth:plugin/host@0.1.0" (instance $host
{imports}
  ))
  (core module $libc
    (memory (export "mem") 1)
    (global $bump (export "bump") (mut i32) (i32.const 8192))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $p i32)
      (local.set $p (global.get $bump))
      (global.set $bump (i32.add (global.get $bump) (local.get 3)))
      (local.get $p)))
  (core instance $libc (instantiate $libc))
{lowers}  (core module $m
{module})
  (core instance $i (instantiate $m
    (with "libc" (instance $libc))
    (with "host" (instance{given}))))
  (func $init (param "config" string) (result (result (error string)))
    (canon lift (core func $i "initialize") {libc}))
  (func $hook (param "hook" string) (param "payload" string) (result (result string (error string)))
    (canon lift (core func $i "on-hook") {libc}))
{message}  (instance $guest (export "initialize" (func $init)) (export "on-hook" (func $hook)){message_export})
  (export "plinth:plugin/guest@0.1.0" (instance $guest))
)"#
    )
}

/// Writes a plugin folder `name` under `root` with the component (text or
/// binary) and a manifest of `[plugin]` plus `extra` TOML.
pub fn plugin_dir(root: &Path, name: &str, component: impl AsRef<[u8]>, extra: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("plugin.wasm"), component).unwrap();
    std::fs::write(
        dir.join("plinth.toml"),
        format!(
            "[plugin]\nname = \"{name}\"\nversion = \"1.0.0\"\nmodule = \"plugin.wasm\"\n{extra}\n"
        ),
    )
    .unwrap();
    dir
}

/// Echoes hook payloads, and answers extension points: with no object it
/// echoes the connect's data as the instance, with an object it declines.
pub fn answering() -> String {
    let answer = r#"(func (export "answer") (param $pp i32) (param $pl i32) (param $ep i32) (param $el i32)
        (param $od i32) (param $op i32) (param $ol i32) (param $dp i32) (param $dl i32) (result i32)
      (global.set $bump (i32.const 1024))
      ;; result<option<string>, string> at 48: ok, then the option at 52.
      (i32.store8 (i32.const 48) (i32.const 0))
      (if (local.get $od)
        (then (i32.store8 (i32.const 52) (i32.const 0)))
        (else
          (i32.store8 (i32.const 52) (i32.const 1))
          (i32.store (i32.const 56) (local.get $dp))
          (i32.store (i32.const 60) (local.get $dl))))
      (i32.const 48))"#;
    guest("", "", answer, "0.1.0").replace(
        r#"(instance $guest (export "initialize" (func $init)) (export "on-hook" (func $hook)))"#,
        r#"(func $answer (param "point" string) (param "extension" string) (param "object" (option string)) (param "data" string)
    (result (result (option string) (error string)))
    (canon lift (core func $i "answer") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
  (instance $guest (export "initialize" (func $init)) (export "on-hook" (func $hook)) (export "answer" (func $answer)))"#,
    )
}
