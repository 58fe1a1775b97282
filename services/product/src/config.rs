//! The product service's settings, read once from the environment.

use common::{
    config::{ConfigError, Env, HttpSettings},
    db::DatabaseSettings,
    jwt::TokenSettings,
};
use messaging::{BrokerSettings, ConsumerSettings};

/// Everything the product service needs to start.
#[derive(Debug)]
pub struct ProductConfig {
    /// `PRODUCT_PORT` (8083) and the shared HTTP settings.
    pub http: HttpSettings,
    /// `DATABASE_URL` and `PRODUCT_DATABASE` (`shopper_product`).
    pub database: DatabaseSettings,
    /// `AMQP_URL`, `AMQP_EXCHANGE`, `AMQP_QUEUE_PREFIX`.
    pub broker: BrokerSettings,
    /// `AMQP_PREFETCH`, `RETRY_DELAYS_MS`.
    pub consumer: ConsumerSettings,
    /// `JWT_ISSUER`, `JWT_AUDIENCE`.
    pub tokens: TokenSettings,
    /// `AUTH_JWKS_URL`: where auth publishes its public keys.
    pub jwks_url: String,
}

impl ProductConfig {
    /// Reads every setting, failing on the first missing or malformed one.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let jwks_url = env
            .text("AUTH_JWKS_URL")?
            .unwrap_or_else(|| "http://127.0.0.1:8081/.well-known/jwks.json".into());
        if !(jwks_url.starts_with("http://") || jwks_url.starts_with("https://")) {
            return Err(ConfigError::invalid("AUTH_JWKS_URL", "expected an http(s) URL"));
        }
        Ok(Self {
            http: HttpSettings::from_env(env, "PRODUCT_PORT", 8083)?,
            database: DatabaseSettings::from_env(env, "PRODUCT_DATABASE", "shopper_product")?,
            broker: BrokerSettings::from_env(env)?,
            consumer: ConsumerSettings::from_env(env)?,
            tokens: TokenSettings::from_env(env)?,
            jwks_url,
        })
    }
}
