//! Typed configuration read from the environment.
//!
//! Every binary loads its settings once, at start. A missing or malformed setting becomes a
//! [`ConfigError`] that names the variable, so `main` can print one clear line and exit 1.
//! Values are never echoed back: some of them are secrets.

use std::{collections::HashMap, ffi::OsString, fmt::Display, net::IpAddr, str::FromStr, time::Duration};

use secrecy::SecretString;

use crate::tls::{ClientTls, ServerTls};

/// A setting that is missing or cannot be parsed.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {name} {problem}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub name: String,
    /// What is wrong with it, without its value.
    pub problem: String,
}

impl ConfigError {
    /// A setting whose value breaks a rule that its type cannot express.
    pub fn invalid(name: &str, problem: impl Display) -> Self {
        Self { name: name.to_owned(), problem: format!("is malformed: {problem}") }
    }
}

/// Settings read from the environment as a whole, failing on the first missing or malformed one.
pub trait FromEnv: Sized {
    /// Reads every setting.
    fn from_env(env: &Env) -> Result<Self, ConfigError>;
}

/// No settings at all, for a service with none of its own.
impl FromEnv for () {
    fn from_env(_: &Env) -> Result<Self, ConfigError> {
        Ok(())
    }
}

/// A snapshot of environment variables to read settings from.
///
/// Tests build one from pairs instead of mutating the process environment.
#[derive(Clone, Default)]
pub struct Env {
    vars: HashMap<String, OsString>,
}

impl Env {
    /// The environment of this process.
    pub fn from_process() -> Self {
        Self { vars: std::env::vars_os().filter_map(|(k, v)| k.into_string().ok().map(|k| (k, v))).collect() }
    }

    /// An environment made of the given pairs only.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self { vars: pairs.into_iter().map(|(k, v)| (k.to_owned(), v.into())).collect() }
    }

    /// The raw text of a setting; empty counts as unset, as in most deployment tools.
    pub fn text(&self, name: &str) -> Result<Option<String>, ConfigError> {
        match self.vars.get(name) {
            None => Ok(None),
            Some(value) => match value.to_str() {
                Some("") => Ok(None),
                Some(text) => Ok(Some(text.to_owned())),
                None => Err(ConfigError::invalid(name, "not valid UTF-8")),
            },
        }
    }

    /// An optional setting parsed with `FromStr`.
    pub fn parse<T>(&self, name: &str) -> Result<Option<T>, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.text(name)?
            .map(|text| text.trim().parse::<T>().map_err(|e| ConfigError::invalid(name, e)))
            .transpose()
    }

    /// A setting with a default for when it is unset.
    pub fn parse_or<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        Ok(self.parse(name)?.unwrap_or(default))
    }

    /// A setting that must be present.
    pub fn require<T>(&self, name: &str) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.parse(name)?
            .ok_or_else(|| ConfigError { name: name.to_owned(), problem: "is required but not set".into() })
    }

    /// A duration given in whole seconds.
    pub fn seconds_or(&self, name: &str, default: Duration) -> Result<Duration, ConfigError> {
        Ok(self.parse::<u64>(name)?.map(Duration::from_secs).unwrap_or(default))
    }

    /// A secret: kept out of logs and `Debug` output from here on.
    pub fn secret(&self, name: &str) -> Result<Option<SecretString>, ConfigError> {
        Ok(self.text(name)?.map(SecretString::from))
    }

    /// A comma-separated list; blank items are skipped.
    pub fn list(&self, name: &str) -> Result<Vec<String>, ConfigError> {
        Ok(self
            .text(name)?
            .map(|text| text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
            .unwrap_or_default())
    }
}

/// Where and how a service speaks HTTP: its port, and the TLS of that port and of its outbound
/// calls.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Interface to bind; `0.0.0.0` by default so containers are reachable.
    pub host: IpAddr,
    /// The service's port (`<SERVICE>_PORT`).
    pub port: u16,
    /// The service's admin port, for metrics (`<SERVICE>_ADMIN_PORT`; by default the port plus
    /// 1000, or 0 when the port is 0).
    pub admin_port: u16,
    /// Longest time a request may take before it is answered 503.
    pub request_timeout: Duration,
    /// Browser origins allowed by CORS; empty allows none, `*` allows any.
    pub cors_origins: Vec<String>,
    /// How long in-flight requests may drain after a shutdown signal.
    pub shutdown_grace: Duration,
    /// Longest a client may take to send a request's headers, and longest an HTTP/1.1
    /// connection may wait for its next request.
    pub header_read_timeout: Duration,
    /// A connection on which nothing is read (or a write makes no progress) for this long is
    /// closed.
    pub idle_timeout: Duration,
    /// Connections the port holds at once; past it, new ones are closed on arrival.
    pub max_connections: usize,
    /// `TLS_CERT_FILE` + `TLS_KEY_FILE`: when set, the port speaks HTTPS only; `None` is plain
    /// HTTP.
    pub tls: Option<ServerTls>,
    /// `TLS_CA_FILE`: the roots outbound HTTPS calls trust besides the platform's.
    pub client_tls: ClientTls,
}

impl HttpSettings {
    /// Reads `BIND_ADDRESS`, `<SERVICE>_PORT`, `<SERVICE>_ADMIN_PORT`, `HTTP_REQUEST_TIMEOUT_SECS`, `CORS_ALLOWED_ORIGINS`,
    /// `SHUTDOWN_GRACE_SECS`, `HTTP_HEADER_READ_TIMEOUT_SECS`, `HTTP_IDLE_TIMEOUT_SECS`,
    /// `HTTP_MAX_CONNECTIONS`, `TLS_CERT_FILE`, `TLS_KEY_FILE` and `TLS_CA_FILE` (whose files are
    /// read and checked here, so a bad one stops the binary at start).
    pub fn from_env(env: &Env, port_var: &str, default_port: u16) -> Result<Self, ConfigError> {
        let port = env.parse_or(port_var, default_port)?;
        let admin_var = format!("{}_ADMIN_PORT", port_var.trim_end_matches("_PORT"));
        let admin_port = match env.parse::<u16>(&admin_var)? {
            Some(admin_port) => admin_port,
            None if port == 0 => 0,
            None => port.checked_add(1000).ok_or_else(|| {
                ConfigError::invalid(&admin_var, format!("must be set when {port_var} is over 64535"))
            })?,
        };
        if admin_port == port && port != 0 {
            return Err(ConfigError::invalid(&admin_var, format!("must differ from {port_var}")));
        }
        Ok(Self {
            host: env.parse_or("BIND_ADDRESS", IpAddr::from([0, 0, 0, 0]))?,
            port,
            admin_port,
            request_timeout: env.seconds_or("HTTP_REQUEST_TIMEOUT_SECS", Duration::from_secs(15))?,
            cors_origins: env.list("CORS_ALLOWED_ORIGINS")?,
            shutdown_grace: env.seconds_or("SHUTDOWN_GRACE_SECS", Duration::from_secs(20))?,
            header_read_timeout: positive_seconds(env, "HTTP_HEADER_READ_TIMEOUT_SECS", 10)?,
            idle_timeout: positive_seconds(env, "HTTP_IDLE_TIMEOUT_SECS", 60)?,
            max_connections: bounded(env, "HTTP_MAX_CONNECTIONS", 4096, 1..=1_000_000)?,
            tls: ServerTls::from_env(env)?,
            client_tls: ClientTls::from_env(env)?,
        })
    }
}

/// A duration in whole seconds that must not be zero (a zero timeout would close everything).
fn positive_seconds(env: &Env, name: &str, default: u64) -> Result<Duration, ConfigError> {
    bounded(env, name, default, 1..=86_400).map(Duration::from_secs)
}

/// A number with a default that must fall within `range`.
fn bounded<T>(env: &Env, name: &str, default: T, range: std::ops::RangeInclusive<T>) -> Result<T, ConfigError>
where
    T: FromStr + PartialOrd + Display + Copy,
    T::Err: Display,
{
    let value = env.parse_or(name, default)?;
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::invalid(name, format!("must be between {} and {}", range.start(), range.end())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_limits_have_defaults_and_refuse_zero() {
        let settings = HttpSettings::from_env(&Env::default(), "AUTH_PORT", 8081).unwrap();
        assert_eq!(settings.header_read_timeout, Duration::from_secs(10));
        assert_eq!(settings.idle_timeout, Duration::from_secs(60));
        assert_eq!(settings.max_connections, 4096);
        for name in ["HTTP_HEADER_READ_TIMEOUT_SECS", "HTTP_IDLE_TIMEOUT_SECS", "HTTP_MAX_CONNECTIONS"] {
            let err = HttpSettings::from_env(&Env::from_pairs([(name, "0")]), "AUTH_PORT", 8081).unwrap_err();
            assert_eq!(err.name, name);
        }
    }

    #[test]
    fn the_admin_port_follows_the_port_unless_set() {
        let settings = HttpSettings::from_env(&Env::default(), "AUTH_PORT", 8081).unwrap();
        assert_eq!(settings.admin_port, 9081);
        let env = Env::from_pairs([("AUTH_ADMIN_PORT", "9999")]);
        assert_eq!(HttpSettings::from_env(&env, "AUTH_PORT", 8081).unwrap().admin_port, 9999);
        assert_eq!(HttpSettings::from_env(&Env::default(), "AUTH_PORT", 0).unwrap().admin_port, 0);
        let same = Env::from_pairs([("AUTH_ADMIN_PORT", "8081")]);
        assert_eq!(HttpSettings::from_env(&same, "AUTH_PORT", 8081).unwrap_err().name, "AUTH_ADMIN_PORT");
    }

    #[test]
    fn a_missing_required_setting_names_the_variable() {
        let err = Env::default().require::<u16>("AUTH_PORT").unwrap_err();
        assert_eq!(err.to_string(), "configuration error: AUTH_PORT is required but not set");
    }

    #[test]
    fn a_malformed_setting_names_the_variable_without_its_value() {
        let env = Env::from_pairs([("AUTH_PORT", "eighty")]);
        let err = env.parse::<u16>("AUTH_PORT").unwrap_err();
        assert!(err.to_string().starts_with("configuration error: AUTH_PORT is malformed"));
        assert!(!err.to_string().contains("eighty"));
    }

    #[test]
    fn an_empty_setting_counts_as_unset() {
        let env = Env::from_pairs([("AUTH_PORT", "")]);
        assert_eq!(env.parse_or("AUTH_PORT", 8081u16).unwrap(), 8081);
    }

    #[test]
    fn http_is_plain_unless_both_tls_files_are_set() {
        let settings = HttpSettings::from_env(&Env::default(), "AUTH_PORT", 8081).unwrap();
        assert!(settings.tls.is_none());
        assert_eq!(settings.client_tls.extra_roots(), 0);
        let half = Env::from_pairs([("TLS_CERT_FILE", "/etc/shopper/tls.crt")]);
        let err = HttpSettings::from_env(&half, "AUTH_PORT", 8081).unwrap_err();
        assert_eq!(err.name, "TLS_KEY_FILE");
    }

    #[test]
    fn lists_skip_blank_items() {
        let env = Env::from_pairs([("CORS_ALLOWED_ORIGINS", " https://a.example, ,https://b.example ")]);
        assert_eq!(env.list("CORS_ALLOWED_ORIGINS").unwrap(), ["https://a.example", "https://b.example"]);
    }
}
