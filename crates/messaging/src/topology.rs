//! Exchanges and queues, declared idempotently every time a channel is set up.
//!
//! Per consuming service `svc`:
//! - `svc.events`: quorum queue bound to the event types it handles. `x-delivery-limit` parks a
//!   message that keeps coming back without being settled (a consumer that crashes on it) via
//!   its dead-letter routing, so nothing is redelivered forever and nothing is dropped.
//! - `svc.retry.<n>`: one queue per retry delay (a short delay must not wait behind a long one),
//!   whose messages expire back into `svc.events`.
//! - `svc.dead`: the parking queue; messages stay until an operator looks at them.

use std::time::Duration;

use lapin::{
    Channel, ExchangeKind,
    options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable, ShortString},
};

/// Redeliveries without settlement before the broker parks a message itself.
const DELIVERY_LIMIT: i64 = 5;

/// The names of one service's queues.
#[derive(Debug, Clone)]
pub struct QueueNames {
    /// Where the service consumes from.
    pub events: String,
    /// Where messages that will not be retried wait.
    pub dead: String,
    service: String,
}

impl QueueNames {
    /// The queues of `service` (e.g. `mailer`).
    pub fn new(service: &str) -> Self {
        Self {
            events: format!("{service}.events"),
            dead: format!("{service}.dead"),
            service: service.to_owned(),
        }
    }

    /// The retry queue for the `index`-th delay.
    pub fn retry(&self, index: usize) -> String {
        format!("{}.retry.{index}", self.service)
    }
}

/// Declares the topic exchange events are published to.
pub async fn declare_exchange(channel: &Channel, exchange: &str) -> lapin::Result<()> {
    channel
        .exchange_declare(
            exchange.into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions { durable: true, ..Default::default() },
            FieldTable::default(),
        )
        .await
}

fn table(entries: impl IntoIterator<Item = (&'static str, AMQPValue)>) -> FieldTable {
    let mut table = FieldTable::default();
    for (key, value) in entries {
        table.insert(ShortString::from(key), value);
    }
    table
}

fn text(value: &str) -> AMQPValue {
    crate::headers::long_string(value)
}

fn millis(duration: Duration) -> AMQPValue {
    AMQPValue::LongLongInt(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX))
}

/// Declares a consuming service's queues and bindings.
pub(crate) async fn declare_consumer(
    channel: &Channel,
    exchange: &str,
    names: &QueueNames,
    routing_keys: &[&str],
    retry_delays: &[Duration],
    idle_expiry: Option<Duration>,
) -> lapin::Result<()> {
    declare_exchange(channel, exchange).await?;
    let durable = QueueDeclareOptions { durable: true, ..Default::default() };
    // Only test suites set an expiry, so their throwaway queues do not pile up on the broker.
    let expiry = idle_expiry.map(|d| ("x-expires", millis(d)));

    let mut dead_args = vec![("x-queue-type", text("quorum"))];
    dead_args.extend(expiry.clone());
    channel.queue_declare(names.dead.as_str().into(), durable, table(dead_args)).await?;

    let mut main_args = vec![
        ("x-queue-type", text("quorum")),
        ("x-delivery-limit", AMQPValue::LongLongInt(DELIVERY_LIMIT)),
        ("x-dead-letter-exchange", text("")),
        ("x-dead-letter-routing-key", text(&names.dead)),
        ("x-dead-letter-strategy", text("at-least-once")),
        ("x-overflow", text("reject-publish")),
    ];
    main_args.extend(expiry.clone());
    channel.queue_declare(names.events.as_str().into(), durable, table(main_args)).await?;
    for key in routing_keys {
        channel
            .queue_bind(
                names.events.as_str().into(),
                exchange.into(),
                (*key).into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }

    for (index, delay) in retry_delays.iter().enumerate() {
        let mut retry_args = vec![
            ("x-message-ttl", millis(*delay)),
            ("x-dead-letter-exchange", text("")),
            ("x-dead-letter-routing-key", text(&names.events)),
        ];
        retry_args.extend(expiry.clone());
        channel.queue_declare(names.retry(index).as_str().into(), durable, table(retry_args)).await?;
    }
    Ok(())
}
