//! The consumer runner: effect and inbox record in one transaction, ack after commit, retries
//! with growing delays, parking after the last attempt or at once for what can never succeed.
//!
//! - [`settings`]: what an operator tunes.
//! - [`settle`]: what happens to one delivery once its handler has answered.
//! - [`retry`]: which retry queue a failure goes to.
//! - [`inbox`]: recognising redeliveries, and forgetting them after the retention.

mod inbox;
mod retry;
mod settings;
mod settle;

use std::{sync::Arc, time::Duration};

use common::db::{Connection, Pool};
use events::Envelope;
use futures_util::StreamExt;
use lapin::{
    Channel,
    options::{BasicConsumeOptions, BasicQosOptions, ConfirmSelectOptions},
    types::FieldTable,
};

use tokio_util::sync::CancellationToken;

pub use settings::ConsumerSettings;

use crate::{Broker, Outbox, QueueNames, Subscriptions, handler::HandlerFuture, topology::declare_consumer};

/// A service's subscriptions with the handler state they apply events with, behind one object
/// so the runner is not generic.
trait Apply: Send + Sync + 'static {
    fn event_types(&self) -> Vec<&'static str>;
    fn handle<'a>(&'a self, envelope: &'a Envelope, tx: &'a mut Connection) -> HandlerFuture<'a>;
    fn committed(&self, envelope: &Envelope);
}

struct Bound<H> {
    subscriptions: Subscriptions<H>,
    handlers: H,
}

impl<H: Send + Sync + 'static> Apply for Bound<H> {
    fn event_types(&self) -> Vec<&'static str> {
        self.subscriptions.event_types()
    }
    fn handle<'a>(&'a self, envelope: &'a Envelope, tx: &'a mut Connection) -> HandlerFuture<'a> {
        self.subscriptions.handle(&self.handlers, envelope, tx)
    }
    fn committed(&self, envelope: &Envelope) {
        self.subscriptions.committed(&self.handlers, envelope);
    }
}

/// Consumes one service's queue with its subscriptions.
pub struct Consumer {
    service: &'static str,
    pool: Pool,
    broker: Broker,
    handler: Arc<dyn Apply>,
    settings: ConsumerSettings,
    names: QueueNames,
    outbox: Option<Outbox>,
}

impl Consumer {
    /// A consumer for `service` (its queues are named after it), applying each subscribed event
    /// with `handlers`.
    pub fn new<H: Send + Sync + 'static>(
        service: &'static str,
        pool: Pool,
        broker: Broker,
        subscriptions: Subscriptions<H>,
        handlers: H,
        settings: ConsumerSettings,
    ) -> Self {
        let names = broker.queue_names(service);
        let handler = Arc::new(Bound { subscriptions, handlers });
        Self { service, pool, broker, handler, settings, names, outbox: None }
    }

    /// Wakes this service's outbox relay after each handled message, so events a handler stages
    /// go out at once instead of at the relay's next poll (a saga step each way).
    pub fn waking(mut self, outbox: Outbox) -> Self {
        self.outbox = Some(outbox);
        self
    }

    /// Declares this consumer's queues and bindings (see [`declare_queues`]).
    pub async fn declare_topology(&self) -> anyhow::Result<()> {
        declare_queues(&self.broker, self.service, &self.handler.event_types(), &self.settings).await
    }

    /// Consumes until `shutdown`, reconnecting with backoff whenever the broker goes away.
    pub async fn run(self, shutdown: CancellationToken) {
        tokio::spawn(inbox::prune(
            self.service,
            self.pool.clone(),
            self.settings.inbox_retention,
            shutdown.clone(),
        ));
        let mut backoff = Duration::from_millis(100);
        loop {
            let session = tokio::select! {
                result = self.open() => result,
                () = shutdown.cancelled() => break,
            };
            match session {
                Ok(channel) => {
                    backoff = Duration::from_millis(100);
                    if let Err(error) = self.consume(&channel, &shutdown).await {
                        tracing::warn!(
                            service = self.service,
                            error = format!("{error:#}"),
                            "consumer lost the broker; reconnecting"
                        );
                    }
                    if shutdown.is_cancelled() {
                        break;
                    }
                }
                Err(error) => {
                    tracing::warn!(
                        service = self.service,
                        error = format!("{error:#}"),
                        ?backoff,
                        "consumer cannot reach the broker; retrying"
                    );
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = shutdown.cancelled() => break,
                    }
                    backoff = (backoff * 2).min(self.settings.max_backoff);
                }
            }
        }
        tracing::info!(service = self.service, "consumer stopped");
    }

    /// A channel with the topology declared, confirms on (for republishing), and prefetch set.
    /// Declaring and consuming on one channel keeps the two together across reconnections.
    async fn open(&self) -> anyhow::Result<Channel> {
        let channel = self.broker.channel().await?;
        channel.confirm_select(ConfirmSelectOptions::default()).await?;
        channel.basic_qos(self.settings.prefetch, BasicQosOptions::default()).await?;
        declare_on(&channel, &self.broker, &self.names, &self.handler.event_types(), &self.settings).await?;
        Ok(channel)
    }

    async fn consume(&self, channel: &Channel, shutdown: &CancellationToken) -> anyhow::Result<()> {
        let deliveries = channel
            .basic_consume(
                self.names.events.as_str().into(),
                format!("{}-{}", self.service, uuid::Uuid::now_v7()).into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        tracing::info!(service = self.service, queue = %self.names.events, "consuming");
        let stream = deliveries.take_until(shutdown.cancelled());
        let concurrency = usize::from(self.settings.prefetch.max(1));
        let mut failure: Option<anyhow::Error> = None;
        let mut stream = std::pin::pin!(stream);
        // Deliveries are handled concurrently up to the prefetch; each one independently.
        let mut in_flight = futures_util::stream::FuturesUnordered::new();
        loop {
            tokio::select! {
                next = stream.next(), if in_flight.len() < concurrency => match next {
                    Some(Ok(delivery)) => in_flight.push(self.settle(channel, delivery)),
                    Some(Err(error)) => { failure = Some(error.into()); break; }
                    None => break,
                },
                Some(result) = in_flight.next(), if !in_flight.is_empty() => {
                    if let Err(error) = result { failure = Some(error); break; }
                }
            }
        }
        // Let what was started finish (or fail) before the channel goes.
        while let Some(result) = in_flight.next().await {
            if let Err(error) = result {
                failure.get_or_insert(error);
            }
        }
        match failure {
            Some(error) => Err(error),
            None if shutdown.is_cancelled() => Ok(()),
            None => Err(anyhow::anyhow!("the broker ended the consumer")),
        }
    }
}

/// Declares a consuming service's queues, bound to `event_types`. Run it before any producer
/// publishes (the `migrate` step does), or events published before the consumer first starts
/// would find no queue bound and be dropped by the exchange. Needs no handler: the `migrate`
/// step calls it with a service's subscribed types alone.
pub async fn declare_queues(
    broker: &Broker,
    service: &str,
    event_types: &[&'static str],
    settings: &ConsumerSettings,
) -> anyhow::Result<()> {
    // On a connection of its own, dropped (not closed) when done: lapin turns an explicit
    // close racing its own close-on-drop into a connection error for every channel on it.
    let setup = broker.detached();
    let channel = setup.channel().await?;
    declare_on(&channel, broker, &broker.queue_names(service), event_types, settings).await
}

async fn declare_on(
    channel: &Channel,
    broker: &Broker,
    names: &QueueNames,
    event_types: &[&'static str],
    settings: &ConsumerSettings,
) -> anyhow::Result<()> {
    declare_consumer(
        channel,
        broker.exchange(),
        names,
        event_types,
        &settings.retry_delays,
        settings.idle_queue_expiry,
    )
    .await?;
    Ok(())
}
