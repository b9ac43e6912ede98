//! `user-activity`: turns `user:login` calls into `user:logged-in` bus
//! messages, so that other plugins react without knowing it.

use plinth::hooks::BoxError;

use crate::hooks::{LoggedIn, USER_LOGGED_IN, USER_LOGIN};
use plinth::runtime::{Context, Metadata, Plugin};

/// Publishes a [`LoggedIn`] message for each login (the tutorial's
/// `UserActivityPlugin`).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use plinth_example_app::{hooks as events, plugins::UserActivity};
/// use plinth_runtime::testing::TestContext;
/// use plinth::runtime::Plugin;
///
/// let mut plugin = UserActivity;
/// let kit = TestContext::for_plugin(&plugin).build()?;
/// plugin.initialize(kit.context())?;
/// let heard = Arc::new(Mutex::new(Vec::new()));
/// let h = heard.clone();
/// kit.bus().subscribe(&events::USER_LOGGED_IN, plinth::core::PluginUrn::new("test")?, move |m| {
///     h.lock().unwrap().push(m.user_id.clone());
///     Ok(())
/// })?;
/// kit.hooks().hook(&events::USER_LOGIN)?.call(&events::Login { user_id: "ada".into() })?;
/// assert_eq!(*heard.lock().unwrap(), ["ada"]);
/// # Ok::<(), plinth::hooks::BoxError>(())
/// ```
#[derive(Debug, Default, Clone, Copy)]
pub struct UserActivity;

impl Plugin for UserActivity {
    fn metadata(&self) -> Metadata {
        Metadata::new("user-activity", "1.0.0").with_description("Publishes user login events")
    }

    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        let bus = ctx.bus().clone();
        let source = ctx.name().to_string();
        ctx.hooks().on(&USER_LOGIN)?.tap(move |login| {
            let message = LoggedIn {
                user_id: login.user_id.clone(),
                source: source.clone(),
            };
            // A failing subscriber is its own plugin's fault (the bus
            // reports it against that plugin); publishing went through.
            let _ = bus.publish(&USER_LOGGED_IN, &message);
        });
        Ok(())
    }
}
