//! `#[plugin]` checks a plugin at compile time: a hook method that does not
//! fit its key's hook kind or payload type, a plugin with hook methods that
//! is not `Clone` or not `Sync`, and a misused attribute are compile errors
//! at their place.

// The expected compiler messages (`tests/ui/*.stderr`) are those of the
// toolchain this repository is developed with; other versions word them
// differently, so there the test is skipped rather than failed.
#[rustversion::attr(
    not(stable(1.95)),
    ignore = "compiler messages are recorded with Rust 1.95"
)]
#[test]
fn plugins_are_checked_at_compile_time() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass_first_plugin.rs");
    t.compile_fail("tests/ui/fail_filter_method_as_action.rs");
    t.compile_fail("tests/ui/fail_wrong_payload.rs");
    t.compile_fail("tests/ui/fail_fallible_filter_by_value.rs");
    t.compile_fail("tests/ui/fail_not_clone.rs");
    t.compile_fail("tests/ui/fail_not_sync.rs");
    t.compile_fail("tests/ui/fail_hook_arguments.rs");
    t.compile_fail("tests/ui/fail_hook_placement.rs");
    t.compile_fail("tests/ui/fail_plugin_placement.rs");
    t.compile_fail("tests/ui/fail_lifecycle.rs");
}
