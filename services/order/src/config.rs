//! The order service's own settings, read once from the environment (the shared ones are the
//! runtime's).

use std::time::Duration;

use common::config::{ConfigError, Env, FromEnv};
use secrecy::SecretString;

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
    /// `PAYMENT_PROVIDER` (`none`) and, for `stripe`, its settings.
    pub payments: Payments,
    /// `ORDER_PAYMENT_WINDOW_SECS` (900): how long a confirmed order waits for its payment before
    /// it is cancelled and its stock released.
    pub payment_window: Duration,
}

/// Whether orders are paid, and through whom.
#[derive(Debug, Clone)]
pub enum Payments {
    /// No payment: a confirmed order is ready to ship (`payment_status: not_required`).
    None,
    /// Through Stripe.
    Stripe(StripeSettings),
}

/// How to reach Stripe.
#[derive(Debug, Clone)]
pub struct StripeSettings {
    /// `STRIPE_BASE_URL` (`https://api.stripe.com`).
    pub base_url: String,
    /// `STRIPE_API_KEY`: the secret key (`sk_...`).
    pub api_key: SecretString,
    /// `STRIPE_WEBHOOK_SECRET`: the endpoint's signing secret (`whsec_...`).
    pub webhook_secret: SecretString,
    /// `STRIPE_TIMEOUT_SECS` (10): the longest one call may take.
    pub timeout: Duration,
}

impl Payments {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        match env.text("PAYMENT_PROVIDER")?.as_deref() {
            None | Some("none") => Ok(Self::None),
            Some("stripe") => {
                let base_url =
                    env.text("STRIPE_BASE_URL")?.unwrap_or_else(|| "https://api.stripe.com".into());
                if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
                    return Err(ConfigError::invalid("STRIPE_BASE_URL", "expected an http(s) URL"));
                }
                let required = |name: &str| {
                    env.secret(name)?.ok_or_else(|| ConfigError {
                        name: name.into(),
                        problem: "is required when PAYMENT_PROVIDER is stripe".into(),
                    })
                };
                Ok(Self::Stripe(StripeSettings {
                    base_url: base_url.trim_end_matches('/').to_owned(),
                    api_key: required("STRIPE_API_KEY")?,
                    webhook_secret: required("STRIPE_WEBHOOK_SECRET")?,
                    timeout: env.seconds_or("STRIPE_TIMEOUT_SECS", Duration::from_secs(10))?,
                }))
            }
            Some(_) => Err(ConfigError::invalid("PAYMENT_PROVIDER", "use none or stripe")),
        }
    }
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
        let payment_window = env.seconds_or("ORDER_PAYMENT_WINDOW_SECS", Duration::from_secs(900))?;
        if payment_window.is_zero() {
            return Err(ConfigError::invalid("ORDER_PAYMENT_WINDOW_SECS", "must be at least 1"));
        }
        Ok(Self { settle_wait, pending_timeout, payments: Payments::from_env(env)?, payment_window })
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
            ("ORDER_PAYMENT_WINDOW_SECS", "0"),
            ("PAYMENT_PROVIDER", "paypal"),
            ("PAYMENT_PROVIDER", "stripe"),
        ] {
            let error = OrderSettings::from_env(&Env::from_pairs([(name, value)])).unwrap_err();
            assert!(error.to_string().contains(name), "{error}");
        }
    }
}
