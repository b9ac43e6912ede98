//! A sandboxed plugin's key-value store: shared by its instances, kept
//! across its restarts, and bounded, since a guest would otherwise grow it
//! until the host ran out of memory.

use std::collections::HashMap;

/// Keys and values of one plugin, with their bytes counted against a quota.
#[derive(Debug)]
pub(crate) struct Kv {
    entries: HashMap<String, Vec<u8>>,
    /// The bytes of every key and value held.
    bytes: usize,
    quota: usize,
}

impl Kv {
    pub fn new(quota: usize) -> Self {
        Kv {
            entries: HashMap::new(),
            bytes: 0,
            quota,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Vec<u8>> {
        self.entries.get(key)
    }

    /// Stores `value` under `key`; refused, changing nothing, when the
    /// store would then hold more than its quota.
    pub fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), String> {
        let freed = self
            .entries
            .get(&key)
            .map_or(0, |old| key.len() + old.len());
        let held = (self.bytes - freed)
            .checked_add(key.len() + value.len())
            .filter(|&held| held <= self.quota)
            .ok_or_else(|| {
                format!(
                    "key-value store quota of {} bytes reached (setting {key:?}, {} bytes)",
                    self.quota,
                    value.len()
                )
            })?;
        self.bytes = held;
        self.entries.insert(key, value);
        Ok(())
    }

    pub fn delete(&mut self, key: &str) -> bool {
        match self.entries.remove(key) {
            Some(old) => {
                self.bytes -= key.len() + old.len();
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
                    format!("kv-add: the value under {key:?} is not a decimal integer")
                })?,
        };
        let sum = current
            .checked_add(delta)
            .ok_or_else(|| format!("kv-add: {current} + {delta} under {key:?} overflows"))?;
        self.set(key, sum.to_string().into_bytes())
            .map_err(|e| format!("kv-add: {e}"))?;
        Ok(sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_counts_from_absent_and_refuses_what_is_not_a_count() {
        let mut kv = Kv::new(1 << 20);
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
    fn the_quota_counts_keys_and_values_and_a_refused_set_changes_nothing() {
        let mut kv = Kv::new(10);
        kv.set("ab".into(), b"123456".to_vec()).unwrap(); // 8 bytes
        let err = kv.set("c".into(), b"12".to_vec()).unwrap_err(); // 11
        assert!(err.contains("quota of 10 bytes reached"), "{err}");
        assert_eq!(kv.get("c"), None);
        // Replacing a value counts the new one instead of the old.
        kv.set("ab".into(), b"12345678".to_vec()).unwrap(); // 10
        assert!(kv.set("ab".into(), b"123456789".to_vec()).is_err());
        assert_eq!(kv.get("ab").unwrap(), b"12345678");
        assert!(kv.add("d".into(), 1).unwrap_err().contains("quota"));
        // Deleting gives its bytes back.
        assert!(kv.delete("ab"));
        assert!(!kv.delete("ab"));
        kv.set("c".into(), b"12".to_vec()).unwrap();
        assert_eq!(kv.add("d".into(), 7), Ok(7));
        assert_eq!(kv.bytes, 5);
    }
}
