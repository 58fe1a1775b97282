//! A service's messaging work around its HTTP server, started and stopped in the right order.

use std::time::Duration;

use messaging::{Broker, Consumer, OutboxRelay};
use tokio_util::sync::CancellationToken;

use crate::assembly::Task;

/// The consumer, outbox relay and background tasks of one service, sharing its broker connection.
pub(crate) struct Workers {
    broker: Broker,
    consumer: Option<Consumer>,
    relay: Option<OutboxRelay>,
    tasks: Vec<Task>,
}

impl Workers {
    /// No workers yet, on `broker`.
    pub(crate) fn new(broker: Broker) -> Self {
        Self { broker, consumer: None, relay: None, tasks: Vec::new() }
    }

    /// Adds the service's consumer, declaring its queues now if the broker answers within a few
    /// seconds (otherwise the consumer declares them when it connects).
    pub(crate) async fn with_consumer(mut self, consumer: Consumer) -> Self {
        match tokio::time::timeout(Duration::from_secs(5), consumer.declare_topology()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = format!("{e:#}"), "cannot declare the queues yet"),
            Err(_) => tracing::warn!("cannot declare the queues yet: the broker does not answer"),
        }
        self.consumer = Some(consumer);
        self
    }

    /// Adds the service's outbox relay.
    pub(crate) fn with_relay(mut self, relay: OutboxRelay) -> Self {
        self.relay = Some(relay);
        self
    }

    /// Adds the service's background tasks.
    pub(crate) fn with_tasks(mut self, tasks: Vec<Task>) -> Self {
        self.tasks.extend(tasks);
        self
    }

    /// Runs the workers while `serve` runs. `serve` must return once `shutdown` is cancelled and
    /// its requests drained. The consumer stops with `shutdown`; the relay keeps going until the
    /// server has drained, so events of the last requests still go out.
    pub(crate) async fn run_around(
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
