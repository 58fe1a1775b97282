use std::{num::NonZeroU32, time::Duration};

use common::config::{ConfigError, Env};

/// How hard sign-in and sign-up are throttled.
#[derive(Debug, Clone)]
pub struct ThrottleSettings {
    /// `AUTH_RATE_LIMIT`: `on` (default) or `off` (load tests and benchmarks only).
    pub enabled: bool,
    /// `AUTH_LOGIN_MAX_FAILURES` (10): failed sign-ins in a row after which an account, or an
    /// unknown email, answers 429 until its window ends.
    pub login_max_failures: NonZeroU32,
    /// `AUTH_LOGIN_FAILURE_WINDOW_SECS` (900): the window those failures are counted in, which
    /// is also the longest a lock lasts.
    pub login_failure_window: Duration,
    /// `AUTH_LOGIN_PER_ADDRESS_PER_MINUTE` (60) and `AUTH_LOGIN_PER_ADDRESS_BURST` (60).
    pub login_per_address: AddressQuota,
    /// `AUTH_REGISTER_PER_ADDRESS_PER_MINUTE` (10) and `AUTH_REGISTER_PER_ADDRESS_BURST` (40).
    pub register_per_address: AddressQuota,
    /// `AUTH_TRUSTED_PROXY_HOPS` (0): how many proxies in front of the service append to
    /// `X-Forwarded-For`. With 0 the header is ignored and the connection's peer is the client.
    pub trusted_proxy_hops: usize,
}

/// Requests one client address may make: `burst` at once, then `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressQuota {
    pub per_minute: NonZeroU32,
    pub burst: NonZeroU32,
}

impl ThrottleSettings {
    /// Reads the `AUTH_RATE_LIMIT`, `AUTH_LOGIN_*`, `AUTH_REGISTER_*` and
    /// `AUTH_TRUSTED_PROXY_HOPS` settings.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let enabled = match env.text("AUTH_RATE_LIMIT")?.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(_) => return Err(ConfigError::invalid("AUTH_RATE_LIMIT", "must be `on` or `off`")),
        };
        let window = env.seconds_or("AUTH_LOGIN_FAILURE_WINDOW_SECS", Duration::from_secs(15 * 60))?;
        if window.is_zero() {
            return Err(ConfigError::invalid("AUTH_LOGIN_FAILURE_WINDOW_SECS", "must be at least 1 second"));
        }
        Ok(Self {
            enabled,
            login_max_failures: at_least_one(env, "AUTH_LOGIN_MAX_FAILURES", 10)?,
            login_failure_window: window,
            login_per_address: AddressQuota {
                per_minute: at_least_one(env, "AUTH_LOGIN_PER_ADDRESS_PER_MINUTE", 60)?,
                burst: at_least_one(env, "AUTH_LOGIN_PER_ADDRESS_BURST", 60)?,
            },
            register_per_address: AddressQuota {
                per_minute: at_least_one(env, "AUTH_REGISTER_PER_ADDRESS_PER_MINUTE", 10)?,
                burst: at_least_one(env, "AUTH_REGISTER_PER_ADDRESS_BURST", 40)?,
            },
            trusted_proxy_hops: env.parse_or("AUTH_TRUSTED_PROXY_HOPS", 0)?,
        })
    }
}

fn at_least_one(env: &Env, name: &str, default: u32) -> Result<NonZeroU32, ConfigError> {
    let value: u32 = env.parse_or(name, default)?;
    NonZeroU32::new(value).ok_or_else(|| ConfigError::invalid(name, "must be at least 1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<ThrottleSettings, ConfigError> {
        ThrottleSettings::from_env(&Env::from_pairs(pairs.iter().copied()))
    }

    fn quota(per_minute: u32, burst: u32) -> AddressQuota {
        AddressQuota {
            per_minute: NonZeroU32::new(per_minute).unwrap(),
            burst: NonZeroU32::new(burst).unwrap(),
        }
    }

    #[test]
    fn throttling_is_on_with_the_documented_defaults_when_nothing_is_set() {
        let settings = read(&[]).unwrap();
        assert!(settings.enabled);
        assert_eq!(settings.login_max_failures.get(), 10);
        assert_eq!(settings.login_failure_window, Duration::from_secs(900));
        assert_eq!(settings.login_per_address, quota(60, 60));
        assert_eq!(settings.register_per_address, quota(10, 40));
        assert_eq!(settings.trusted_proxy_hops, 0);
    }

    #[test]
    fn auth_rate_limit_takes_on_or_off_in_any_letter_case() {
        assert!(read(&[("AUTH_RATE_LIMIT", "on")]).unwrap().enabled);
        assert!(!read(&[("AUTH_RATE_LIMIT", "off")]).unwrap().enabled);
        assert!(!read(&[("AUTH_RATE_LIMIT", " OFF ")]).unwrap().enabled);
    }

    #[test]
    fn any_other_auth_rate_limit_is_an_error_naming_the_variable_without_its_value() {
        for value in ["no", "false", "0", "disabled"] {
            let error = read(&[("AUTH_RATE_LIMIT", value)]).unwrap_err();
            assert_eq!(error.name, "AUTH_RATE_LIMIT", "{value}");
            assert_eq!(
                error.to_string(),
                "configuration error: AUTH_RATE_LIMIT is malformed: must be `on` or `off`"
            );
        }
    }

    #[test]
    fn every_limit_can_be_set() {
        let settings = read(&[
            ("AUTH_LOGIN_MAX_FAILURES", "3"),
            ("AUTH_LOGIN_FAILURE_WINDOW_SECS", "60"),
            ("AUTH_LOGIN_PER_ADDRESS_PER_MINUTE", "30"),
            ("AUTH_LOGIN_PER_ADDRESS_BURST", "5"),
            ("AUTH_REGISTER_PER_ADDRESS_PER_MINUTE", "2"),
            ("AUTH_REGISTER_PER_ADDRESS_BURST", "4"),
            ("AUTH_TRUSTED_PROXY_HOPS", "1"),
        ])
        .unwrap();
        assert_eq!(settings.login_max_failures.get(), 3);
        assert_eq!(settings.login_failure_window, Duration::from_secs(60));
        assert_eq!(settings.login_per_address, quota(30, 5));
        assert_eq!(settings.register_per_address, quota(2, 4));
        assert_eq!(settings.trusted_proxy_hops, 1);
    }

    #[test]
    fn zero_or_malformed_limits_are_errors_naming_the_variable() {
        for name in [
            "AUTH_LOGIN_MAX_FAILURES",
            "AUTH_LOGIN_FAILURE_WINDOW_SECS",
            "AUTH_LOGIN_PER_ADDRESS_PER_MINUTE",
            "AUTH_LOGIN_PER_ADDRESS_BURST",
            "AUTH_REGISTER_PER_ADDRESS_PER_MINUTE",
            "AUTH_REGISTER_PER_ADDRESS_BURST",
        ] {
            for value in ["0", "-1", "ten"] {
                let error = read(&[(name, value)]).unwrap_err();
                assert_eq!(error.name, name, "{name}={value}");
                assert!(!error.problem.contains(value), "{error}");
            }
        }
        assert_eq!(read(&[("AUTH_TRUSTED_PROXY_HOPS", "one")]).unwrap_err().name, "AUTH_TRUSTED_PROXY_HOPS");
    }

    #[test]
    fn limits_are_read_even_when_throttling_is_off_so_a_typo_is_caught_before_it_is_switched_on() {
        let error = read(&[("AUTH_RATE_LIMIT", "off"), ("AUTH_LOGIN_MAX_FAILURES", "many")]).unwrap_err();
        assert_eq!(error.name, "AUTH_LOGIN_MAX_FAILURES");
    }
}
