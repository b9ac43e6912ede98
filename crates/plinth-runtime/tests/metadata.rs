//! In-process plugin names follow the same rule as manifest names.

mod common;

use common::{Probe, log};
use plinth_runtime::{Manager, ManagerError, Metadata, MetadataError};

#[test]
fn bad_plugin_names_are_refused_naming_the_name_and_why() {
    for name in [" ", "../../etc", "x\ny", "\0", "a b", "@scope", ".hidden"] {
        let why = plinth_core::check_plugin_name(name).unwrap_err();
        let err = Metadata::new(name, "1.0.0").check().unwrap_err();
        assert_eq!(
            err,
            MetadataError::InvalidName { error: why.clone() },
            "{name:?}"
        );
        assert_eq!(err.to_string(), why.to_string());
    }
    // The empty name keeps its own variant.
    assert_eq!(
        Metadata::new("", "1.0.0").check().unwrap_err(),
        MetadataError::EmptyName
    );
    for good in ["a", "audit-logger", "@acme/tools", "v1.2_x"] {
        Metadata::new(good, "1.0.0").check().unwrap();
    }
}

#[test]
fn bad_dependency_names_are_refused_too() {
    let err = Metadata::new("api", "1.0.0")
        .with_dependency("../db", "1")
        .check()
        .unwrap_err();
    assert!(
        matches!(&err, MetadataError::InvalidDependencyName { plugin, error }
            if plugin == "api" && error.name() == "../db"),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with(r#"plugin "api": dependency: plugin name "../db": "#),
        "{err}"
    );
}

#[test]
fn the_manager_refuses_to_register_a_badly_named_plugin() {
    let l = log();
    let mut manager = Manager::new();
    let err = manager.register(Probe::new("x\ny", &l)).unwrap_err();
    assert!(
        matches!(
            err,
            ManagerError::Metadata(MetadataError::InvalidName { .. })
        ),
        "{err}"
    );
    assert!(manager.list().is_empty());
}

#[test]
fn no_plugin_can_take_the_application_owner() {
    let l = log();
    let mut manager = Manager::new();
    let app = plinth_core::PluginUrn::application();
    let err = manager.register(Probe::new(app.as_str(), &l)).unwrap_err();
    assert!(
        matches!(
            err,
            ManagerError::Metadata(MetadataError::InvalidName { .. })
        ),
        "{err}"
    );
    assert!(manager.list().is_empty());
}
