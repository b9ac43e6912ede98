//! `welcome-email`: reacts to `user:logged-in` on the bus and welcomes
//! each user once, through the `Outbox` service.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use plinth::hooks::BoxError;

use crate::hooks::USER_LOGGED_IN;
use plinth::runtime::{Context, Metadata, Plugin};

/// One email.
///
/// ```
/// use plinth_example_app::plugins::welcome_email::Email;
/// let e = Email { to: "ada".into(), subject: "Welcome".into() };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// Recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
}

/// The mail service the application provides (here: in memory).
///
/// ```
/// use plinth_example_app::plugins::welcome_email::{Email, Outbox};
/// let outbox = Outbox::default();
/// outbox.send(Email { to: "ada".into(), subject: "Hi".into() });
/// assert_eq!(outbox.sent().len(), 1);
/// ```
#[derive(Debug, Default)]
pub struct Outbox {
    sent: Mutex<Vec<Email>>,
}

impl Outbox {
    /// Sends (records) an email.
    ///
    /// ```
    /// # use plinth_example_app::plugins::welcome_email::{Email, Outbox};
    /// Outbox::default().send(Email { to: "a".into(), subject: "s".into() });
    /// ```
    pub fn send(&self, email: Email) {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(email);
    }

    /// Everything sent so far.
    ///
    /// ```
    /// # use plinth_example_app::plugins::welcome_email::Outbox;
    /// assert!(Outbox::default().sent().is_empty());
    /// ```
    pub fn sent(&self) -> Vec<Email> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Sends a welcome email on a user's first login (the tutorial's
/// `WelcomeEmailPlugin`). Requires the [`Outbox`] service.
///
/// ```
/// use plinth_example_app::hooks::{LoggedIn, USER_LOGGED_IN};
/// use plinth_example_app::plugins::{welcome_email::Outbox, WelcomeEmail};
/// use plinth_runtime::testing::TestContext;
/// use plinth::runtime::Plugin;
///
/// let mut plugin = WelcomeEmail::default();
/// let kit = TestContext::for_plugin(&plugin).service(Outbox::default()).build()?;
/// plugin.initialize(kit.context())?;
/// let hi = LoggedIn { user_id: "ada".into(), source: "test".into() };
/// kit.bus().publish(&USER_LOGGED_IN, &hi)?;
/// kit.bus().publish(&USER_LOGGED_IN, &hi)?;
/// assert_eq!(kit.services().get::<Outbox>().unwrap().sent().len(), 1);
/// # Ok::<(), plinth::hooks::BoxError>(())
/// ```
#[derive(Debug, Default)]
pub struct WelcomeEmail {
    welcomed: Arc<Mutex<HashSet<String>>>,
}

impl Plugin for WelcomeEmail {
    fn metadata(&self) -> Metadata {
        Metadata::new("welcome-email", "1.0.0").with_description("Welcomes new users")
    }

    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        let outbox = ctx.service::<Outbox>()?;
        let welcomed = self.welcomed.clone();
        ctx.bus().subscribe(&USER_LOGGED_IN, move |message| {
            let first = welcomed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(message.user_id.clone());
            if first {
                outbox.send(Email {
                    to: message.user_id.clone(),
                    subject: "Welcome!".into(),
                });
            }
            Ok(())
        })?;
        Ok(())
    }
}
