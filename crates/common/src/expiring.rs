//! A bounded in-memory cache whose entries also grow old: quick_cache keeps the bound (its
//! eviction keeps what is read often, and drops what was read once), and each entry carries the
//! moment it was made, so one older than the time to live counts as absent. The time to live is
//! what bounds how stale an entry can be when nothing else removes it.

use std::{
    hash::Hash,
    time::{Duration, Instant},
};

use quick_cache::sync::Cache;

/// At most `capacity` entries, none served older than `ttl`.
pub struct ExpiringCache<K, V> {
    entries: Cache<K, (Instant, V)>,
    ttl: Duration,
}

impl<K: Eq + Hash + Clone, V: Clone> ExpiringCache<K, V> {
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self { entries: Cache::new(capacity.max(1)), ttl }
    }

    /// The entry for `key`, unless it is missing or too old.
    pub fn get(&self, key: &K) -> Option<V> {
        let (made, value) = self.entries.get(key)?;
        if made.elapsed() < self.ttl {
            return Some(value);
        }
        self.entries.remove(key);
        None
    }

    pub fn insert(&self, key: K, value: V) {
        self.entries.insert(key, (Instant::now(), value));
    }

    pub fn remove(&self, key: &K) {
        self.entries.remove(key);
    }

    /// Removes `key`'s entry if `stale` says so of its value.
    pub fn remove_if(&self, key: &K, stale: impl FnOnce(&V) -> bool) {
        if let Some((_, value)) = self.entries.get(key)
            && stale(&value)
        {
            self.entries.remove(key);
        }
    }

    pub fn clear(&self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_served_until_it_is_too_old_or_removed() {
        let cache = ExpiringCache::new(10, Duration::from_millis(50));
        cache.insert(1, "one");
        assert_eq!(cache.get(&1), Some("one"));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get(&1), None, "too old");

        cache.insert(2, "two");
        cache.remove_if(&2, |v| *v == "other");
        assert_eq!(cache.get(&2), Some("two"), "kept: not stale");
        cache.remove_if(&2, |v| *v == "two");
        assert_eq!(cache.get(&2), None);
    }
}
