//! The user service's own settings, read once from the environment (the shared ones are the
//! runtime's).

use common::config::{ConfigError, Env, FromEnv};

use crate::PiiKeys;

/// What only the user service reads.
#[derive(Debug)]
pub struct UserSettings {
    /// `USER_PII_KEYS`, `USER_PII_ACTIVE_KEY`; when unset, a key kept in the schema (local use).
    pub pii_keys: Option<PiiKeys>,
}

impl FromEnv for UserSettings {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { pii_keys: PiiKeys::from_env(env)? })
    }
}
