//! `audit-logger`: buffers user actions and finished requests, appends them
//! as JSON lines to a file on an interval, whenever 64 KiB are pending, and
//! on destroy, writing off the runtime's threads; keeps what it could not
//! write for the next attempt: nothing is lost.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use plinth::hooks::BoxError;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::hooks::{REQUEST_COMPLETE, USER_ACTION};
use plinth::runtime::{Context, Metadata, Plugin};

/// One audit line, serialized straight from the borrowed data: no copy of
/// the payload, no `Value` tree per entry.
#[derive(Serialize)]
struct Line<'a, A: Serialize, D: Serialize> {
    /// Milliseconds since the Unix epoch.
    timestamp: u64,
    action: A,
    data: &'a D,
}

/// `user:<action>`, written without building the string first.
struct UserActionName<'a>(&'a str);

impl Serialize for UserActionName<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("user:{}", self.0))
    }
}

/// What an audit line records of a user action.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActionData<'a> {
    user_id: &'a str,
    payload: &'a Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    path: PathBuf,
    flush_interval_ms: u64,
}

/// Lines not yet written: JSON lines, ready to append.
#[derive(Default)]
struct Pending {
    text: Vec<u8>,
    lines: usize,
    /// The flusher was woken for this batch (it passed [`FLUSH_AT`]).
    woken: bool,
}

/// Pending bytes past which the flusher is woken before its interval. A
/// busy server then writes chunks of about this size rather than one large
/// batch per interval: a large write costs more per byte (the buffer and
/// the page cache's pages leave the CPU caches) and holds memory.
const FLUSH_AT: usize = 64 << 10;

/// The largest written buffer kept for reuse.
const SPARE_LIMIT: usize = 8 << 20;

#[derive(Default)]
struct Buffer {
    pending: Mutex<Pending>,
    /// Wakes the flusher when pending lines pass [`FLUSH_AT`].
    wake: tokio::sync::Notify,
    /// A written buffer, emptied, for the next interval.
    spare: Mutex<Vec<u8>>,
    path: Mutex<PathBuf>,
    /// Serialises flushes, so that entries put back after a failure stay
    /// ahead of the ones a concurrent flush would write.
    flushing: Mutex<()>,
}

impl Buffer {
    /// Appends one line; nothing is added if `data` cannot be serialized.
    fn push(&self, action: impl Serialize, data: &impl Serialize) -> serde_json::Result<()> {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let line = Line {
            timestamp,
            action,
            data,
        };
        let mut pending = lock(&self.pending);
        let before = pending.text.len();
        if let Err(e) = serde_json::to_writer(&mut pending.text, &line) {
            pending.text.truncate(before);
            return Err(e);
        }
        pending.text.push(b'\n');
        pending.lines += 1;
        if pending.text.len() >= FLUSH_AT && !pending.woken {
            pending.woken = true;
            drop(pending);
            self.wake.notify_one();
        }
        Ok(())
    }

    /// Appends every pending line to the file; on failure puts them back
    /// in front of those that arrived meanwhile. A write that fails halfway
    /// may duplicate lines on retry, never lose them. The written buffer is
    /// kept for the next interval's lines (up to [`SPARE_LIMIT`]), so that
    /// a busy server does not grow, fault in and free a fresh one each time.
    fn flush(&self) -> io::Result<usize> {
        let _one_at_a_time = lock(&self.flushing);
        let spare = std::mem::take(&mut *lock(&self.spare));
        let batch = std::mem::replace(
            &mut *lock(&self.pending),
            Pending {
                text: spare,
                ..Pending::default()
            },
        );
        if batch.lines == 0 {
            *lock(&self.spare) = batch.text;
            return Ok(0);
        }
        match self.write(&batch.text) {
            Ok(()) => {
                let mut text = batch.text;
                if text.capacity() <= SPARE_LIMIT {
                    text.clear();
                    *lock(&self.spare) = text;
                }
                Ok(batch.lines)
            }
            Err(e) => {
                let mut pending = lock(&self.pending);
                let newer = std::mem::replace(&mut *pending, batch);
                pending.text.extend_from_slice(&newer.text);
                pending.lines += newer.lines;
                // The next interval retries: a failing file is not retried
                // at every push.
                pending.woken = true;
                Err(e)
            }
        }
    }

    fn write(&self, text: &[u8]) -> io::Result<()> {
        let path = lock(&self.path).clone();
        let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
        file.write_all(text)?;
        file.flush()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The audit logger (the tutorial's `AuditLoggerPlugin`).
///
/// Configuration (`plugins.audit-logger`): `path` (required, the JSON-lines
/// file) and `flushIntervalMs` (default 5000). Needs a tokio runtime with
/// timers for its flush interval.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), plinth::hooks::BoxError> {
/// use plinth_example_app::{hooks as events, plugins::AuditLogger};
/// use plinth_runtime::testing::TestContext;
/// use plinth::runtime::Plugin;
/// use serde_json::json;
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("audit.log");
/// let mut plugin = AuditLogger::default();
/// let kit = TestContext::for_plugin(&plugin).config(json!({ "path": path })).build()?;
/// plugin.initialize(kit.context())?;
/// kit.hooks().hook(&events::USER_ACTION)?.call(events::UserAction {
///     user_id: "ada".into(), action: "delete".into(), payload: json!({ "id": 7 }),
/// })?;
/// plugin.destroy()?; // flushes
/// let text = std::fs::read_to_string(&path)?;
/// assert!(text.contains(r#""action":"user:delete""#));
/// # Ok(()) }
/// ```
#[derive(Default)]
pub struct AuditLogger {
    buffer: Arc<Buffer>,
    ticker: Option<JoinHandle<()>>,
}

impl AuditLogger {
    /// How many entries wait to be written.
    ///
    /// ```
    /// assert_eq!(plinth_example_app::plugins::AuditLogger::default().pending(), 0);
    /// ```
    pub fn pending(&self) -> usize {
        lock(&self.buffer.pending).lines
    }
}

impl Plugin for AuditLogger {
    fn metadata(&self) -> Metadata {
        Metadata::new("audit-logger", "1.0.0")
            .with_description("Logs all user actions to an audit trail")
            .with_author("plinth")
            .with_config_schema(json!({
                "type": "object",
                "properties": {
                    "path": { "type": "string", "minLength": 1 },
                    "flushIntervalMs": { "type": "integer", "minimum": 1, "maximum": 86400000, "default": 5000 }
                },
                "required": ["path", "flushIntervalMs"]
            }))
    }

    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        let config: Config = ctx.config()?;
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| "audit-logger needs a tokio runtime for its flush interval")?;
        *lock(&self.buffer.path) = config.path;

        let buffer = self.buffer.clone();
        // Priority 1: record the action as it came in, before other
        // plugins transform it; passed on unchanged.
        ctx.hooks().on(&USER_ACTION)?.priority(1).try_tap(move |a| {
            let data = ActionData {
                user_id: &a.user_id,
                payload: &a.payload,
            };
            buffer.push(UserActionName(&a.action), &data)?;
            Ok(())
        });
        let buffer = self.buffer.clone();
        ctx.hooks()
            .on(&REQUEST_COMPLETE)?
            .priority(100)
            .try_tap(move |r| {
                buffer.push("request:complete", r)?;
                Ok(())
            });

        let buffer = self.buffer.clone();
        let span = ctx.span().clone();
        let period = Duration::from_millis(config.flush_interval_ms);
        self.ticker = Some(runtime.spawn(async move {
            let mut interval =
                tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = interval.tick() => {}
                    () = buffer.wake.notified() => {}
                }
                // The file is written off the runtime's threads: a slow
                // disk delays the audit trail, never the requests.
                let writer = buffer.clone();
                let flushed = tokio::task::spawn_blocking(move || writer.flush()).await;
                let _in_plugin = span.enter();
                match flushed {
                    Ok(Ok(0)) => {}
                    Ok(Ok(n)) => tracing::debug!("flushed {n} audit entries"),
                    Ok(Err(e)) => tracing::warn!(
                        pending = lock(&buffer.pending).lines,
                        "audit flush failed, keeping entries: {e}"
                    ),
                    Err(e) => tracing::error!("audit flush panicked: {e}"),
                }
            }
        }));
        ctx.span()
            .in_scope(|| tracing::info!("audit logger initialized"));
        Ok(())
    }

    fn destroy(&mut self) -> Result<(), BoxError> {
        if let Some(ticker) = self.ticker.take() {
            ticker.abort();
        }
        // Entries that cannot be written stay buffered: a later start (or
        // destroy) writes them.
        self.buffer
            .flush()
            .map_err(|e| format!("{} audit entries kept, not written: {e}", self.pending()).into())
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::{RequestComplete, UserAction};
    use plinth_runtime::testing::TestContext;

    fn action(user: &str) -> UserAction {
        UserAction {
            user_id: user.into(),
            action: "login".into(),
            payload: json!(null),
        }
    }

    fn lines(path: &std::path::Path) -> Vec<Value> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn flushes_on_the_interval() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let mut plugin = AuditLogger::default();
        let kit = TestContext::for_plugin(&plugin)
            .config(json!({ "path": path, "flushIntervalMs": 1000 }))
            .build()
            .unwrap();
        plugin.initialize(kit.context()).unwrap();
        let hooks = kit.hooks();
        hooks
            .hook(&USER_ACTION)
            .unwrap()
            .call(action("ada"))
            .unwrap();
        hooks
            .hook(&REQUEST_COMPLETE)
            .unwrap()
            .call(&RequestComplete {
                request_id: "r1".into(),
                method: "GET".into(),
                path: "/".into(),
                status: 200,
                duration_ms: 4,
            })
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(lines(&path).is_empty(), "nothing before the first tick");
        tokio::time::sleep(Duration::from_millis(600)).await;
        let written = lines(&path);
        assert_eq!(written.len(), 2);
        assert_eq!(written[0]["action"], "user:login");
        assert_eq!(written[0]["data"]["userId"], "ada");
        assert_eq!(written[1]["action"], "request:complete");
        assert_eq!(written[1]["data"]["status"], 200);
        assert!(kit.logged("flushed 2 audit entries"));
        plugin.destroy().unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_large_backlog_is_written_before_the_interval() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let mut plugin = AuditLogger::default();
        let kit = TestContext::for_plugin(&plugin)
            .config(json!({ "path": path, "flushIntervalMs": 3_600_000 }))
            .build()
            .unwrap();
        plugin.initialize(kit.context()).unwrap();
        let hook = kit.hooks().hook(&USER_ACTION).unwrap();
        let big = json!("x".repeat(10_000));
        let mut calls = 0;
        while lock(&plugin.buffer.pending).text.len() < FLUSH_AT {
            hook.call(UserAction {
                payload: big.clone(),
                ..action("ada")
            })
            .unwrap();
            calls += 1;
        }
        // An hour before the interval's first tick, the flusher has
        // written every line.
        for _ in 0..100 {
            if plugin.pending() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(plugin.pending(), 0);
        assert_eq!(lines(&path).len(), calls);
        plugin.destroy().unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn keeps_what_it_could_not_write_and_retries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not-yet").join("audit.log");
        let mut plugin = AuditLogger::default();
        let kit = TestContext::for_plugin(&plugin)
            .config(json!({ "path": path, "flushIntervalMs": 1000 }))
            .build()
            .unwrap();
        plugin.initialize(kit.context()).unwrap();
        let hook = kit.hooks().hook(&USER_ACTION).unwrap();
        hook.call(action("a")).unwrap();
        hook.call(action("b")).unwrap();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(plugin.pending(), 2, "the failed flush kept both");
        assert!(kit.logged("audit flush failed, keeping entries"));

        // destroy cannot write either: it says so, and keeps them.
        let err = plugin.destroy().unwrap_err();
        assert!(err.to_string().starts_with("2 audit entries kept"), "{err}");
        assert_eq!(plugin.pending(), 2);

        // The cause is fixed; the plugin starts again and the next flush
        // writes everything, oldest first.
        std::fs::create_dir(dir.path().join("not-yet")).unwrap();
        kit.hooks().remove_owner(kit.context().urn()); // as the manager does
        plugin.initialize(kit.context()).unwrap();
        hook.call(action("c")).unwrap();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let users: Vec<Value> = lines(&path)
            .iter()
            .map(|l| l["data"]["userId"].clone())
            .collect();
        assert_eq!(users, [json!("a"), json!("b"), json!("c")]);
        assert_eq!(plugin.pending(), 0);
        plugin.destroy().unwrap();
    }

    #[tokio::test]
    async fn destroy_flushes_and_the_path_is_required() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let mut plugin = AuditLogger::default();
        let kit = TestContext::for_plugin(&plugin)
            .config(json!({ "path": path }))
            .build()
            .unwrap();
        assert_eq!(kit.context().config_value()["flushIntervalMs"], 5000);
        plugin.initialize(kit.context()).unwrap();
        kit.hooks()
            .hook(&USER_ACTION)
            .unwrap()
            .call(action("ada"))
            .unwrap();
        plugin.destroy().unwrap();
        assert_eq!(lines(&path).len(), 1);

        let err = TestContext::for_plugin(&plugin).build().unwrap_err();
        assert!(
            err.to_string().contains("\"path\" is a required property"),
            "{err}"
        );
    }
}
