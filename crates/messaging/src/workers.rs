//! A service's messaging work around its HTTP server, started and stopped in the right order.

use std::{pin::Pin, time::Duration};

use tokio_util::sync::CancellationToken;

use crate::{Broker, Consumer, OutboxRelay};

type Task = Box<dyn FnOnce(CancellationToken) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// The consumer, outbox relay and background tasks of one service, sharing its broker connection.
pub struct Workers {
    broker: Broker,
    consumer: Option<Consumer>,
    relay: Option<OutboxRelay>,
    tasks: Vec<Task>,
}

impl Workers {
    /// No workers yet, on `broker`.
    pub fn new(broker: Broker) -> Self {
        Self { broker, consumer: None, relay: None, tasks: Vec::new() }
    }

    /// Adds the service's consumer, declaring its queues now if the broker answers within a few
    /// seconds (otherwise the consumer declares them when it connects).
    pub async fn with_consumer(mut self, consumer: Consumer) -> Self {
        match tokio::time::timeout(Duration::from_secs(5), consumer.declare_topology()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = format!("{e:#}"), "cannot declare the queues yet"),
            Err(_) => tracing::warn!("cannot declare the queues yet: the broker does not answer"),
        }
        self.consumer = Some(consumer);
        self
    }

    /// Adds the service's outbox relay.
    pub fn with_relay(mut self, relay: OutboxRelay) -> Self {
        self.relay = Some(relay);
        self
    }

    /// Adds a background task that runs with the consumer and stops with `shutdown`, before the
    /// relay's last flush, so whatever it stages still goes out.
    pub fn with_task<F>(mut self, task: impl FnOnce(CancellationToken) -> F + Send + 'static) -> Self
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tasks.push(Box::new(move |stop| Box::pin(task(stop))));
        self
    }

    /// Runs the workers while `serve` runs. `serve` must return once `shutdown` is cancelled and
    /// its requests drained. The consumer stops with `shutdown`; the relay keeps going until the
    /// server has drained, so events of the last requests still go out.
    pub async fn run_around(
        self,
        shutdown: CancellationToken,
        serve: impl Future<Output = anyhow::Result<()>>,
    ) -> anyhow::Result<()> {
        let relay_stop = CancellationToken::new();
        let relay = self.relay.map(|relay| tokio::spawn(relay.run(relay_stop.clone())));
        let consumer = self.consumer.map(|consumer| tokio::spawn(consumer.run(shutdown.clone())));
        let tasks: Vec<_> = self.tasks.into_iter().map(|task| tokio::spawn(task(shutdown.clone()))).collect();
        let served = serve.await;
        // A server that failed stops the rest too; after a clean stop this changes nothing.
        shutdown.cancel();
        if let Some(consumer) = consumer {
            let _ = consumer.await;
        }
        for task in tasks {
            let _ = task.await;
        }
        relay_stop.cancel();
        if let Some(relay) = relay {
            let _ = relay.await;
        }
        // The connection closes as its last handle drops; closing it while lapin still closes the
        // consumer's channel only produces error noise.
        drop(self.broker);
        served
    }
}

/// The `migrate` command of a service that consumes: create the schema if needed, apply the
/// migrations, and declare the service's queues, so events published before it first runs wait
/// for it instead of being dropped by the exchange.
pub async fn migrate_with_queues(
    database: &common::db::DatabaseSettings,
    migrator: &sqlx::migrate::Migrator,
    consumer: impl FnOnce(&sqlx::MySqlPool) -> anyhow::Result<Consumer>,
) -> anyhow::Result<()> {
    let pool = common::db::connect(database).await?;
    common::db::migrate(&pool, migrator).await?;
    let declared = match consumer(&pool) {
        Ok(consumer) => declare_when_the_broker_answers(&consumer).await,
        Err(e) => Err(e),
    };
    pool.close().await;
    declared
}

/// How long `migrate` keeps asking a broker that does not answer yet: a deployment may start the
/// step together with RabbitMQ, and a broker busy deleting queues can miss a connection deadline.
const BROKER_WAIT: Duration = Duration::from_secs(60);
const BROKER_RETRY_EVERY: Duration = Duration::from_secs(2);

async fn declare_when_the_broker_answers(consumer: &Consumer) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + BROKER_WAIT;
    loop {
        match consumer.declare_topology().await {
            Err(error) if tokio::time::Instant::now() + BROKER_RETRY_EVERY < deadline => {
                tracing::warn!(error = format!("{error:#}"), "cannot declare the queues yet; retrying");
                tokio::time::sleep(BROKER_RETRY_EVERY).await;
            }
            declared => return declared,
        }
    }
}
