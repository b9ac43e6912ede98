//! Callback latencies: counts in log-linear buckets (eight per power of
//! two of nanoseconds) and their sum, lock-free, recorded once per call.
//! They serve both the dashboard's p50 and p99 and the Prometheus
//! histogram, which is read from them at scrape time.
//!
//! The Prometheus histogram's buckets grow by a factor of four, fine for
//! scrapers (which aggregate) but too coarse for a quantile read off one
//! series: a p50 anywhere between 40 µs and 160 µs would be reported as
//! one figure. Eight buckets per doubling bound the error of a reported
//! quantile to half a bucket, about ±4.5 %. The Prometheus bounds are
//! powers of two of nanoseconds, so each fine bucket falls under exactly
//! one of them.

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

/// The Prometheus histogram's upper bounds: 2^13 ns (8.2 µs) to 2^33 ns
/// (8.6 s), four times apart, as powers of two of nanoseconds.
pub(crate) const PROMETHEUS_POWERS: [u32; 11] = [13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33];

/// Latencies recorded so far, as counts per bucket, and their sum.
pub(crate) struct Latencies {
    buckets: Box<[AtomicU64]>,
    sum_nanos: AtomicU64,
}

impl Default for Latencies {
    fn default() -> Self {
        Latencies {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            sum_nanos: AtomicU64::new(0),
        }
    }
}

/// The first nanosecond past bucket `index`.
fn end(index: usize) -> u64 {
    let index = index as u64;
    if index < LINEAR {
        return index + 1;
    }
    let power = index / SUB + 2;
    let sub = index % SUB;
    (SUB + sub + 1) << (power - 3)
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
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The Prometheus histogram: the sum in seconds, the count, and the
    /// count under each bound of [`PROMETHEUS_POWERS`] (in seconds, each
    /// bucket's own count, not cumulative) and then `+Inf` (`f64::MAX`).
    /// A bound holds the values below it: a value of exactly a bound (to
    /// the nanosecond) counts under the next one.
    pub(crate) fn prometheus(&self) -> (f64, u64, Vec<(f64, u64)>) {
        let mut buckets: Vec<(f64, u64)> = PROMETHEUS_POWERS
            .iter()
            .map(|&p| ((1u64 << p) as f64 / 1e9, 0))
            .chain(std::iter::once((f64::MAX, 0)))
            .collect();
        let mut count = 0;
        for (index, bucket) in self.buckets.iter().enumerate() {
            let n = bucket.load(Ordering::Relaxed);
            if n == 0 {
                continue;
            }
            count += n;
            let end = end(index);
            let slot = PROMETHEUS_POWERS
                .iter()
                .position(|&p| end <= 1u64 << p)
                .unwrap_or(PROMETHEUS_POWERS.len());
            buckets[slot].1 += n;
        }
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        (sum, count, buckets)
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
    fn each_bucket_ends_where_the_next_begins() {
        for nanos in (0..5000).chain([(1 << 20) - 1, 1 << 20, 123_456_789]) {
            let b = bucket(nanos);
            assert!(end(b) > nanos, "{nanos}");
            assert_eq!(bucket(end(b)), b + 1, "{nanos}");
        }
    }

    #[test]
    fn the_prometheus_histogram_counts_each_value_under_its_bound() {
        let latencies = Latencies::default();
        // Just under and at 2^13 ns, 1 ms, 1 s, and 20 s (past every bound).
        for nanos in [8191, 8192, 1_000_000, 1_000_000_000, 20_000_000_000] {
            latencies.record(Duration::from_nanos(nanos));
        }
        let (sum, count, buckets) = latencies.prometheus();
        assert_eq!(count, 5);
        assert!((sum - 21.001_016_383).abs() < 1e-9, "{sum}");
        assert_eq!(buckets.len(), PROMETHEUS_POWERS.len() + 1);
        let count_at = |seconds: f64| {
            buckets
                .iter()
                .find(|(bound, _)| (*bound - seconds).abs() < 1e-12)
                .map(|(_, n)| *n)
        };
        assert_eq!(count_at(8192e-9), Some(1), "8191 ns, not 8192 ns");
        assert_eq!(count_at(32768e-9), Some(1), "8192 ns");
        assert_eq!(count_at((1u64 << 21) as f64 / 1e9), Some(1), "1 ms");
        assert_eq!(count_at((1u64 << 31) as f64 / 1e9), Some(1), "1 s");
        assert_eq!(buckets.last(), Some(&(f64::MAX, 1)), "20 s");
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
