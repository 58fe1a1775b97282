//! How a service consumes, read from the environment.

use std::time::Duration;

use common::config::{ConfigError, Env};

/// How a service consumes.
#[derive(Debug, Clone)]
pub struct ConsumerSettings {
    /// Deliveries in flight at once (the channel's prefetch).
    pub prefetch: u16,
    /// Delay before each retry; the number of delays plus one is the number of attempts.
    pub retry_delays: Vec<Duration>,
    /// Test suites only: delete the queues after this long unused.
    pub idle_queue_expiry: Option<Duration>,
    /// Longest wait between reconnection attempts.
    pub max_backoff: Duration,
    /// How long handled message ids are remembered. Far longer than any redelivery or retry can
    /// take; a parked message replayed after this would be applied again.
    pub inbox_retention: Duration,
}

impl ConsumerSettings {
    /// Reads `AMQP_PREFETCH` and `RETRY_DELAYS_MS` (comma-separated milliseconds).
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let prefetch = env.parse_or("AMQP_PREFETCH", defaults.prefetch)?;
        if prefetch == 0 {
            return Err(ConfigError::invalid("AMQP_PREFETCH", "must be at least 1"));
        }
        let retry_delays = match env.list("RETRY_DELAYS_MS")? {
            list if list.is_empty() => defaults.retry_delays,
            list => list
                .iter()
                .map(|ms| ms.parse::<u64>().map(Duration::from_millis))
                .collect::<Result<_, _>>()
                .map_err(|e| ConfigError::invalid("RETRY_DELAYS_MS", e))?,
        };
        Ok(Self { prefetch, retry_delays, ..defaults })
    }
}

impl Default for ConsumerSettings {
    fn default() -> Self {
        Self {
            prefetch: 32,
            retry_delays: [1, 5, 30, 120, 600].into_iter().map(Duration::from_secs).collect(),
            idle_queue_expiry: None,
            // A connection attempt every 2 s costs the broker nothing, and once it is back every
            // consumer and relay resumes within 2 s instead of after a long doubling backoff.
            max_backoff: Duration::from_secs(2),
            inbox_retention: Duration::from_secs(30 * 24 * 3600),
        }
    }
}
