//! The auth service's own settings, read once from the environment (the shared ones are the
//! runtime's).

use std::{path::PathBuf, time::Duration};

use common::{
    config::{ConfigError, Env, FromEnv},
    jwt::SigningKey,
};
use secrecy::ExposeSecret;

use crate::domain::{Email, Password};
pub use crate::throttle::{AddressQuota, ThrottleSettings};

/// What only the auth service reads.
#[derive(Debug)]
pub struct AuthSettings {
    /// `JWT_SIGNING_KEY_FILE` or `JWT_SIGNING_KEY` (PEM, Ed25519); when neither is set a key is
    /// generated once and kept in the auth schema.
    pub signing_key: Option<SigningKey>,
    /// `JWT_ACCESS_TTL_SECS` (900).
    pub access_ttl: Duration,
    /// `JWT_REFRESH_TTL_SECS` (30 days).
    pub refresh_ttl: Duration,
    /// `SHOPPER_ADMIN_EMAIL` and `SHOPPER_ADMIN_PASSWORD`, both or neither.
    pub admin: Option<AdminAccount>,
    /// `PASSWORD_HASHING_CONCURRENCY`: hashes run at once (the number of cores).
    pub hashing_concurrency: usize,
    /// `PASSWORD_HASHING_QUEUE`: requests that may wait for a hash (64 per concurrent hash).
    pub hashing_queue: usize,
    /// `AUTH_RATE_LIMIT`, `AUTH_LOGIN_*`, `AUTH_REGISTER_*`, `AUTH_TRUSTED_PROXY_HOPS`.
    pub throttle: ThrottleSettings,
}

/// The administrator created at start.
#[derive(Debug)]
pub struct AdminAccount {
    pub(crate) email: Email,
    pub(crate) password: Password,
}

/// Upper bounds of the hashing settings: far beyond any machine, well inside what a semaphore
/// can count.
const MAX_HASHING: usize = 1024;
const MAX_HASHING_QUEUE: usize = 100_000;

impl FromEnv for AuthSettings {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let hashing_concurrency = env.parse_or("PASSWORD_HASHING_CONCURRENCY", cores)?;
        if !(1..=MAX_HASHING).contains(&hashing_concurrency) {
            return Err(ConfigError::invalid("PASSWORD_HASHING_CONCURRENCY", "use 1 to 1024"));
        }
        let hashing_queue =
            env.parse_or("PASSWORD_HASHING_QUEUE", hashing_concurrency * crate::passwords::WAITING_PER_SLOT)?;
        if hashing_queue > MAX_HASHING_QUEUE {
            return Err(ConfigError::invalid("PASSWORD_HASHING_QUEUE", "use 0 to 100000"));
        }
        Ok(Self {
            signing_key: signing_key(env)?,
            access_ttl: positive(env, "JWT_ACCESS_TTL_SECS", Duration::from_secs(15 * 60))?,
            refresh_ttl: positive(env, "JWT_REFRESH_TTL_SECS", Duration::from_secs(30 * 24 * 3600))?,
            admin: admin(env)?,
            hashing_concurrency,
            hashing_queue,
            throttle: ThrottleSettings::from_env(env)?,
        })
    }
}

fn positive(env: &Env, name: &str, default: Duration) -> Result<Duration, ConfigError> {
    let value = env.seconds_or(name, default)?;
    if value.is_zero() { Err(ConfigError::invalid(name, "must be at least 1 second")) } else { Ok(value) }
}

fn signing_key(env: &Env) -> Result<Option<SigningKey>, ConfigError> {
    let kid = env.text("JWT_KEY_ID")?;
    if let Some(path) = env.parse::<PathBuf>("JWT_SIGNING_KEY_FILE")? {
        let pem = std::fs::read(&path).map_err(|e| {
            ConfigError::invalid("JWT_SIGNING_KEY_FILE", format!("cannot read {}: {e}", path.display()))
        })?;
        return SigningKey::from_pem(&pem, kid).map(Some).map_err(|_| {
            ConfigError::invalid("JWT_SIGNING_KEY_FILE", "not an Ed25519 PKCS#8 PEM private key")
        });
    }
    match env.secret("JWT_SIGNING_KEY")? {
        None => Ok(None),
        Some(pem) => SigningKey::from_pem(pem.expose_secret().as_bytes(), kid)
            .map(Some)
            .map_err(|_| ConfigError::invalid("JWT_SIGNING_KEY", "not an Ed25519 PKCS#8 PEM private key")),
    }
}

fn admin(env: &Env) -> Result<Option<AdminAccount>, ConfigError> {
    match (env.text("SHOPPER_ADMIN_EMAIL")?, env.secret("SHOPPER_ADMIN_PASSWORD")?) {
        (Some(email), Some(password)) => Ok(Some(AdminAccount {
            email: Email::parse(&email).map_err(|e| ConfigError::invalid("SHOPPER_ADMIN_EMAIL", e))?,
            password: Password::parse(password)
                .map_err(|e| ConfigError::invalid("SHOPPER_ADMIN_PASSWORD", e))?,
        })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(ConfigError {
            name: "SHOPPER_ADMIN_PASSWORD".into(),
            problem: "is required when SHOPPER_ADMIN_EMAIL is set".into(),
        }),
        (None, Some(_)) => Err(ConfigError {
            name: "SHOPPER_ADMIN_EMAIL".into(),
            problem: "is required when SHOPPER_ADMIN_PASSWORD is set".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_common_administrator_password_stops_the_start_naming_the_variable() {
        let env = Env::from_pairs([
            ("SHOPPER_ADMIN_EMAIL", "root@example.com"),
            ("SHOPPER_ADMIN_PASSWORD", "Password123"),
        ]);
        let error = admin(&env).unwrap_err();
        assert_eq!(error.name, "SHOPPER_ADMIN_PASSWORD");
        assert_eq!(error.problem, "is malformed: is one of the most commonly used passwords");
    }

    #[test]
    fn the_throttle_settings_are_part_of_the_config() {
        let env = Env::from_pairs([("AUTH_RATE_LIMIT", "maybe")]);
        assert_eq!(AuthSettings::from_env(&env).unwrap_err().name, "AUTH_RATE_LIMIT");
        let env = Env::from_pairs([("AUTH_RATE_LIMIT", "off")]);
        assert!(!AuthSettings::from_env(&env).unwrap().throttle.enabled);
    }

    #[test]
    fn the_hashing_line_is_sized_to_the_slots_and_bounded() {
        let env = Env::from_pairs([("PASSWORD_HASHING_CONCURRENCY", "3")]);
        assert_eq!(AuthSettings::from_env(&env).unwrap().hashing_queue, 3 * 64);
        for (name, value) in [
            ("PASSWORD_HASHING_QUEUE", "100001"),
            ("PASSWORD_HASHING_QUEUE", "18446744073709551615"),
            ("PASSWORD_HASHING_CONCURRENCY", "1025"),
            ("PASSWORD_HASHING_CONCURRENCY", "0"),
        ] {
            let error = AuthSettings::from_env(&Env::from_pairs([(name, value)])).unwrap_err();
            assert_eq!(error.name, name, "{value}");
        }
    }
}
