//! Extension points: factories registered by point and
//! name, connected for a host with `data`, `multi`, `name` alternatives,
//! `required` and an error callback.

mod connection;
mod error;
mod factory;
mod options;
mod point;
mod registry;

pub use connection::{Connection, Extension};
pub use error::{ConnectError, ExtensionError};
pub use factory::{
    BoxError, BoxFuture, Creation, ErasedFactory, ExtensionFactory, Factory, FactoryResult,
};
pub use options::ConnectOptions;
pub use point::{ExtensionInfo, ExtensionPoint};
pub use registry::{Activation, ExtensionRegistry};
