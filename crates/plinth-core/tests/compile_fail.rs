//! The Rust form of spec 004's "primary contract: TypeScript": a plugin that
//! omits an entity type, or gives a value of the wrong type, does not compile.

#[test]
fn typed_schemas_reject_bad_plugins_at_compile_time() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass_complete_plugin.rs");
    t.compile_fail("tests/ui/fail_missing_entity_type.rs");
    t.compile_fail("tests/ui/fail_wrong_value_type.rs");
    t.compile_fail("tests/ui/fail_wrong_collection_type.rs");
    t.compile_fail("tests/ui/fail_field_not_entities.rs");
}
