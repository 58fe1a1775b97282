use std::time::Duration;

use common::{cli::Service, config::Env};
use events::{Envelope, Event, UserRegistered};
use lapin::{
    BasicProperties, Connection, ConnectionProperties,
    options::{BasicGetOptions, BasicPublishOptions},
};
use mailer::{App, MailerConfig};
use sqlx::MySqlPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use wiremock::MockServer;

pub const API_KEY: &str = "SG.test-key";

/// A running mailer on its own schema, exchange and queues, sending to a wiremock SendGrid.
pub struct TestMailer {
    pub address: String,
    /// The admin port's base URL (metrics).
    pub admin_address: String,
    pub pool: MySqlPool,
    pub schema: String,
    pub exchange: String,
    pub queue_prefix: String,
    pub sendgrid: MockServer,
    broker: Connection,
    shutdown: CancellationToken,
}

impl TestMailer {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    pub async fn spawn_with(extra: &[(&str, &str)]) -> Self {
        let sendgrid = MockServer::start().await;
        let id = Uuid::now_v7().simple().to_string();
        let schema = format!("test_mailer_{id}");
        let exchange = format!("test.events.{id}");
        let queue_prefix = format!("test-{id}.");
        let url = testkit::database_url();
        let sendgrid_url = sendgrid.uri();
        let mut pairs = vec![
            ("MAILER_PORT", "0"),
            ("BIND_ADDRESS", "127.0.0.1"),
            ("DATABASE_URL", url.as_str()),
            ("MAILER_DATABASE", schema.as_str()),
            ("AMQP_EXCHANGE", exchange.as_str()),
            ("AMQP_QUEUE_PREFIX", queue_prefix.as_str()),
            ("SENDGRID_BASE_URL", sendgrid_url.as_str()),
            ("SENDGRID_API_KEY", API_KEY),
            ("MAIL_FROM_EMAIL", "welcome@shop.example"),
            ("RETRY_DELAYS_MS", "50,100,1000,2000"),
        ];
        pairs.extend_from_slice(extra);
        let env = Env::from_pairs(pairs);
        let setting = |name: &str| env.text(name).unwrap().unwrap();
        let (schema, exchange, queue_prefix) =
            (setting("MAILER_DATABASE"), setting("AMQP_EXCHANGE"), setting("AMQP_QUEUE_PREFIX"));
        let mut config = MailerConfig::from_env(&env).expect("test configuration");
        config.consumer.idle_queue_expiry = Some(Duration::from_secs(60));
        let app = App::build(config).await.expect("the mailer starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let admin_address = format!("http://127.0.0.1:{}", app.admin_port());
        let shutdown = CancellationToken::new();
        tokio::spawn(app.run(shutdown.clone()));
        let pool = MySqlPool::connect(&format!("{url}/{schema}")).await.unwrap();
        let broker =
            Connection::connect(&testkit::amqp_url(), ConnectionProperties::default()).await.unwrap();
        let mailer =
            Self { address, admin_address, pool, schema, exchange, queue_prefix, sendgrid, broker, shutdown };
        testkit::wait_for_consumer(&mailer.queue("events")).await;
        mailer
    }

    pub fn queue(&self, suffix: &str) -> String {
        format!("{}mailer.{suffix}", self.queue_prefix)
    }

    /// Publishes an event as auth would.
    pub async fn publish(&self, envelope: &Envelope) {
        let channel = self.broker.create_channel().await.unwrap();
        channel.confirm_select(Default::default()).await.unwrap();
        channel
            .basic_publish(
                self.exchange.as_str().into(),
                envelope.kind.as_str().into(),
                BasicPublishOptions::default(),
                &serde_json::to_vec(envelope).unwrap(),
                BasicProperties::default().with_delivery_mode(2),
            )
            .await
            .unwrap()
            .await
            .unwrap();
    }

    /// Takes a message from one of the mailer's queues, waiting up to ten seconds.
    pub async fn take_from(&self, suffix: &str) -> Option<lapin::message::BasicGetMessage> {
        self.take_within(suffix, 200).await
    }

    /// Whether one of the mailer's queues is empty now.
    pub async fn is_empty(&self, suffix: &str) -> bool {
        self.take_within(suffix, 1).await.is_none()
    }

    async fn take_within(&self, suffix: &str, tries: usize) -> Option<lapin::message::BasicGetMessage> {
        let channel = self.broker.create_channel().await.unwrap();
        for _ in 0..tries {
            if let Ok(Some(message)) =
                channel.basic_get(self.queue(suffix).as_str().into(), BasicGetOptions { no_ack: true }).await
            {
                return Some(message);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }

    /// The sent-mail record of an event: status and attempts.
    pub async fn record(&self, event_id: Uuid) -> Option<(String, i32, Option<String>)> {
        sqlx::query_as("SELECT status, attempts, provider_message_id FROM sent_mail WHERE event_id = ?")
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await
            .unwrap()
    }

    /// Waits until the event's mail reaches `status`.
    pub async fn wait_for_status(&self, event_id: Uuid, status: &str) -> (String, i32, Option<String>) {
        for _ in 0..200 {
            if let Some(record) = self.record(event_id).await.filter(|r| r.0 == status) {
                return record;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the mail of {event_id} never became {status}: {:?}", self.record(event_id).await);
    }
}

impl Drop for TestMailer {
    fn drop(&mut self) {
        self.shutdown.cancel();
        testkit::drop_schema(&self.schema);
        testkit::delete_exchange(&self.exchange);
    }
}

pub fn registered(email: &str, name: &str) -> Envelope {
    let event = UserRegistered {
        user_id: Uuid::now_v7(),
        email: email.into(),
        name: name.into(),
        role: "customer".into(),
    };
    assert_eq!(UserRegistered::TYPE, "user.registered");
    Envelope::new(&event, None).unwrap()
}

/// Lets any extra (unwanted) attempt happen before counting.
pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(500)).await;
}
