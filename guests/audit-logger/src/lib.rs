//! `audit-logger-wasm`: the tutorial's audit logger as a sandboxed plugin.
//!
//! It taps `request:complete` (an action; payload `{requestId, method,
//! path, status, durationMs}`) and `user:action` (a filter; payload
//! `{userId, action, payload}`, passed on unchanged), buffers one JSON line
//! `{"hook": ..., "event": <payload>}` per call, and appends the buffer to
//! `<dir>/<file>` through the host's `write-file` when it holds `flushEvery`
//! lines and on `destroy`.
//!
//! Configuration, every key optional: `{"dir": "data", "file": "audit.log",
//! "flushEvery": 16}`. `dir` is the granted directory (the manifest grants
//! `write = ["data"]`), `file` the path under it.
//!
//! Nothing is lost on purpose: a failed write keeps the lines for the next
//! flush (a warning in the log). A failed `destroy` is the one loss, and
//! says how many lines it could not write: the host drops the instance
//! after it. With more than
//! one instance each buffers its own calls, so lines from different
//! instances may reach the file out of order.

use plinth_guest::serde_json::{self, Value};
use plinth_guest::{Plugin, host};
use serde::{Deserialize, Serialize};

/// The configuration, defaults filled in.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
struct Config {
    dir: String,
    file: String,
    flush_every: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            dir: "data".into(),
            file: "audit.log".into(),
            flush_every: 16,
        }
    }
}

/// One audit line: the hook, then the event.
#[derive(Serialize)]
struct Line<'a> {
    hook: &'a str,
    event: &'a Value,
}

/// The audit logger of one instance.
struct AuditLogger {
    /// `dir/file`, as the host's `write-file` takes it.
    path: String,
    flush_every: usize,
    /// Lines not yet written, each ending in `\n`.
    buffer: String,
    /// How many lines `buffer` holds.
    pending: usize,
}

impl AuditLogger {
    fn record(&mut self, hook: &str, event: &Value) -> Result<(), String> {
        let line = serde_json::to_string(&Line { hook, event }).map_err(|e| e.to_string())?;
        self.buffer.push_str(&line);
        self.buffer.push('\n');
        self.pending += 1;
        if self.pending >= self.flush_every {
            // A failed write keeps the lines; the hook still succeeds, as
            // the in-process logger's interval flush does.
            if let Err(e) = self.flush() {
                host::log::warn(&format!(
                    "audit flush failed, keeping {} lines: {e}",
                    self.pending
                ));
            }
        }
        Ok(())
    }

    /// Appends every pending line to the file; keeps them on failure.
    fn flush(&mut self) -> Result<(), String> {
        if self.pending == 0 {
            return Ok(());
        }
        host::fs::append(&self.path, &self.buffer)?;
        host::log::debug(&format!("flushed {} audit lines", self.pending));
        self.buffer.clear();
        self.pending = 0;
        Ok(())
    }
}

impl Plugin for AuditLogger {
    fn initialize(config: Value) -> Result<Self, String> {
        let config: Config = match config {
            Value::Null => Config::default(),
            config => serde_json::from_value(config)
                .map_err(|e| format!("invalid audit-logger configuration: {e}"))?,
        };
        let file = config.file.trim_start_matches('/');
        let dir = config.dir.trim_end_matches('/');
        if file.is_empty() {
            return Err("invalid audit-logger configuration: `file` is empty".into());
        }
        let path = if dir.is_empty() {
            file.to_owned()
        } else {
            format!("{dir}/{file}")
        };
        host::log::info(&format!("audit logger writing to {path}"));
        Ok(AuditLogger {
            path,
            flush_every: config.flush_every.max(1),
            buffer: String::new(),
            pending: 0,
        })
    }

    fn on_hook(&mut self, hook: &str, payload: Value) -> Result<Value, String> {
        match hook {
            // An action: the answer is ignored.
            "request:complete" => {
                self.record(hook, &payload)?;
                Ok(Value::Null)
            }
            // A filter: recorded as it came in, passed on unchanged.
            "user:action" => {
                self.record(hook, &payload)?;
                Ok(payload)
            }
            other => Err(format!("audit-logger does not tap {other}")),
        }
    }

    fn destroy(&mut self) -> Result<(), String> {
        let pending = self.pending;
        self.flush()
            .map_err(|e| format!("{pending} audit lines lost, not written: {e}"))
    }
}

plinth_guest::export!(AuditLogger);
