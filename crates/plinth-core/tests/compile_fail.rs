//! The Rust form of the host's "primary contract: TypeScript": a plugin that
//! omits an entity type, or gives a value of the wrong type, does not compile.

// The expected compiler messages (`tests/ui/*.stderr`) are those of the
// toolchain this repository is developed with; other versions word them
// differently, so there the test is skipped rather than failed.
#[rustversion::attr(
    not(stable(1.95)),
    ignore = "compiler messages are recorded with Rust 1.95"
)]
#[test]
fn typed_schemas_reject_bad_plugins_at_compile_time() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass_complete_plugin.rs");
    t.compile_fail("tests/ui/fail_missing_entity_type.rs");
    t.compile_fail("tests/ui/fail_wrong_value_type.rs");
    t.compile_fail("tests/ui/fail_wrong_collection_type.rs");
    t.compile_fail("tests/ui/fail_field_not_entities.rs");
}
