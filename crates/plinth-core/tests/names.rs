//! The one rule for plugin names, shared by manifests and in-process plugins.

use plinth_core::{PluginNameError, PluginNameReason, check_plugin_name};

#[test]
fn plain_and_scoped_names_are_accepted() {
    for name in [
        "a",
        "xedit-lang-x",
        "audit_logger",
        "v1.2",
        "A9",
        "@acme/tools",
        "@a-b/c.d",
        "-x",
        "_",
    ] {
        assert_eq!(check_plugin_name(name), Ok(()), "{name:?}");
    }
}

#[test]
fn bad_names_say_which_name_and_why() {
    for (name, reason) in [
        ("", PluginNameReason::Empty),
        (" ", PluginNameReason::Character(' ')),
        ("../../etc", PluginNameReason::LeadingDot),
        ("x\ny", PluginNameReason::Character('\n')),
        ("\0", PluginNameReason::Character('\0')),
        (".hidden", PluginNameReason::LeadingDot),
        ("a/b", PluginNameReason::Character('/')),
        ("a b", PluginNameReason::Character(' ')),
        ("é", PluginNameReason::Character('é')),
        ("@acme", PluginNameReason::ScopeWithoutName),
        ("@/x", PluginNameReason::EmptyPart),
        ("@acme/", PluginNameReason::EmptyPart),
        ("@acme/.x", PluginNameReason::LeadingDot),
        ("@acme/x/y", PluginNameReason::Character('/')),
        ("@@a/b", PluginNameReason::Character('@')),
    ] {
        let err = check_plugin_name(name).unwrap_err();
        assert_eq!(err.name(), name);
        assert_eq!(err.reason(), &reason, "{name:?}");
    }
}

#[test]
fn the_message_escapes_the_name_and_names_the_rule() {
    let err: PluginNameError = check_plugin_name("x\ny").unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin name \"x\\ny\": character '\\n' is not allowed \
         (use ASCII letters, digits, `-`, `_` and `.`, as `name` or `@scope/name`)"
    );
    let err = check_plugin_name("../../etc").unwrap_err();
    assert!(
        err.to_string()
            .starts_with(r#"plugin name "../../etc": a part starts with `.`"#),
        "{err}"
    );
}

#[test]
fn the_application_owner_is_no_plugin_name() {
    let app = plinth_core::PluginUrn::application();
    let err = check_plugin_name(app.as_str()).unwrap_err();
    assert_eq!(err.name(), "<application>");
}
