//! What every plinth crate shares about errors: one boxed error type for
//! whatever a plugin's own code returns, and the message of a caught panic.

use std::any::Any;

/// Any error a plugin's code returns (callbacks, factories, lifecycle
/// steps): `?` converts every `std::error::Error + Send + Sync`, and `&str`
/// or `String` through `.into()`. Its `source()` chain is kept.
///
/// ```
/// use plinth_core::BoxError;
/// fn parse(s: &str) -> Result<u32, BoxError> {
///     if s.is_empty() {
///         return Err("empty".into());
///     }
///     Ok(s.parse()?)
/// }
/// assert_eq!(parse("7")?, 7);
/// assert_eq!(parse("").unwrap_err().to_string(), "empty");
/// # Ok::<(), BoxError>(())
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The message a panic carried (`panic!("...")` gives a `&str` or a
/// `String`); anything else is reported as such. Every place in plinth that
/// catches a plugin's panic renders it with this.
///
/// ```
/// let payload = std::panic::catch_unwind(|| panic!("boom {}", 7)).unwrap_err();
/// assert_eq!(plinth_core::panic_message(payload.as_ref()), "boom 7");
/// let payload = std::panic::catch_unwind(|| std::panic::panic_any(5u8)).unwrap_err();
/// assert_eq!(plinth_core::panic_message(payload.as_ref()), "a non-string payload");
/// ```
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string payload".to_string()
    }
}
