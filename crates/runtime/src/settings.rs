//! The settings every service shares, read once, and a service's whole configuration.

use std::fmt;

use common::{
    config::{ConfigError, Env, FromEnv, HttpSettings},
    db::DatabaseSettings,
    jwt::TokenSettings,
};
use messaging::{BrokerSettings, ConsumerSettings};

use crate::Service;

/// Where auth publishes its public keys when `AUTH_JWKS_URL` is not set: auth's default port
/// on the same host, as in a local run.
const DEFAULT_JWKS_URL: &str = "http://127.0.0.1:8081/.well-known/jwks.json";

/// What every service reads the same way.
#[derive(Debug)]
pub struct SharedSettings {
    /// `<NAME>_PORT`, `<NAME>_ADMIN_PORT` and the HTTP settings (`BIND_ADDRESS`, TLS, limits).
    pub http: HttpSettings,
    /// `DATABASE_URL`, `<NAME>_DATABASE` (`shopper_<name>`), `DATABASE_MAX_CONNECTIONS`.
    pub database: DatabaseSettings,
    /// `AMQP_URL`, `AMQP_EXCHANGE`, `AMQP_QUEUE_PREFIX`.
    pub broker: BrokerSettings,
    /// `AMQP_PREFETCH`, `RETRY_DELAYS_MS`.
    pub consumer: ConsumerSettings,
    /// `JWT_ISSUER`, `JWT_AUDIENCE`.
    pub tokens: TokenSettings,
    /// `AUTH_JWKS_URL`: where auth publishes the keys access tokens are checked with.
    pub jwks_url: String,
}

impl SharedSettings {
    /// Reads the shared settings of the service called `name` (default port `port`).
    pub fn from_env(env: &Env, name: &str, port: u16) -> Result<Self, ConfigError> {
        let upper = name.to_ascii_uppercase();
        let jwks_url = env.text("AUTH_JWKS_URL")?.unwrap_or_else(|| DEFAULT_JWKS_URL.into());
        if !(jwks_url.starts_with("http://") || jwks_url.starts_with("https://")) {
            return Err(ConfigError::invalid("AUTH_JWKS_URL", "expected an http(s) URL"));
        }
        Ok(Self {
            http: HttpSettings::from_env(env, &format!("{upper}_PORT"), port)?,
            database: DatabaseSettings::from_env(
                env,
                &format!("{upper}_DATABASE"),
                &format!("shopper_{name}"),
            )?,
            broker: BrokerSettings::from_env(env)?,
            consumer: ConsumerSettings::from_env(env)?,
            tokens: TokenSettings::from_env(env)?,
            jwks_url,
        })
    }
}

/// A service's whole configuration: the shared settings and its own.
pub struct Config<S: Service> {
    /// What every service reads the same way.
    pub shared: SharedSettings,
    /// What only this service has.
    pub service: S::Settings,
}

impl<S: Service> Config<S> {
    /// Reads every setting, failing on the first missing or malformed one.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            shared: SharedSettings::from_env(env, S::NAME, S::PORT)?,
            service: S::Settings::from_env(env)?,
        })
    }
}

impl<S: Service> fmt::Debug for Config<S>
where
    S::Settings: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config").field("shared", &self.shared).field("service", &self.service).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_service_and_the_jwks_address_must_be_http() {
        let settings =
            SharedSettings::from_env(&Env::from_pairs([("ORDER_PORT", "9000")]), "order", 8084).unwrap();
        assert_eq!(settings.http.port, 9000);
        assert_eq!(settings.database.schema, "shopper_order");
        assert_eq!(settings.jwks_url, DEFAULT_JWKS_URL);
        let error = SharedSettings::from_env(&Env::from_pairs([("AUTH_JWKS_URL", "ftp://x")]), "user", 8082)
            .unwrap_err();
        assert_eq!(error.name, "AUTH_JWKS_URL");
    }
}
