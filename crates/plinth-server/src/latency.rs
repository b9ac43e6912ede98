//! A small latency estimator for the dashboard's p50 and p99: counts in
//! log-linear buckets (eight per power of two of nanoseconds), lock-free.
//!
//! The Prometheus histogram's buckets grow by a factor of four, fine for
//! scrapers (which aggregate) but too coarse for a quantile read off one
//! series: a p50 anywhere between 40 µs and 160 µs would be reported as
//! one figure. Eight buckets per doubling bound the error of a reported
//! quantile to half a bucket, about ±4.5 %.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Exact below this many nanoseconds (one bucket per nanosecond).
const LINEAR: u64 = 8;
/// Sub-buckets per power of two.
const SUB: u64 = 8;
/// The largest power of two kept apart: 2^40 ns is about 18 minutes;
/// anything longer lands in the last bucket.
const MAX_POWER: u32 = 40;
const BUCKETS: usize = (SUB * (MAX_POWER as u64 - 1) + SUB) as usize;

/// Latencies recorded so far, as counts per bucket.
pub(crate) struct Latencies {
    buckets: Box<[AtomicU64]>,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

/// The bucket of `nanos`.
fn bucket(nanos: u64) -> usize {
    if nanos < LINEAR {
        return nanos as usize;
    }
    let power = 63 - nanos.leading_zeros(); // >= 3
    if power > MAX_POWER {
        return BUCKETS - 1;
    }
    let sub = (nanos >> (power - 3)) - SUB; // 0..8
    (SUB * u64::from(power - 2) + sub) as usize
}

/// The middle of bucket `index`, in nanoseconds.
fn middle(index: usize) -> f64 {
    let index = index as u64;
    if index < LINEAR {
        return index as f64;
    }
    let power = index / SUB + 2;
    let sub = index % SUB;
    let width = 1u64 << (power - 3);
    let low = (SUB + sub) << (power - 3);
    low as f64 + width as f64 / 2.0
}

impl Latencies {
    pub(crate) fn record(&self, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        self.buckets[bucket(nanos)].fetch_add(1, Ordering::Relaxed);
    }

    /// Adds these counts to `into` (for a plugin's figure over its hooks).
    pub(crate) fn add_to(&self, into: &mut Counts) {
        if into.0.is_empty() {
            into.0 = vec![0; BUCKETS];
        }
        for (sum, bucket) in into.0.iter_mut().zip(self.buckets.iter()) {
            *sum += bucket.load(Ordering::Relaxed);
        }
    }
}

/// A copy of the counts of one or more [`Latencies`], to read quantiles.
#[derive(Default)]
pub(crate) struct Counts(Vec<u64>);

impl Counts {
    /// The `q` quantile (0 < q ≤ 1), as the middle of its bucket; `None`
    /// when nothing was recorded.
    pub(crate) fn quantile(&self, q: f64) -> Option<Duration> {
        let total: u64 = self.0.iter().sum();
        if total == 0 {
            return None;
        }
        // The smallest value with at least q of the samples at or below it.
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (index, count) in self.0.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(Duration::from_nanos(middle(index).round() as u64));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_the_middle_is_inside_its_bucket() {
        let mut last = 0;
        for nanos in (0..5000).chain([1 << 20, (1 << 20) + 1, 123_456_789]) {
            let b = bucket(nanos);
            assert!(b >= last || nanos > 5000, "{nanos}");
            last = b;
            let mid = middle(b);
            // Within half a bucket: at most 1/16 of the value.
            assert!(
                (mid - nanos as f64).abs() <= (nanos as f64 / 16.0).max(0.5),
                "{nanos} -> bucket {b}, middle {mid}"
            );
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_of_a_known_distribution() {
        let latencies = Latencies::default();
        // 98 fast calls of 10 µs, two slow of 5 ms.
        for _ in 0..98 {
            latencies.record(Duration::from_micros(10));
        }
        for _ in 0..2 {
            latencies.record(Duration::from_millis(5));
        }
        let mut counts = Counts::default();
        latencies.add_to(&mut counts);
        let p50 = counts.quantile(0.5).unwrap().as_secs_f64();
        let p99 = counts.quantile(0.99).unwrap().as_secs_f64();
        assert!((p50 / 10e-6 - 1.0).abs() < 0.05, "p50 {p50}");
        assert!((p99 / 5e-3 - 1.0).abs() < 0.05, "p99 {p99}");
        assert!(Counts::default().quantile(0.5).is_none());
    }
}
