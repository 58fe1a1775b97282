//! The product service's own settings, read once from the environment (the shared ones are the
//! runtime's).

use common::config::{ConfigError, Env, FromEnv};

/// What only the product service reads.
#[derive(Debug, Clone, Copy)]
pub struct ProductSettings {
    /// `PRODUCT_IMPORT_MAX_BYTES` (1 GiB): the largest body `POST /product/import` reads; the
    /// 1 MiB limit of every other body does not apply to it.
    pub import_max_bytes: u64,
    /// `PRODUCT_READ_CACHE_ENTRIES` (10000, at most 1000000): products each replica keeps
    /// rendered for `GET /product/{id}`; 0 turns the read cache off.
    pub read_cache_entries: usize,
    /// `PRODUCT_SEARCH_INDEX` (true): whether each replica keeps a search index in memory;
    /// false sends every search to the table's FULLTEXT index.
    pub search_index: bool,
}

/// The most products a replica keeps rendered: about a gigabyte at a kilobyte each.
const MAX_READ_CACHE_ENTRIES: usize = 1_000_000;

/// A million products of about a kilobyte each, with room to spare.
const DEFAULT_IMPORT_MAX_BYTES: u64 = 1 << 30;

impl FromEnv for ProductSettings {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let import_max_bytes = env.parse_or("PRODUCT_IMPORT_MAX_BYTES", DEFAULT_IMPORT_MAX_BYTES)?;
        if import_max_bytes == 0 {
            return Err(ConfigError::invalid("PRODUCT_IMPORT_MAX_BYTES", "must be at least 1"));
        }
        let read_cache_entries = env.parse_or("PRODUCT_READ_CACHE_ENTRIES", 10_000)?;
        if read_cache_entries > MAX_READ_CACHE_ENTRIES {
            return Err(ConfigError::invalid("PRODUCT_READ_CACHE_ENTRIES", "must be at most 1000000"));
        }
        let search_index = env.parse_or("PRODUCT_SEARCH_INDEX", true)?;
        Ok(Self { import_max_bytes, read_cache_entries, search_index })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked_where_they_are_read() {
        let defaults = ProductSettings::from_env(&Env::from_pairs([])).unwrap();
        assert_eq!((defaults.import_max_bytes, defaults.read_cache_entries), (1 << 30, 10_000));
        assert!(defaults.search_index);
        for (name, value) in [("PRODUCT_IMPORT_MAX_BYTES", "0"), ("PRODUCT_READ_CACHE_ENTRIES", "1000001")] {
            let error = ProductSettings::from_env(&Env::from_pairs([(name, value)])).unwrap_err();
            assert_eq!(error.name, name);
        }
    }
}
