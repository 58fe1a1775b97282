//! The user service's settings, read once from the environment.

use common::{
    config::{ConfigError, Env, HttpSettings},
    db::DatabaseSettings,
    jwt::TokenSettings,
};
use messaging::{BrokerSettings, ConsumerSettings};

use crate::PiiKeys;

/// Everything the user service needs to start.
#[derive(Debug)]
pub struct UserConfig {
    /// `USER_PORT` (8082) and the shared HTTP settings.
    pub http: HttpSettings,
    /// `DATABASE_URL` and `USER_DATABASE` (`shopper_user`).
    pub database: DatabaseSettings,
    /// `AMQP_URL`, `AMQP_EXCHANGE`, `AMQP_QUEUE_PREFIX`.
    pub broker: BrokerSettings,
    /// `AMQP_PREFETCH`, `RETRY_DELAYS_MS`.
    pub consumer: ConsumerSettings,
    /// `JWT_ISSUER`, `JWT_AUDIENCE`.
    pub tokens: TokenSettings,
    /// `AUTH_JWKS_URL`: where auth publishes its public keys.
    pub jwks_url: String,
    /// `USER_PII_KEYS`, `USER_PII_ACTIVE_KEY`; when unset, a key kept in the schema (local use).
    pub pii_keys: Option<PiiKeys>,
}

impl UserConfig {
    /// Reads every setting, failing on the first missing or malformed one.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let jwks_url = env
            .text("AUTH_JWKS_URL")?
            .unwrap_or_else(|| "http://127.0.0.1:8081/.well-known/jwks.json".into());
        if !(jwks_url.starts_with("http://") || jwks_url.starts_with("https://")) {
            return Err(ConfigError::invalid("AUTH_JWKS_URL", "expected an http(s) URL"));
        }
        Ok(Self {
            http: HttpSettings::from_env(env, "USER_PORT", 8082)?,
            database: DatabaseSettings::from_env(env, "USER_DATABASE", "shopper_user")?,
            broker: BrokerSettings::from_env(env)?,
            consumer: ConsumerSettings::from_env(env)?,
            tokens: TokenSettings::from_env(env)?,
            jwks_url,
            pii_keys: PiiKeys::from_env(env)?,
        })
    }
}
