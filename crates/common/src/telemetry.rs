//! Tracing setup: JSON lines for machines, pretty text for people.

use std::str::FromStr;

use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::{ConfigError, Env};

/// Output format of the logs (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object a line, for log shippers.
    Json,
    /// Human-readable, for a terminal.
    Pretty,
}

impl FromStr for LogFormat {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(Self::Json),
            "pretty" => Ok(Self::Pretty),
            _ => Err("expected `json` or `pretty`"),
        }
    }
}

/// How a process logs.
#[derive(Debug, Clone)]
pub struct TelemetrySettings {
    /// `LOG_FORMAT`, `pretty` by default.
    pub format: LogFormat,
    /// `RUST_LOG` directives, `info` by default.
    pub filter: String,
}

impl TelemetrySettings {
    /// Reads `LOG_FORMAT` and `RUST_LOG`, checking the filter's syntax.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let filter = env.text("RUST_LOG")?.unwrap_or_else(|| "info".into());
        EnvFilter::try_new(&filter).map_err(|e| ConfigError::invalid("RUST_LOG", e))?;
        Ok(Self { format: env.parse_or("LOG_FORMAT", LogFormat::Pretty)?, filter })
    }
}

/// Installs the global subscriber. Call once per process, before anything logs.
pub fn init(settings: &TelemetrySettings) {
    let filter = EnvFilter::new(&settings.filter);
    let registry = tracing_subscriber::registry().with(filter);
    // `try_init` so a second call (tests start many apps in one process) is harmless.
    let _ = match settings.format {
        LogFormat::Json => {
            registry.with(fmt::layer().json().flatten_event(true).with_current_span(true)).try_init()
        }
        LogFormat::Pretty => registry.with(fmt::layer().compact()).try_init(),
    };
}
