use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use common::db::{self, Pool};
use events::{Envelope, UserDeleted};
use lapin::{
    BasicProperties, Channel, Connection, ConnectionProperties,
    options::{BasicGetOptions, BasicPublishOptions},
};
use messaging::{
    Broker, BrokerSettings, Consumer, ConsumerSettings, HandlerError, Handles, Subscriptions,
    declare_exchange,
};
use sqlx::{Connection as _, MySqlConnection};
use testkit::TcpProxy;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub use testkit::{amqp_url, database_url};

/// `host:port` of the broker, for the proxy.
pub fn amqp_address() -> String {
    let uri: lapin::uri::AMQPUri = amqp_url().parse().unwrap();
    format!("{}:{}", uri.authority.host, uri.authority.port)
}

/// A fresh schema with the messaging tables and an `effects` table for test handlers.
pub struct Schema {
    pub name: String,
    pub pool: Pool,
}

impl Schema {
    pub async fn create() -> Self {
        let name = format!("test_msg_{}", Uuid::now_v7().simple());
        let mut server = MySqlConnection::connect(&database_url()).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE `{name}`")))
            .execute(&mut server)
            .await
            .unwrap();
        let options = format!("{}/{name}", database_url()).parse().unwrap();
        let pool = Pool::new(options, 10);
        sqlx::raw_sql(messaging::SCHEMA_SQL).execute(&pool).await.unwrap();
        sqlx::raw_sql("CREATE TABLE effects (event_id BINARY(16) NOT NULL, applied_at DATETIME(6) NOT NULL)")
            .execute(&pool)
            .await
            .unwrap();
        Self { name, pool }
    }

    pub async fn effects(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM effects").fetch_one(&self.pool).await.unwrap()
    }

    pub async fn pending(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        testkit::drop_schema(&self.name);
    }
}

/// A unique exchange and service name per test, so tests never see each other's messages.
pub struct Names {
    pub exchange: String,
    pub service: &'static str,
}

impl Names {
    pub fn unique() -> Self {
        let id = Uuid::now_v7().simple().to_string();
        Self {
            exchange: format!("test.events.{id}"),
            service: Box::leak(format!("test-{id}").into_boxed_str()),
        }
    }

    pub fn broker(&self, url: &str) -> Broker {
        Broker::new(
            BrokerSettings {
                url: url.to_owned(),
                exchange: self.exchange.clone(),
                queue_prefix: String::new(),
            },
            self.service,
        )
    }
}

impl Drop for Names {
    fn drop(&mut self) {
        testkit::delete_exchange(&self.exchange);
    }
}

/// Fast retries and self-deleting queues, for tests.
pub fn fast_consumer_settings(retries: usize) -> ConsumerSettings {
    ConsumerSettings {
        prefetch: 8,
        retry_delays: (1..=retries as u64).map(|i| Duration::from_millis(50 * i)).collect(),
        idle_queue_expiry: Some(Duration::from_secs(60)),
        max_backoff: Duration::from_millis(500),
        ..Default::default()
    }
}

/// What the test handler does on each call.
#[derive(Clone, Default)]
pub struct Script {
    /// Fail this many calls before succeeding.
    pub failures: usize,
    /// Reject every call.
    pub reject: bool,
    /// Panic on the first call.
    pub panic_first: bool,
    /// Cut this proxy on the first call, after the effect is written.
    pub cut_on_first_call: Option<Arc<TcpProxy>>,
}

/// Writes one row into `effects` per applied event.
#[derive(Clone)]
pub struct Recorder {
    pub calls: Arc<AtomicUsize>,
    pub traces: Arc<std::sync::Mutex<Vec<Option<String>>>>,
    script: Script,
}

impl Recorder {
    pub fn new(script: Script) -> Self {
        Self { calls: Arc::default(), traces: Arc::default(), script }
    }
}

impl Handles<UserDeleted> for Recorder {
    async fn handle(
        &self,
        _: UserDeleted,
        envelope: &Envelope,
        tx: &mut db::Connection,
    ) -> Result<(), HandlerError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        self.traces.lock().unwrap().push(common::telemetry::current_trace_id());
        assert!(!(self.script.panic_first && call == 0), "the handler blows up");
        if self.script.reject {
            return Err(HandlerError::Reject("this event can never apply".into()));
        }
        if call < self.script.failures {
            return Err(HandlerError::Retry { reason: format!("failure {call}"), after: None });
        }
        sqlx::query("INSERT INTO effects (event_id, applied_at) VALUES (?, NOW(6))")
            .bind(envelope.id)
            .execute(&mut *tx)
            .await?;
        if let Some(proxy) = self.script.cut_on_first_call.as_ref().filter(|_| call == 0) {
            proxy.cut();
        }
        Ok(())
    }
}

/// Starts a consumer in the background; stops with the returned token.
pub fn spawn_consumer(
    schema: &Schema,
    broker: Broker,
    names: &Names,
    handler: Recorder,
    settings: ConsumerSettings,
) -> CancellationToken {
    let stop = CancellationToken::new();
    let subscriptions = Subscriptions::new().on::<UserDeleted>();
    let consumer =
        Consumer::new(names.service, schema.pool.clone(), broker, subscriptions, handler, settings);
    tokio::spawn(consumer.run(stop.clone()));
    stop
}

/// A plain connection to the real broker, for the test's own publishing and inspection.
pub struct TestBroker {
    connection: Connection,
}

impl TestBroker {
    pub async fn connect() -> Self {
        Self { connection: Connection::connect(&amqp_url(), ConnectionProperties::default()).await.unwrap() }
    }

    pub async fn channel(&self) -> Channel {
        self.connection.create_channel().await.unwrap()
    }

    pub async fn wait_for_queue(&self, queue: &str) {
        testkit::wait_for_consumer(queue).await;
    }
}

pub async fn publish_raw(channel: &Channel, exchange: &str, routing_key: &str, body: &[u8]) {
    declare_exchange(channel, exchange).await.unwrap();
    channel
        .basic_publish(
            exchange.into(),
            routing_key.into(),
            BasicPublishOptions::default(),
            body,
            BasicProperties::default().with_delivery_mode(2),
        )
        .await
        .unwrap()
        .await
        .unwrap();
}

pub async fn publish_envelope(channel: &Channel, exchange: &str, envelope: &Envelope) {
    publish_raw(channel, exchange, &envelope.kind, &serde_json::to_vec(envelope).unwrap()).await;
}

/// Takes one message from a queue, if any.
pub async fn take(channel: &Channel, queue: &str) -> Option<lapin::message::BasicGetMessage> {
    channel.basic_get(queue.into(), BasicGetOptions { no_ack: true }).await.ok().flatten()
}

/// Waits for a message on a queue.
pub async fn take_eventually(channel: &Channel, queue: &str, what: &str) -> lapin::message::BasicGetMessage {
    testkit::eventually_some(what, || take(channel, queue)).await
}

pub use testkit::eventually;

pub fn deleted_event() -> Envelope {
    Envelope::new(&UserDeleted { user_id: Uuid::now_v7() }).unwrap()
}
