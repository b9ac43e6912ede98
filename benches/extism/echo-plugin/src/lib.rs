//! An Extism plug-in that answers its input unchanged: the counterpart of
//! plinth's echo guest (`guests/echo`) in the benchmark of ../benches.

use extism_pdk::*;

/// Answers the input unchanged.
#[plugin_fn]
pub fn echo(input: String) -> FnResult<String> {
    Ok(input)
}
