//! One delivery, from its arrival to its acknowledgement: applied with its inbox record, then
//! acknowledged, retried later or parked, and only acknowledged once that is safely done.

use std::{panic::AssertUnwindSafe, time::Duration};

use anyhow::Context;
use events::Envelope;
use futures_util::FutureExt;
use lapin::{
    BasicProperties, Channel,
    message::Delivery,
    options::{BasicAckOptions, BasicPublishOptions},
    types::AMQPValue,
};
use tracing::{Instrument, field::Empty};

use super::{Consumer, inbox, retry::retry_queue};
use crate::{HandlerError, headers};

enum Outcome {
    Done,
    Duplicate,
    Retry { reason: String, after: Option<Duration> },
    Park(String),
}

impl Consumer {
    /// Handles one delivery and settles it; an error means the channel is unusable.
    pub(super) async fn settle(&self, channel: &Channel, delivery: Delivery) -> anyhow::Result<()> {
        let attempt =
            headers::get_i64(delivery.properties.headers().as_ref(), headers::ATTEMPT).unwrap_or(1).max(1);
        let outcome = match serde_json::from_slice::<Envelope>(&delivery.data) {
            Err(error) => Outcome::Park(format!("unparseable envelope: {error}")),
            Ok(envelope) => {
                let span = self.consume_span(&delivery, &envelope, attempt);
                self.apply(&envelope).instrument(span).await
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

    /// The delivery's span: a consumer span continuing the trace of the message's publish (its
    /// headers), or of the work that staged it (the envelope) when it came without headers.
    fn consume_span(&self, delivery: &Delivery, envelope: &Envelope, attempt: i64) -> tracing::Span {
        let span = tracing::info_span!(
            "consume",
            otel.name = %format_args!("process {}", envelope.kind),
            otel.kind = "consumer",
            service = self.service,
            event_type = %envelope.kind,
            event_id = %envelope.id,
            attempt,
            "messaging.system" = "rabbitmq",
            "messaging.operation.type" = "process",
            "messaging.destination.name" = %self.names.events,
            trace_id = Empty,
        );
        let headers =
            delivery.properties.headers().as_ref().filter(|table| table.contains_key("traceparent"));
        match headers {
            Some(table) => {
                common::telemetry::continue_trace(&span, self.service, &headers::TraceHeaders(table))
            }
            None => common::telemetry::continue_trace(&span, self.service, &envelope.trace_context()),
        }
        span
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
        if !inbox::record(&mut tx, envelope).await? {
            return Ok(false);
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
