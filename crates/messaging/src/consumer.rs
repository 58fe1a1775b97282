//! The consumer runner: effect and inbox record in one transaction, ack after commit, retries
//! with growing delays, parking after the last attempt or at once for what can never succeed.

use std::{future::Future, panic::AssertUnwindSafe, pin::Pin, sync::Arc, time::Duration};

use anyhow::Context;
use chrono::Utc;
use common::{db::is_unique_violation, trace_context::TraceContext};
use events::Envelope;
use futures_util::{FutureExt, StreamExt};
use lapin::{
    BasicProperties, Channel,
    message::Delivery,
    options::{
        BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions,
    },
    types::{AMQPValue, FieldTable},
};
use sqlx::{MySqlConnection, MySqlPool};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::{Broker, Outbox, QueueNames, headers, topology::declare_consumer};

/// Why a handler did not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Might work later (a dependency is down, the provider said "slow down"). Retried, not
    /// sooner than `after` when given.
    #[error("retry: {reason}")]
    Retry {
        /// What went wrong.
        reason: String,
        /// The earliest useful retry, e.g. from a `Retry-After` header.
        after: Option<Duration>,
    },
    /// Can never work (a malformed payload, a permanent refusal). Parked at once.
    #[error("rejected: {0}")]
    Reject(String),
    /// Anything unexpected; retried.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<sqlx::Error> for HandlerError {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<events::DecodeError> for HandlerError {
    fn from(error: events::DecodeError) -> Self {
        Self::Reject(error.to_string())
    }
}

/// The future a handler returns.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send + 'a>>;

/// Applies events to a service's state.
pub trait Handler: Send + Sync + 'static {
    /// The event types this handler wants; they become the queue's bindings.
    fn event_types(&self) -> Vec<&'static str>;

    /// Applies `envelope` inside `tx`. The runner commits `tx` (with the inbox record) when this
    /// returns `Ok`, and rolls it back otherwise.
    fn handle<'a>(&'a self, envelope: &'a Envelope, tx: &'a mut MySqlConnection) -> HandlerFuture<'a>;

    /// Called once the effect of `envelope` is committed, for in-process notifications (someone
    /// in this process waiting to see it). Never called for duplicates or failures.
    fn committed(&self, _envelope: &Envelope) {}
}

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
    pub fn from_env(env: &common::config::Env) -> Result<Self, common::config::ConfigError> {
        let defaults = Self::default();
        let prefetch = env.parse_or("AMQP_PREFETCH", defaults.prefetch)?;
        if prefetch == 0 {
            return Err(common::config::ConfigError::invalid("AMQP_PREFETCH", "must be at least 1"));
        }
        let retry_delays = match env.list("RETRY_DELAYS_MS")? {
            list if list.is_empty() => defaults.retry_delays,
            list => list
                .iter()
                .map(|ms| ms.parse::<u64>().map(Duration::from_millis))
                .collect::<Result<_, _>>()
                .map_err(|e| common::config::ConfigError::invalid("RETRY_DELAYS_MS", e))?,
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

/// Consumes one service's queue with one handler.
pub struct Consumer {
    service: &'static str,
    pool: MySqlPool,
    broker: Broker,
    handler: Arc<dyn Handler>,
    settings: ConsumerSettings,
    names: QueueNames,
    outbox: Option<Outbox>,
}

enum Outcome {
    Done,
    Duplicate,
    Retry { reason: String, after: Option<Duration> },
    Park(String),
}

impl Consumer {
    /// A consumer for `service` (its queues are named after it).
    pub fn new(
        service: &'static str,
        pool: MySqlPool,
        broker: Broker,
        handler: impl Handler,
        settings: ConsumerSettings,
    ) -> Self {
        let names = broker.queue_names(service);
        Self { service, pool, broker, handler: Arc::new(handler), settings, names, outbox: None }
    }

    /// Wakes this service's outbox relay after each handled message, so events a handler stages
    /// go out at once instead of at the relay's next poll (a saga step each way).
    pub fn waking(mut self, outbox: Outbox) -> Self {
        self.outbox = Some(outbox);
        self
    }

    /// Declares this consumer's queues and bindings. Run it before any
    /// producer publishes (the `migrate` step does), or events published before the consumer
    /// first starts would find no queue bound and be dropped by the exchange.
    pub async fn declare_topology(&self) -> anyhow::Result<()> {
        // On a connection of its own, dropped (not closed) when done: lapin turns an explicit
        // close racing its own close-on-drop into a connection error for every channel on it.
        let setup = self.broker.detached();
        let channel = setup.channel().await?;
        self.declare(&channel).await
    }

    /// Consumes until `shutdown`, reconnecting with backoff whenever the broker goes away.
    pub async fn run(self, shutdown: CancellationToken) {
        tokio::spawn(prune_inbox(
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
        self.declare(&channel).await?;
        Ok(channel)
    }

    async fn declare(&self, channel: &Channel) -> anyhow::Result<()> {
        declare_consumer(
            channel,
            self.broker.exchange(),
            &self.names,
            &self.handler.event_types(),
            &self.settings.retry_delays,
            self.settings.idle_queue_expiry,
        )
        .await?;
        Ok(())
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

    /// Handles one delivery and settles it; an error means the channel is unusable.
    async fn settle(&self, channel: &Channel, delivery: Delivery) -> anyhow::Result<()> {
        let attempt =
            headers::get_i64(delivery.properties.headers().as_ref(), headers::ATTEMPT).unwrap_or(1).max(1);
        let outcome = match serde_json::from_slice::<Envelope>(&delivery.data) {
            Err(error) => Outcome::Park(format!("unparseable envelope: {error}")),
            Ok(envelope) => {
                let context = envelope.traceparent.as_deref().and_then(|t| t.parse::<TraceContext>().ok());
                let context = context.map_or_else(TraceContext::new_root, |parent| parent.child());
                let span = tracing::info_span!(
                    "consume",
                    service = self.service,
                    event_type = %envelope.kind,
                    event_id = %envelope.id,
                    attempt,
                    trace_id = %context.trace_id(),
                );
                context.scope(self.apply(&envelope).instrument(span)).await
            }
        };
        let labels = [("service", self.service.to_owned())];
        match outcome {
            Outcome::Done => metrics::counter!("messages_consumed_total", &labels).increment(1),
            Outcome::Duplicate => metrics::counter!("messages_duplicate_total", &labels).increment(1),
            Outcome::Retry { reason, after } => {
                match retry_queue(&self.settings.retry_delays, attempt, after) {
                    None => {
                        let reason = format!("gave up after {attempt} attempts: {reason}");
                        self.park(channel, &delivery, attempt, &reason).await?;
                    }
                    Some(index) => {
                        let delay = self.settings.retry_delays[index];
                        tracing::info!(service = self.service, attempt, %reason, ?delay, "will retry");
                        self.republish(channel, &delivery, &self.names.retry(index), attempt + 1, None)
                            .await?;
                        metrics::counter!("messages_retried_total", &labels).increment(1);
                    }
                }
            }
            Outcome::Park(reason) => self.park(channel, &delivery, attempt, &reason).await?,
        }
        // Only now, with the effect committed or the message safely handed on, is it settled.
        delivery.ack(BasicAckOptions::default()).await.context("ack failed")?;
        Ok(())
    }

    async fn apply(&self, envelope: &Envelope) -> Outcome {
        // A panicking handler must not take the consumer down with it: treat it as a failure.
        let result = AssertUnwindSafe(self.transact(envelope))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| Err(HandlerError::Unexpected(anyhow::anyhow!("the handler panicked"))));
        match result {
            Ok(true) => Outcome::Done,
            Ok(false) => Outcome::Duplicate,
            Err(HandlerError::Reject(reason)) => Outcome::Park(reason),
            Err(HandlerError::Retry { reason, after }) => Outcome::Retry { reason, after },
            Err(HandlerError::Unexpected(error)) => {
                Outcome::Retry { reason: format!("{error:#}"), after: None }
            }
        }
    }

    /// Records the message and applies it in one transaction; `false` if it was seen before.
    async fn transact(&self, envelope: &Envelope) -> Result<bool, HandlerError> {
        let mut tx = self.pool.begin().await?;
        let recorded =
            sqlx::query("INSERT INTO inbox (message_id, event_type, received_at) VALUES (?, ?, ?)")
                .bind(envelope.id)
                .bind(&envelope.kind)
                .bind(Utc::now())
                .execute(&mut *tx)
                .await;
        match recorded {
            Err(error) if is_unique_violation(&error) => return Ok(false),
            Err(error) => return Err(error.into()),
            Ok(_) => {}
        }
        self.handler.handle(envelope, &mut tx).await?;
        tx.commit().await?;
        if let Some(outbox) = &self.outbox {
            outbox.wake();
        }
        self.handler.committed(envelope);
        Ok(true)
    }

    async fn park(
        &self,
        channel: &Channel,
        delivery: &Delivery,
        attempt: i64,
        reason: &str,
    ) -> anyhow::Result<()> {
        tracing::error!(service = self.service, attempt, reason, queue = %self.names.dead, "message parked");
        self.republish(channel, delivery, &self.names.dead, attempt, Some(reason)).await?;
        metrics::counter!("messages_parked_total", "service" => self.service).increment(1);
        Ok(())
    }

    /// Sends a copy straight to one of the service's queues and waits for the broker's confirm,
    /// so the original can be acked without the message ever being only in memory.
    async fn republish(
        &self,
        channel: &Channel,
        delivery: &Delivery,
        queue: &str,
        attempt: i64,
        reason: Option<&str>,
    ) -> anyhow::Result<()> {
        let mut table = delivery.properties.headers().clone().unwrap_or_default();
        table.insert(headers::ATTEMPT.into(), AMQPValue::LongLongInt(attempt));
        if let Some(reason) = reason {
            table.insert(headers::PARK_REASON.into(), headers::long_string(reason));
        }
        let properties: BasicProperties =
            delivery.properties.clone().with_headers(table).with_delivery_mode(2);
        let confirmation = channel
            .basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions::default(),
                &delivery.data,
                properties,
            )
            .await?
            .await?;
        if confirmation.is_nack() {
            anyhow::bail!("the broker refused the message for {queue}");
        }
        Ok(())
    }
}

/// The retry queue for the `attempt`-th failure: that attempt's own delay, or, given a hint such as
/// `Retry-After`, the first later delay at least that long (the longest if none is). `None` once
/// the delays are used up: the message is parked.
fn retry_queue(delays: &[Duration], attempt: i64, hint: Option<Duration>) -> Option<usize> {
    let index = usize::try_from(attempt - 1).ok().filter(|index| *index < delays.len())?;
    Some(match hint {
        None => index,
        Some(hint) => {
            delays[index..].iter().position(|delay| *delay >= hint).map_or(delays.len() - 1, |p| p + index)
        }
    })
}

/// Forgets handled message ids older than the retention, hourly.
async fn prune_inbox(
    service: &'static str,
    pool: MySqlPool,
    retention: Duration,
    shutdown: CancellationToken,
) {
    const EVERY: Duration = Duration::from_secs(3600);
    loop {
        let cutoff = Utc::now() - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::days(30));
        let pruned = sqlx::query("DELETE FROM inbox WHERE received_at < ? LIMIT 10000")
            .bind(cutoff)
            .execute(&pool)
            .await;
        if let Err(error) = pruned {
            tracing::warn!(service, %error, "cannot prune the inbox");
        }
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().copied().map(Duration::from_millis).collect()
    }

    #[test]
    fn each_attempt_takes_its_own_delay_until_they_run_out() {
        let delays = ms(&[50, 100, 1000]);
        assert_eq!(retry_queue(&delays, 1, None), Some(0));
        assert_eq!(retry_queue(&delays, 3, None), Some(2));
        assert_eq!(retry_queue(&delays, 4, None), None);
    }

    #[test]
    fn a_hint_skips_to_a_delay_at_least_that_long() {
        let delays = ms(&[50, 100, 1000, 2000]);
        assert_eq!(retry_queue(&delays, 1, Some(Duration::from_millis(900))), Some(2));
        assert_eq!(retry_queue(&delays, 1, Some(Duration::from_secs(60))), Some(3));
        assert_eq!(retry_queue(&delays, 5, Some(Duration::from_millis(1))), None);
    }
}
