//! The product service's own settings, read once from the environment (the shared ones are the
//! runtime's).

use common::config::{ConfigError, Env, FromEnv};

/// What only the product service reads.
#[derive(Debug, Clone, Copy)]
pub struct ProductSettings {
    /// `PRODUCT_IMPORT_MAX_BYTES` (1 GiB): the largest body `POST /product/import` reads; the
    /// 1 MiB limit of every other body does not apply to it.
    pub import_max_bytes: u64,
    /// `PRODUCT_READ_CACHE_ENTRIES` (10000): products each replica keeps rendered for
    /// `GET /product/{id}`; 0 turns the read cache off.
    pub read_cache_entries: usize,
}

/// A million products of about a kilobyte each, with room to spare.
const DEFAULT_IMPORT_MAX_BYTES: u64 = 1 << 30;

impl FromEnv for ProductSettings {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let import_max_bytes = env.parse_or("PRODUCT_IMPORT_MAX_BYTES", DEFAULT_IMPORT_MAX_BYTES)?;
        if import_max_bytes == 0 {
            return Err(ConfigError::invalid("PRODUCT_IMPORT_MAX_BYTES", "must be at least 1"));
        }
        let read_cache_entries = env.parse_or("PRODUCT_READ_CACHE_ENTRIES", 10_000)?;
        Ok(Self { import_max_bytes, read_cache_entries })
    }
}
