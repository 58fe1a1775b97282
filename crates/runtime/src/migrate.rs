//! The `migrate` command: what a deployment runs once before starting replicas.

use std::time::Duration;

use common::db;
use messaging::{Broker, declare_queues};

use crate::{Service, SharedSettings};

/// Creates `S`'s schema if needed, applies its migrations, and declares its queues from its
/// subscriptions, so events published before it first runs wait for it instead of being dropped
/// by the exchange. Nothing of the service itself is built or read: no handler state, no outside
/// client, none of its own settings (so the step needs no payment or mail credentials).
pub async fn migrate<S: Service>(settings: &SharedSettings) -> anyhow::Result<()> {
    let pool = db::connect(&settings.database).await?;
    let migrated = db::migrate(&pool, &S::MIGRATOR).await;
    pool.close().await;
    migrated?;
    let event_types = S::subscriptions().event_types();
    if event_types.is_empty() {
        return Ok(());
    }
    let broker = Broker::new(settings.broker.clone(), S::NAME);
    declare_when_the_broker_answers(&broker, S::NAME, &event_types, settings).await
}

/// How long `migrate` keeps asking a broker that does not answer yet: a deployment may start the
/// step together with RabbitMQ, and a broker busy deleting queues can miss a connection deadline.
const BROKER_WAIT: Duration = Duration::from_secs(60);
const BROKER_RETRY_EVERY: Duration = Duration::from_secs(2);

async fn declare_when_the_broker_answers(
    broker: &Broker,
    service: &str,
    event_types: &[&'static str],
    settings: &SharedSettings,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + BROKER_WAIT;
    loop {
        match declare_queues(broker, service, event_types, &settings.consumer).await {
            Err(error) if tokio::time::Instant::now() + BROKER_RETRY_EVERY < deadline => {
                tracing::warn!(error = format!("{error:#}"), "cannot declare the queues yet; retrying");
                tokio::time::sleep(BROKER_RETRY_EVERY).await;
            }
            declared => return declared,
        }
    }
}
