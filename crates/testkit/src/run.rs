//! One test's world, and the services it runs.
//!
//! A [`TestRun`] gives a test names nobody else uses (its exchange, its queue prefix, a schema
//! per service) and removes them when it is dropped, which also happens when the test fails.
//! [`TestRun::spawn`] starts any service exactly as its binary would (the same `runtime::build`),
//! on port 0, against the real MariaDB and RabbitMQ.

use std::{
    sync::{Mutex, Once},
    time::Duration,
};

use common::config::Env;
use events::{Envelope, Event};
use lapin::{BasicProperties, Connection, ConnectionProperties, options::BasicPublishOptions};
use runtime::{Config, Service};
use sqlx::MySqlPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{EventCollector, amqp_url, database_url, delete_exchange, drop_schema, wait_for_consumer};

/// A test's queues go a minute after its services stop consuming, so none pile up on the broker.
const QUEUE_EXPIRY: Duration = Duration::from_secs(60);

/// One test's names, settings and services; everything it made is removed on drop.
pub struct TestRun {
    id: String,
    /// The exchange this test's services publish to.
    pub exchange: String,
    /// Put before every queue name of this test.
    pub queue_prefix: String,
    settings: Vec<(String, String)>,
    made: Mutex<Made>,
    shutdown: CancellationToken,
}

#[derive(Default)]
struct Made {
    schemas: Vec<String>,
    exchanges: Vec<String>,
}

impl Default for TestRun {
    fn default() -> Self {
        Self::new()
    }
}

impl TestRun {
    /// Fresh names, and the settings every test service starts with: the real servers, this
    /// run's exchange and queue prefix, loopback only. `TEST_LOG=1` turns the services' logs on.
    pub fn new() -> Self {
        init_telemetry();
        let id = Uuid::now_v7().simple().to_string();
        let exchange = format!("test.events.{id}");
        let queue_prefix = format!("test-{id}.");
        let settings = [
            ("DATABASE_URL", database_url()),
            ("AMQP_URL", amqp_url()),
            ("AMQP_EXCHANGE", exchange.clone()),
            ("AMQP_QUEUE_PREFIX", queue_prefix.clone()),
            ("BIND_ADDRESS", "127.0.0.1".to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        let made = Mutex::new(Made { schemas: Vec::new(), exchanges: vec![exchange.clone()] });
        Self { id, exchange, queue_prefix, settings, made, shutdown: CancellationToken::new() }
    }

    /// Sets (or replaces) a setting for every service this run starts from now on.
    pub fn set(mut self, name: &str, value: &str) -> Self {
        self.settings.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The schema `S` gets in this run, unless a setting names another.
    pub fn schema_of<S: Service>(&self) -> String {
        format!("test_{}_{}", S::NAME, self.id)
    }

    /// `S`'s configuration in this run, with `extra` settings on top.
    pub fn config<S: Service>(&self, extra: &[(&str, &str)]) -> Config<S> {
        let upper = S::NAME.to_ascii_uppercase();
        let (port, database) = (format!("{upper}_PORT"), format!("{upper}_DATABASE"));
        let schema = self.schema_of::<S>();
        let mut pairs: Vec<(&str, &str)> = vec![(port.as_str(), "0"), (database.as_str(), schema.as_str())];
        pairs.extend(self.settings.iter().map(|(name, value)| (name.as_str(), value.as_str())));
        pairs.extend_from_slice(extra);
        // Later pairs win, so a test's own settings replace the run's.
        let mut config = Config::<S>::from_env(&Env::from_pairs(pairs)).expect("the test's settings");
        config.shared.consumer.idle_queue_expiry = Some(QUEUE_EXPIRY);
        config
    }

    /// The environment `S`'s binary gets in this run, with `extra` on top: for a test that runs
    /// the binary itself, as a deployment does. Its schema is removed with the run's.
    pub fn binary_env<S: Service>(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let upper = S::NAME.to_ascii_uppercase();
        let schema = self.schema_of::<S>();
        self.made.lock().expect("not poisoned").schemas.push(schema.clone());
        let mut pairs =
            vec![(format!("{upper}_PORT"), "0".to_owned()), (format!("{upper}_DATABASE"), schema)];
        pairs.extend(self.settings.iter().cloned());
        pairs.extend(extra.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())));
        pairs
    }

    /// Runs `S`'s `migrate` command: its schema, and its queues so nothing published is lost.
    pub async fn migrate<S: Service>(&self, extra: &[(&str, &str)]) {
        let config = self.config::<S>(extra);
        self.remember(&config);
        runtime::migrate::<S>(&config.shared).await.expect("the migrate command succeeds");
    }

    /// Starts `S` with this run's settings.
    pub async fn spawn<S: Service>(&self) -> Spawned {
        self.spawn_with::<S>(&[]).await
    }

    /// Starts `S` with `extra` settings on top of this run's, and waits until it consumes (its
    /// queues and bindings are then in place).
    pub async fn spawn_with<S: Service>(&self, extra: &[(&str, &str)]) -> Spawned {
        let spawned = self.start::<S>(extra).await;
        if !S::subscriptions().is_empty() {
            wait_for_consumer(&format!("{}{}.events", spawned.queue_prefix, S::NAME)).await;
        }
        spawned
    }

    /// Starts `S` without waiting for its consumer (a test of what happens before it has one).
    pub async fn start<S: Service>(&self, extra: &[(&str, &str)]) -> Spawned {
        let config = self.config::<S>(extra);
        self.remember(&config);
        let (schema, exchange) =
            (config.shared.database.schema.clone(), config.shared.broker.exchange.clone());
        let queue_prefix = config.shared.broker.queue_prefix.clone();
        let built = runtime::build(config).await.unwrap_or_else(|e| panic!("{} starts: {e:#}", S::NAME));
        let url = format!("http://127.0.0.1:{}", built.port());
        let admin_url = format!("http://127.0.0.1:{}", built.admin_port());
        let stop = self.shutdown.child_token();
        let server = tokio::spawn(built.run(stop.clone()));
        let pool = MySqlPool::connect(&format!("{}/{schema}", database_url())).await.expect("the schema");
        Spawned { url, admin_url, pool, schema, exchange, queue_prefix, stop, server: Some(server) }
    }

    fn remember<S: Service>(&self, config: &Config<S>) {
        let mut made = self.made.lock().expect("not poisoned");
        let schema = &config.shared.database.schema;
        if !made.schemas.contains(schema) {
            made.schemas.push(schema.clone());
        }
        let exchange = &config.shared.broker.exchange;
        if !made.exchanges.contains(exchange) {
            made.exchanges.push(exchange.clone());
        }
    }

    /// Publishes `envelope` on this run's exchange with publisher confirms, as a producer would.
    pub async fn publish(&self, envelope: &Envelope) {
        publish(&self.exchange, envelope).await;
    }

    /// Publishes `event` in a new envelope and returns the envelope.
    pub async fn publish_event<E: Event>(&self, event: &E) -> Envelope {
        let envelope = Envelope::new(event).expect("an event serialises");
        self.publish(&envelope).await;
        envelope
    }

    /// A queue that collects what this run's services publish with the given types.
    pub async fn collector(&self, types: &[&str]) -> EventCollector {
        EventCollector::bind(&self.exchange, types).await
    }
}

impl Drop for TestRun {
    fn drop(&mut self) {
        self.shutdown.cancel();
        let made = std::mem::take(&mut *self.made.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        for schema in &made.schemas {
            drop_schema(schema);
        }
        for exchange in &made.exchanges {
            delete_exchange(exchange);
        }
    }
}

/// A running service of a [`TestRun`]; stopped when dropped, or by [`Spawned::stop`].
pub struct Spawned {
    /// Its base URL, `http://127.0.0.1:<port>`.
    pub url: String,
    /// Its admin port's base URL (metrics).
    pub admin_url: String,
    /// A pool on its schema, for what a test checks in the database.
    pub pool: MySqlPool,
    /// Its schema.
    pub schema: String,
    /// The exchange it publishes to.
    pub exchange: String,
    /// Its queue prefix.
    pub queue_prefix: String,
    stop: CancellationToken,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Spawned {
    /// `url` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Stops it as an orchestrator would (SIGTERM) and waits until it has drained.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        self.stop.cancel();
        match self.server.take() {
            Some(server) => server.await.expect("the service task does not panic"),
            None => Ok(()),
        }
    }

    /// The token that stops it, for a test that stops it at a moment of its choosing.
    pub fn stopper(&self) -> CancellationToken {
        self.stop.clone()
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Publishes `envelope` on `exchange` and waits for the broker's confirm.
pub async fn publish(exchange: &str, envelope: &Envelope) {
    let connection =
        Connection::connect(&amqp_url(), ConnectionProperties::default()).await.expect("the broker");
    let channel = connection.create_channel().await.expect("a channel");
    channel.confirm_select(Default::default()).await.expect("confirms");
    channel
        .basic_publish(
            exchange.into(),
            envelope.kind.as_str().into(),
            BasicPublishOptions::default(),
            &serde_json::to_vec(envelope).expect("an envelope serialises"),
            BasicProperties::default().with_delivery_mode(2),
        )
        .await
        .expect("published")
        .await
        .expect("confirmed");
}

/// How long [`eventually`] waits: far beyond any healthy delay, short enough to fail a test
/// that waits for what never comes.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Waits until `check` holds, asking every 50 ms for up to [`PATIENCE`]; panics naming `what`.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Like [`eventually`], for a value: waits until `probe` returns `Some` and returns it.
pub async fn eventually_some<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while tokio::time::Instant::now() < deadline {
        if let Some(value) = probe().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

/// Installs the test process's telemetry as the services' binaries do: spans (so trace context
/// travels through requests and events), logs only with `TEST_LOG` set, and no export unless a
/// test installed its own first ([`common::telemetry::init`] keeps the first).
pub fn init_telemetry() {
    static TELEMETRY: Once = Once::new();
    TELEMETRY.call_once(|| {
        let mut settings =
            common::telemetry::TelemetrySettings::from_env(&Env::from_process()).expect("the log settings");
        settings.export = None;
        // Nothing to shut down: without export, nothing is queued.
        let _ = common::telemetry::init(&settings, "test", std::env::var_os("TEST_LOG").is_some());
    });
}
