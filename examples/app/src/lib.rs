//! The tutorial's application, done right: the application declares its
//! hooks ([`hooks`]) with the tutorial's kinds, four plugins ([`plugins`])
//! tap them, run by plinth's plugin manager, and [`web`] serves it all
//! over HTTP with the tutorial's routes.
//!
//! ```
//! # futures::executor::block_on(async {
//! use plinth::runtime::Manager;
//! use plinth_example_app::hooks::{RequestStart, REQUEST_START};
//! use plinth_example_app::plugins::RateLimiter;
//!
//! let mut manager = Manager::new()
//!     .with_config(serde_json::json!({ "plugins": { "rate-limiter": { "maxRequests": 1 } } }));
//! manager.register(RateLimiter::default())?;
//! manager.initialize_all().await?;
//! let start = manager.hooks().hook(&REQUEST_START)?;
//! assert!(start.call(&RequestStart::new("GET", "/").with_ip([10, 0, 0, 1]))?.is_none());
//! assert_eq!(start.call(&RequestStart::new("GET", "/").with_ip([10, 0, 0, 1]))?.unwrap().status, 429);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod hooks;
pub mod plugins;
pub mod sandbox;
pub mod web;
