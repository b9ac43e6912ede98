//! A guest's log lines as the host logs them: each bounded and on one
//! line, and at most so many a second per plugin, so that a guest can
//! neither forge lines in the host's log nor flood it.

use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use crate::error::head;
use crate::host::Counters;

/// The most of one log message kept, in bytes, before its control
/// characters are escaped.
pub(crate) const MAX_LOG: usize = 8 << 10;

/// A guest's log message as the host logs it: at most [`MAX_LOG`] bytes,
/// and on one line, so that a guest can neither flood the host's log with
/// one message nor forge lines of its own in it.
pub(crate) fn loggable(message: &str) -> String {
    let kept = head(message, MAX_LOG);
    let mut line = String::with_capacity(kept.len() + 32);
    for c in kept.chars() {
        if c.is_control() {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    if kept.len() < message.len() {
        line.push_str(&format!(" ... ({} bytes more)", message.len() - kept.len()));
    }
    line
}

/// What [`LogBudget::admit`] decided for one line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admit {
    /// Log it; `dropped` lines were dropped since the last one logged,
    /// which the host reports first.
    Log { dropped: u64 },
    /// Drop it: the plugin is over its rate.
    Drop,
}

/// A plugin's allowance of log lines: `rate` a second, in bursts of up to
/// `rate` (a token bucket, shared by all of the plugin's instances).
#[derive(Debug)]
pub(crate) struct LogBudget {
    rate: u32,
    bucket: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    /// Lines that may be logged now; fractions accrue between calls.
    tokens: f64,
    /// When `tokens` was last brought up to date.
    at: Instant,
    /// Lines dropped since the last one logged.
    dropped: u64,
}

impl LogBudget {
    /// A budget of `rate` lines a second, full (a plugin may log a burst
    /// as it starts).
    pub fn new(rate: u32) -> Self {
        LogBudget {
            rate,
            bucket: Mutex::new(Bucket {
                tokens: f64::from(rate),
                at: Instant::now(),
                dropped: 0,
            }),
        }
    }

    /// The lines a second allowed.
    pub fn rate(&self) -> u32 {
        self.rate
    }

    /// Whether a line may be logged now, counting it in `counters` when
    /// it is dropped.
    pub fn admit(&self, counters: &Counters) -> Admit {
        self.admit_at(Instant::now(), counters)
    }

    fn admit_at(&self, now: Instant, counters: &Counters) -> Admit {
        let mut b = self.bucket.lock().unwrap_or_else(PoisonError::into_inner);
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        let rate = f64::from(self.rate);
        b.tokens = (b.tokens + elapsed * rate).min(rate);
        b.at = b.at.max(now);
        if b.tokens >= 1.0 {
            let dropped = std::mem::take(&mut b.dropped);
            // The report of the lines dropped is a line too: it is
            // charged, if need be against the next second's allowance.
            b.tokens -= if dropped > 0 { 2.0 } else { 1.0 };
            Admit::Log { dropped }
        } else {
            b.dropped += 1;
            counters.logs_dropped.fetch_add(1, Ordering::Relaxed);
            Admit::Drop
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_log_message_is_one_line_of_bounded_length() {
        assert_eq!(loggable("plain é"), "plain é");
        assert_eq!(loggable("a\nfake: line\r\t"), "a\\nfake: line\\r\\t");
        // One byte, then two-byte characters: the limit falls inside one.
        let long = format!("a{}", "é".repeat(MAX_LOG));
        let line = loggable(&long);
        let kept = format!("a{}", "é".repeat(MAX_LOG / 2 - 1));
        assert!(line.starts_with(&kept), "cut at a char boundary");
        assert!(line[kept.len()..].starts_with(" ... "));
        assert!(
            line.ends_with(&format!(" ... ({} bytes more)", MAX_LOG + 2)),
            "{}",
            &line[line.len() - 40..]
        );
    }

    #[test]
    fn a_burst_past_the_rate_is_dropped_and_reported_with_the_next_line() {
        let counters = Counters::default();
        let budget = LogBudget::new(10);
        let t0 = Instant::now();
        for _ in 0..10 {
            assert_eq!(budget.admit_at(t0, &counters), Admit::Log { dropped: 0 });
        }
        for _ in 0..5 {
            assert_eq!(budget.admit_at(t0, &counters), Admit::Drop);
        }
        assert_eq!(counters.logs_dropped.load(Ordering::Relaxed), 5);
        // A tenth of a second later, one line more is allowed, and it
        // carries the count of those dropped before it. That report is
        // charged too: the next tenth of a second allows nothing more.
        let later = t0 + Duration::from_millis(100);
        assert_eq!(budget.admit_at(later, &counters), Admit::Log { dropped: 5 });
        assert_eq!(budget.admit_at(later, &counters), Admit::Drop);
        let later = t0 + Duration::from_millis(200);
        assert_eq!(budget.admit_at(later, &counters), Admit::Drop);
        let later = t0 + Duration::from_millis(300);
        assert_eq!(budget.admit_at(later, &counters), Admit::Log { dropped: 2 });
        // Idle time refills the bucket only up to one second's worth.
        let much_later = t0 + Duration::from_secs(60);
        for _ in 0..10 {
            assert!(matches!(
                budget.admit_at(much_later, &counters),
                Admit::Log { .. }
            ));
        }
        assert_eq!(budget.admit_at(much_later, &counters), Admit::Drop);
    }

    #[test]
    fn a_rate_of_zero_logs_nothing() {
        let counters = Counters::default();
        let budget = LogBudget::new(0);
        assert_eq!(budget.admit(&counters), Admit::Drop);
        assert_eq!(counters.logs_dropped.load(Ordering::Relaxed), 1);
    }
}
