//! The order service's own settings, read once from the environment (the shared ones are the
//! runtime's).

use std::time::Duration;

use common::config::{ConfigError, Env, FromEnv};

/// The longest `ORDER_SETTLE_WAIT_MS` accepted: a request should not hang on the saga.
const MAX_SETTLE_WAIT: Duration = Duration::from_secs(10);

/// What only the order service reads.
#[derive(Debug)]
pub struct OrderSettings {
    /// `ORDER_SETTLE_WAIT_MS` (1500, at most 10000): how long `POST /order` waits for the saga
    /// before answering 202 with the order still pending. 0 answers 202 at once.
    pub settle_wait: Duration,
    /// `ORDER_PENDING_TIMEOUT_SECS` (600): how long an order may wait for its stock before it is
    /// rejected with reason `timeout`.
    pub pending_timeout: Duration,
}

impl FromEnv for OrderSettings {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let settle_wait = Duration::from_millis(env.parse_or("ORDER_SETTLE_WAIT_MS", 1500)?);
        if settle_wait > MAX_SETTLE_WAIT {
            return Err(ConfigError::invalid("ORDER_SETTLE_WAIT_MS", "must be at most 10000"));
        }
        let pending_timeout = env.seconds_or("ORDER_PENDING_TIMEOUT_SECS", Duration::from_secs(600))?;
        if pending_timeout.is_zero() {
            return Err(ConfigError::invalid("ORDER_PENDING_TIMEOUT_SECS", "must be at least 1"));
        }
        Ok(Self { settle_wait, pending_timeout })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_limits() {
        let config = OrderSettings::from_env(&Env::from_pairs([])).unwrap();
        assert_eq!(config.settle_wait, Duration::from_millis(1500));
        assert_eq!(config.pending_timeout, Duration::from_secs(600));
        for (name, value) in [
            ("ORDER_SETTLE_WAIT_MS", "10001"),
            ("ORDER_SETTLE_WAIT_MS", "soon"),
            ("ORDER_PENDING_TIMEOUT_SECS", "0"),
        ] {
            let error = OrderSettings::from_env(&Env::from_pairs([(name, value)])).unwrap_err();
            assert!(error.to_string().contains(name), "{error}");
        }
    }
}
