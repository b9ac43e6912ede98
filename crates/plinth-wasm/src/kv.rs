//! A sandboxed plugin's key-value store: shared by its instances, kept
//! across its restarts, and bounded, since a guest would otherwise grow it
//! until the host ran out of memory.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::error::shown;
use crate::host::Counters;

/// What an entry costs the host beyond its key's and value's bytes (the
/// table's slot, the two heap blocks), charged so that many empty entries
/// count as what they use.
const ENTRY_COST: usize = 64;

/// The most keys one `kv-keys` answers: the answer is copied into the
/// guest, and a caller goes on from the last key.
const MAX_KEYS: usize = 1024;

/// Keys and values of one plugin, with what they cost counted against a
/// quota.
#[derive(Debug)]
pub(crate) struct Kv {
    /// Ordered, so that `kv-keys` lists from a key on.
    entries: BTreeMap<String, Vec<u8>>,
    /// Every entry's cost: its key, its value and [`ENTRY_COST`].
    bytes: usize,
    quota: usize,
    /// Where `bytes` is shown (the plugin's stats).
    counters: Arc<Counters>,
}

fn cost(key: &str, value: &[u8]) -> usize {
    ENTRY_COST + key.len() + value.len()
}

impl Kv {
    pub fn new(quota: usize, counters: Arc<Counters>) -> Self {
        Kv {
            entries: BTreeMap::new(),
            bytes: 0,
            quota,
            counters,
        }
    }

    fn held(&mut self, bytes: usize) {
        let counted = &self.counters.kv_bytes;
        if bytes >= self.bytes {
            counted.fetch_add(bytes - self.bytes, Ordering::Relaxed);
        } else {
            counted.fetch_sub(self.bytes - bytes, Ordering::Relaxed);
        }
        self.bytes = bytes;
    }

    pub fn get(&self, key: &str) -> Option<&Vec<u8>> {
        self.entries.get(key)
    }

    /// Stores `value` under `key`; refused, changing nothing, when the
    /// store would then hold more than its quota.
    pub fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), String> {
        let freed = self.entries.get(&key).map_or(0, |old| cost(&key, old));
        let held = (self.bytes - freed)
            .checked_add(cost(&key, &value))
            .filter(|&held| held <= self.quota)
            .ok_or_else(|| {
                format!(
                    "key-value store quota of {} bytes reached (setting {}, {} bytes)",
                    self.quota,
                    shown(&key),
                    value.len()
                )
            })?;
        self.held(held);
        self.entries.insert(key, value);
        Ok(())
    }

    /// `kv-keys`: the keys from `start` on, in ascending byte order, at
    /// most `limit` (and at most [`MAX_KEYS`]).
    pub fn keys(&self, start: &str, limit: u32) -> Vec<String> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX).min(MAX_KEYS);
        self.entries
            .range::<str, _>((std::ops::Bound::Included(start), std::ops::Bound::Unbounded))
            .take(limit)
            .map(|(key, _)| key.clone())
            .collect()
    }

    pub fn delete(&mut self, key: &str) -> bool {
        match self.entries.remove(key) {
            Some(old) => {
                self.held(self.bytes - cost(key, &old));
                true
            }
            None => false,
        }
    }

    /// `kv-add`: adds `delta` to the integer stored under `key` as decimal
    /// text (an absent key counts as 0) and returns the sum. Called under
    /// the store's lock, the read, the sum and the write are one step for
    /// every instance of the plugin.
    pub fn add(&mut self, key: String, delta: i64) -> Result<i64, String> {
        let current = match self.entries.get(&key) {
            None => 0,
            Some(bytes) => std::str::from_utf8(bytes)
                .ok()
                .and_then(|text| text.parse::<i64>().ok())
                .ok_or_else(|| {
                    format!(
                        "kv-add: the value under {} is not a decimal integer",
                        shown(&key)
                    )
                })?,
        };
        let sum = current.checked_add(delta).ok_or_else(|| {
            format!(
                "kv-add: {current} + {delta} under {} overflows",
                shown(&key)
            )
        })?;
        self.set(key, sum.to_string().into_bytes())
            .map_err(|e| format!("kv-add: {e}"))?;
        Ok(sum)
    }
}

/// A store dropped with its plugin gives its count back: the next
/// instance of the plugin starts with a store of its own.
impl Drop for Kv {
    fn drop(&mut self) {
        self.held(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_counts_from_absent_and_refuses_what_is_not_a_count() {
        let mut kv = Kv::new(1 << 20, Arc::default());
        assert_eq!(kv.add("n".into(), 2), Ok(2));
        assert_eq!(kv.add("n".into(), -5), Ok(-3));
        assert_eq!(
            kv.get("n").unwrap(),
            b"-3",
            "stored as decimal text, as kv-get reads it"
        );

        kv.set("text".into(), b"twelve".to_vec()).unwrap();
        let err = kv.add("text".into(), 1).unwrap_err();
        assert!(err.contains("\"text\" is not a decimal integer"), "{err}");
        assert_eq!(kv.get("text").unwrap(), b"twelve", "unchanged");

        kv.set("max".into(), i64::MAX.to_string().into_bytes())
            .unwrap();
        let err = kv.add("max".into(), 1).unwrap_err();
        assert!(err.contains("overflows"), "{err}");
        assert_eq!(kv.get("max").unwrap(), i64::MAX.to_string().as_bytes());
    }

    #[test]
    fn the_quota_counts_entries_keys_and_values_and_a_refused_set_changes_nothing() {
        let quota = 2 * ENTRY_COST + 10;
        let counters = Arc::<Counters>::default();
        let mut kv = Kv::new(quota, counters.clone());
        kv.set("ab".into(), b"1234".to_vec()).unwrap(); // 6 bytes
        kv.set("c".into(), b"12".to_vec()).unwrap(); // 9
        let err = kv.set("d".into(), Vec::new()).unwrap_err(); // a third entry
        assert!(
            err.contains(&format!("quota of {quota} bytes reached")),
            "{err}"
        );
        assert_eq!(kv.get("d"), None);
        // Replacing a value counts the new one instead of the old.
        kv.set("ab".into(), b"12345".to_vec()).unwrap(); // 10
        assert!(kv.set("ab".into(), b"123456".to_vec()).is_err()); // 11
        assert_eq!(kv.get("ab").unwrap(), b"12345");
        assert!(kv.add("d".into(), 1).unwrap_err().contains("quota"));
        // Deleting gives its cost back.
        assert!(kv.delete("ab"));
        assert!(!kv.delete("ab"));
        assert_eq!(kv.add("d".into(), 7), Ok(7));
        assert_eq!(kv.bytes, cost("c", b"12") + cost("d", b"7"));
        assert_eq!(counters.kv_bytes.load(Ordering::Relaxed), kv.bytes);
        drop(kv);
        assert_eq!(counters.kv_bytes.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn keys_are_listed_in_order_from_a_start_and_bounded() {
        let mut kv = Kv::new(1 << 20, Arc::default());
        for key in ["b", "a", "c:2", "c:1", "d"] {
            kv.set(key.into(), Vec::new()).unwrap();
        }
        assert_eq!(kv.keys("", 10), ["a", "b", "c:1", "c:2", "d"]);
        assert_eq!(kv.keys("c:", 2), ["c:1", "c:2"]);
        assert_eq!(kv.keys("c:1", 10), ["c:1", "c:2", "d"]);
        // Going on past the last key returned.
        assert_eq!(kv.keys("c:1\0", 1), ["c:2"]);
        assert!(kv.keys("e", 10).is_empty());
        for n in 0..2000 {
            kv.set(format!("k{n:04}"), Vec::new()).unwrap();
        }
        assert_eq!(kv.keys("k", u32::MAX).len(), MAX_KEYS);
    }

    #[test]
    fn an_error_shows_a_long_key_cut() {
        let mut kv = Kv::new(0, Arc::default());
        let err = kv.set("k".repeat(1 << 20), Vec::new()).unwrap_err();
        assert!(err.len() < 200, "{err}");
        assert!(err.contains(&format!("{:?}...", "k".repeat(64))), "{err}");
    }
}
