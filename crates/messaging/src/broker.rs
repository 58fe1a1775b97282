//! The broker connection: established on demand, re-established after any failure.

use std::{fmt, future::Future, pin::Pin, sync::Arc, time::Duration};

use common::{
    config::{ConfigError, Env},
    http::Probe,
};
use lapin::{Channel, Connection, ConnectionProperties};
use tokio::sync::Mutex;

/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the broker is and which exchange carries the events.
#[derive(Clone)]
pub struct BrokerSettings {
    /// `AMQP_URL`; it may hold a password, so it is never logged.
    pub url: String,
    /// `AMQP_EXCHANGE`, `shopper.events` by default.
    pub exchange: String,
    /// `AMQP_QUEUE_PREFIX`, empty by default: put before every queue name, so several
    /// environments (or test runs) can share a virtual host without sharing queues.
    pub queue_prefix: String,
}

impl fmt::Debug for BrokerSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrokerSettings").field("exchange", &self.exchange).finish_non_exhaustive()
    }
}

impl BrokerSettings {
    /// Reads `AMQP_URL` and `AMQP_EXCHANGE`.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let url = env.text("AMQP_URL")?.unwrap_or_else(|| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
        if url.parse::<lapin::uri::AMQPUri>().is_err() {
            return Err(ConfigError::invalid("AMQP_URL", "not an amqp:// or amqps:// URL"));
        }
        let exchange = env.text("AMQP_EXCHANGE")?.unwrap_or_else(|| events::EXCHANGE.to_owned());
        let queue_prefix = env.text("AMQP_QUEUE_PREFIX")?.unwrap_or_default();
        Ok(Self { url, exchange, queue_prefix })
    }
}

/// A lazily (re)connected broker connection, shared by the relay and consumers of one service.
#[derive(Clone)]
pub struct Broker {
    settings: BrokerSettings,
    name: String,
    connection: Arc<Mutex<Option<Connection>>>,
}

impl Broker {
    /// A broker handle; nothing connects until a channel is asked for.
    pub fn new(settings: BrokerSettings, name: impl Into<String>) -> Self {
        Self { settings, name: name.into(), connection: Arc::default() }
    }

    /// A handle to the same broker with a connection of its own, for short jobs (declaring
    /// queues) that must not disturb the channels of the shared connection.
    pub fn detached(&self) -> Self {
        Self::new(self.settings.clone(), format!("{}-setup", self.name))
    }

    /// The exchange events go to.
    pub fn exchange(&self) -> &str {
        &self.settings.exchange
    }

    /// The names of `service`'s queues on this broker.
    pub fn queue_names(&self, service: &str) -> crate::QueueNames {
        crate::QueueNames::new(&format!("{}{service}", self.settings.queue_prefix))
    }

    /// A new channel on the current connection, connecting first when there is none or it
    /// dropped. Callers retry with backoff on error.
    pub async fn channel(&self) -> anyhow::Result<Channel> {
        let mut current = self.connection.lock().await;
        let usable = current.as_ref().is_some_and(|c| c.status().connected());
        if !usable {
            // The connection name shows in the management UI and `rabbitmqctl list_connections`.
            let properties = ConnectionProperties::default().with_connection_name(self.name.clone().into());
            let connection =
                tokio::time::timeout(CONNECT_TIMEOUT, Connection::connect(&self.settings.url, properties))
                    .await
                    .map_err(|_| anyhow::anyhow!("connecting to the broker timed out"))??;
            tracing::info!(connection = %self.name, "connected to the broker");
            *current = Some(connection);
        }
        match current.as_ref() {
            Some(connection) => Ok(connection.create_channel().await?),
            None => Err(anyhow::anyhow!("no broker connection")),
        }
    }

    /// Whether the connection is up now.
    pub async fn is_connected(&self) -> bool {
        self.connection.lock().await.as_ref().is_some_and(|c| c.status().connected())
    }

    /// Closes the connection, if any (at shutdown).
    pub async fn close(&self) {
        if let Some(connection) = self.connection.lock().await.take() {
            let _ = connection.close(200, "shutting down".into()).await;
        }
    }
}

impl Probe for Broker {
    fn is_up(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        Box::pin(self.is_connected())
    }
}
