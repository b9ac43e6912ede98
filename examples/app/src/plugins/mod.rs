//! The tutorial's example plugins, done properly: each registers through
//! its context (so disabling it removes everything), validates its
//! configuration with a schema, and is tested with the manager's test kit.
//!
//! ```
//! # futures::executor::block_on(async {
//! use plinth_example_app::hooks as events;
//! use plinth_example_app::plugins::{UserActivity, WelcomeEmail, welcome_email::Outbox};
//! use plinth::runtime::Manager;
//!
//! let mut manager = Manager::new();
//! manager.services().insert(Outbox::default());
//! manager.register(UserActivity)?;
//! manager.register(WelcomeEmail::default())?;
//! manager.initialize_all().await?;
//! let login = manager.hooks().hook(&events::USER_LOGIN)?;
//! login.call(&events::Login { user_id: "ada".into() })?;
//! assert_eq!(manager.services().get::<Outbox>().unwrap().sent()[0].to, "ada");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

pub mod audit_logger;
pub mod rate_limiter;
pub mod user_activity;
pub mod welcome_email;

pub use audit_logger::AuditLogger;
pub use rate_limiter::RateLimiter;
pub use user_activity::UserActivity;
pub use welcome_email::WelcomeEmail;
