//! The order service's settings, read once from the environment.

use std::time::Duration;

use common::{
    config::{ConfigError, Env, HttpSettings},
    db::DatabaseSettings,
    jwt::TokenSettings,
};
use messaging::{BrokerSettings, ConsumerSettings};

/// The longest `ORDER_SETTLE_WAIT_MS` accepted: a request should not hang on the saga.
const MAX_SETTLE_WAIT: Duration = Duration::from_secs(10);

/// Everything the order service needs to start.
#[derive(Debug)]
pub struct OrderConfig {
    /// `ORDER_PORT` (8084) and the shared HTTP settings.
    pub http: HttpSettings,
    /// `DATABASE_URL` and `ORDER_DATABASE` (`shopper_order`).
    pub database: DatabaseSettings,
    /// `AMQP_URL`, `AMQP_EXCHANGE`, `AMQP_QUEUE_PREFIX`.
    pub broker: BrokerSettings,
    /// `AMQP_PREFETCH`, `RETRY_DELAYS_MS`.
    pub consumer: ConsumerSettings,
    /// `JWT_ISSUER`, `JWT_AUDIENCE`.
    pub tokens: TokenSettings,
    /// `AUTH_JWKS_URL`: where auth publishes its public keys.
    pub jwks_url: String,
    /// `ORDER_SETTLE_WAIT_MS` (1500, at most 10000): how long `POST /order` waits for the saga
    /// before answering 202 with the order still pending. 0 answers 202 at once.
    pub settle_wait: Duration,
    /// `ORDER_PENDING_TIMEOUT_SECS` (600): how long an order may wait for its stock before it is
    /// rejected with reason `timeout`.
    pub pending_timeout: Duration,
}

impl OrderConfig {
    /// Reads every setting, failing on the first missing or malformed one.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let jwks_url = env
            .text("AUTH_JWKS_URL")?
            .unwrap_or_else(|| "http://127.0.0.1:8081/.well-known/jwks.json".into());
        if !(jwks_url.starts_with("http://") || jwks_url.starts_with("https://")) {
            return Err(ConfigError::invalid("AUTH_JWKS_URL", "expected an http(s) URL"));
        }
        let settle_wait = Duration::from_millis(env.parse_or("ORDER_SETTLE_WAIT_MS", 1500)?);
        if settle_wait > MAX_SETTLE_WAIT {
            return Err(ConfigError::invalid("ORDER_SETTLE_WAIT_MS", "must be at most 10000"));
        }
        let pending_timeout = env.seconds_or("ORDER_PENDING_TIMEOUT_SECS", Duration::from_secs(600))?;
        if pending_timeout.is_zero() {
            return Err(ConfigError::invalid("ORDER_PENDING_TIMEOUT_SECS", "must be at least 1"));
        }
        Ok(Self {
            http: HttpSettings::from_env(env, "ORDER_PORT", 8084)?,
            database: DatabaseSettings::from_env(env, "ORDER_DATABASE", "shopper_order")?,
            broker: BrokerSettings::from_env(env)?,
            consumer: ConsumerSettings::from_env(env)?,
            tokens: TokenSettings::from_env(env)?,
            jwks_url,
            settle_wait,
            pending_timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_limits() {
        let config = OrderConfig::from_env(&Env::from_pairs([])).unwrap();
        assert_eq!(config.settle_wait, Duration::from_millis(1500));
        assert_eq!(config.pending_timeout, Duration::from_secs(600));
        assert_eq!(config.http.port, 8084);
        for (name, value) in [
            ("ORDER_SETTLE_WAIT_MS", "10001"),
            ("ORDER_SETTLE_WAIT_MS", "soon"),
            ("ORDER_PENDING_TIMEOUT_SECS", "0"),
        ] {
            let error = OrderConfig::from_env(&Env::from_pairs([(name, value)])).unwrap_err();
            assert!(error.to_string().contains(name), "{error}");
        }
    }
}
