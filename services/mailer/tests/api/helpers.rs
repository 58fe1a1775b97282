use std::time::Duration;

use events::{Envelope, Event, UserRegistered};
use lapin::{Connection, ConnectionProperties, options::BasicGetOptions};
use mailer::MailerService;
use sqlx::MySqlPool;
use testkit::{Spawned, TestRun};
use uuid::Uuid;
use wiremock::MockServer;

pub const API_KEY: &str = "SG.test-key";

/// A running mailer on its own schema, exchange and queues, sending to a wiremock SendGrid.
pub struct TestMailer {
    pub address: String,
    /// The admin port's base URL (metrics).
    pub admin_address: String,
    pub pool: MySqlPool,
    pub queue_prefix: String,
    pub sendgrid: MockServer,
    broker: Connection,
    _service: Spawned,
    run: TestRun,
}

impl TestMailer {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    pub async fn spawn_with(extra: &[(&str, &str)]) -> Self {
        Self::spawn_in(TestRun::new(), extra).await
    }

    /// Starts the mailer in `run` (whose schema and queues a test may have prepared).
    pub async fn spawn_in(run: TestRun, extra: &[(&str, &str)]) -> Self {
        let sendgrid = MockServer::start().await;
        let sendgrid_url = sendgrid.uri();
        let mut settings = vec![
            ("SENDGRID_BASE_URL", sendgrid_url.as_str()),
            ("SENDGRID_API_KEY", API_KEY),
            ("MAIL_FROM_EMAIL", "welcome@shop.example"),
            ("RETRY_DELAYS_MS", "50,100,1000,2000"),
        ];
        settings.extend_from_slice(extra);
        let service = run.spawn_with::<MailerService>(&settings).await;
        let broker =
            Connection::connect(&testkit::amqp_url(), ConnectionProperties::default()).await.unwrap();
        Self {
            address: service.url.clone(),
            admin_address: service.admin_url.clone(),
            pool: service.pool.clone(),
            queue_prefix: service.queue_prefix.clone(),
            sendgrid,
            broker,
            _service: service,
            run,
        }
    }

    pub fn queue(&self, suffix: &str) -> String {
        format!("{}mailer.{suffix}", self.queue_prefix)
    }

    /// Publishes an event as auth would.
    pub async fn publish(&self, envelope: &Envelope) {
        self.run.publish(envelope).await;
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
        let waited = format!("the mail of {event_id} becomes {status}");
        testkit::eventually_some(&waited, || async {
            self.record(event_id).await.filter(|record| record.0 == status)
        })
        .await
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
    Envelope::new(&event).unwrap()
}

/// Lets any extra (unwanted) attempt happen before counting.
pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(500)).await;
}
