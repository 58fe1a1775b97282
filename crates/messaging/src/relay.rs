//! The outbox relay: publishes committed events in order, in batches, with publisher confirms,
//! and marks them sent only once the broker has confirmed every one.
//!
//! Rows are claimed with `FOR UPDATE SKIP LOCKED`, so several instances of a service can relay
//! side by side without publishing a row twice. The claim is held while publishing: if the
//! process dies before marking, the rows are published again (at least once), and consumers'
//! inboxes absorb the duplicate.

use std::{collections::HashMap, time::Duration};

use anyhow::Context;
use chrono::{DateTime, Utc};
use common::db::Pool;
use lapin::{
    BasicProperties, Channel,
    options::{BasicPublishOptions, ConfirmSelectOptions},
    types::FieldTable,
};
use sqlx::QueryBuilder;
use tokio_util::sync::CancellationToken;
use tracing::field::Empty;

use crate::{Broker, Outbox, headers::TraceHeadersMut, topology::declare_exchange};

/// How the relay paces itself.
#[derive(Debug, Clone)]
pub struct RelaySettings {
    /// Rows per batch.
    pub batch_size: u32,
    /// Polling interval when nothing wakes it (other instances' commits, missed wakes).
    pub poll_interval: Duration,
    /// How long sent rows are kept before they are pruned.
    pub retention: Duration,
    /// Longest wait between reconnection attempts.
    pub max_backoff: Duration,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            batch_size: 200,
            poll_interval: Duration::from_secs(1),
            retention: Duration::from_secs(7 * 24 * 3600),
            // A connection attempt every 2 s costs the broker nothing, and once it is back every
            // consumer and relay resumes within 2 s instead of after a long doubling backoff.
            max_backoff: Duration::from_secs(2),
        }
    }
}

const FINAL_FLUSH: Duration = Duration::from_secs(5);
const PRUNE_EVERY: Duration = Duration::from_secs(60);
const PRUNE_BATCH: u32 = 1000;

/// Publishes one service's outbox.
pub struct OutboxRelay {
    service: &'static str,
    pool: Pool,
    broker: Broker,
    outbox: Outbox,
    settings: RelaySettings,
}

struct Row {
    seq: i64,
    id: uuid::Uuid,
    event_type: String,
    envelope: String,
    /// The trace context the event was staged in (`traceparent`, `tracestate`).
    trace: HashMap<String, String>,
}

impl OutboxRelay {
    /// A relay for `service`'s outbox in `pool`.
    pub fn new(
        service: &'static str,
        pool: Pool,
        broker: Broker,
        outbox: Outbox,
        settings: RelaySettings,
    ) -> Self {
        Self { service, pool, broker, outbox, settings }
    }

    /// Runs until `shutdown`: publish what is pending, then wait for a wake-up or the poll.
    /// Cancel `shutdown` only after the service stopped committing (its requests drained).
    pub async fn run(self, shutdown: CancellationToken) {
        let woken = self.outbox.notified();
        let mut channel: Option<Channel> = None;
        let mut backoff = Duration::from_millis(100);
        let mut last_prune = tokio::time::Instant::now();
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            self.record_backlog().await;
            if last_prune.elapsed() >= PRUNE_EVERY {
                self.prune().await;
                last_prune = tokio::time::Instant::now();
            }
            let published = match self.publish_batch(&mut channel).await {
                Ok(count) => {
                    backoff = Duration::from_millis(100);
                    count
                }
                Err(error) => {
                    channel = None;
                    tracing::warn!(
                        service = self.service,
                        error = format!("{error:#}"),
                        ?backoff,
                        "outbox relay cannot publish; retrying"
                    );
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = shutdown.cancelled() => break,
                    }
                    backoff = (backoff * 2).min(self.settings.max_backoff);
                    continue;
                }
            };
            // A full batch means there is probably more: go again without waiting.
            if published < self.settings.batch_size as usize {
                tokio::select! {
                    () = woken.notified() => {}
                    () = tokio::time::sleep(self.settings.poll_interval) => {}
                    () = shutdown.cancelled() => break,
                }
            }
        }
        self.final_flush(&mut channel).await;
        tracing::info!(service = self.service, "outbox relay stopped");
    }

    /// On shutdown, publishes what the last requests committed, briefly: whatever is left stays
    /// in the outbox for the next start.
    async fn final_flush(&self, channel: &mut Option<Channel>) {
        let flush = async {
            while let Ok(published) = self.publish_batch(channel).await {
                if published < self.settings.batch_size as usize {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(FINAL_FLUSH, flush).await;
    }

    async fn ready_channel(&self, channel: &mut Option<Channel>) -> anyhow::Result<Channel> {
        if let Some(open) = channel.as_ref().filter(|c| c.status().connected()) {
            return Ok(open.clone());
        }
        let fresh = self.broker.channel().await?;
        fresh.confirm_select(ConfirmSelectOptions::default()).await?;
        declare_exchange(&fresh, self.broker.exchange()).await?;
        *channel = Some(fresh.clone());
        Ok(fresh)
    }

    /// Claims, publishes and marks one batch; returns how many rows it published.
    async fn publish_batch(&self, channel: &mut Option<Channel>) -> anyhow::Result<usize> {
        // Connect before claiming anything: no rows stay locked while the broker is away, and an
        // idle service still notices (and reports) an unreachable broker.
        let channel = self.ready_channel(channel).await?;
        // READ COMMITTED: claiming under REPEATABLE READ deadlocks now and then with other relays.
        let mut tx = self.pool.begin_read_committed().await?;
        let rows: Vec<(i64, uuid::Uuid, String, String)> = sqlx::query_as(
            "SELECT seq, id, event_type, envelope FROM outbox
             WHERE published_at IS NULL ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED",
        )
        .bind(self.settings.batch_size)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let rows: Vec<Row> = rows
            .into_iter()
            .map(|(seq, id, event_type, envelope)| {
                let staged = serde_json::from_str::<events::Envelope>(&envelope).ok();
                let trace = staged.map(|e| e.trace_context()).unwrap_or_default();
                Row { seq, id, event_type, envelope, trace }
            })
            .collect();

        // Publish the whole batch, then await the confirms together: one round trip, not one per row.
        // Each message's span, a child of the work that staged it, lasts until it is confirmed.
        let mut confirms = Vec::with_capacity(rows.len());
        let mut spans = Vec::with_capacity(rows.len());
        for row in &rows {
            let span = self.publish_span(row);
            let mut table = FieldTable::default();
            common::telemetry::inject(&span, &mut TraceHeadersMut(&mut table));
            spans.push(span);
            let properties = BasicProperties::default()
                .with_delivery_mode(2)
                .with_content_type("application/json".into())
                .with_message_id(row.id.to_string().into())
                .with_type(row.event_type.as_str().into())
                .with_headers(table);
            let confirm = channel
                .basic_publish(
                    self.broker.exchange().into(),
                    row.event_type.as_str().into(),
                    BasicPublishOptions::default(),
                    row.envelope.as_bytes(),
                    properties,
                )
                .await
                .context("publish failed")?;
            confirms.push(confirm);
        }
        for confirm in confirms {
            let confirmation = confirm.await.context("no publisher confirm")?;
            if confirmation.is_nack() {
                anyhow::bail!("the broker refused a message");
            }
        }
        drop(spans);

        let mut update = QueryBuilder::new("UPDATE outbox SET published_at = ");
        update.push_bind(Utc::now()).push(" WHERE seq IN (");
        let mut seqs = update.separated(", ");
        for row in &rows {
            seqs.push_bind(row.seq);
        }
        seqs.push_unseparated(")");
        update.build().execute(&mut *tx).await?;
        tx.commit().await?;

        metrics::counter!("outbox_published_total", "service" => self.service).increment(rows.len() as u64);
        for row in &rows {
            tracing::debug!(service = self.service, event_id = %row.id, event_type = %row.event_type, "published");
        }
        Ok(rows.len())
    }

    fn publish_span(&self, row: &Row) -> tracing::Span {
        let span = tracing::info_span!(
            "publish",
            otel.name = %format_args!("publish {}", row.event_type),
            otel.kind = "producer",
            service = self.service,
            event_type = %row.event_type,
            event_id = %row.id,
            "messaging.system" = "rabbitmq",
            "messaging.operation.type" = "send",
            "messaging.destination.name" = self.broker.exchange(),
            trace_id = Empty,
        );
        common::telemetry::continue_trace(&span, self.service, &row.trace);
        span
    }

    async fn record_backlog(&self) {
        let pending: Result<(i64, Option<DateTime<Utc>>), _> =
            sqlx::query_as("SELECT COUNT(*), MIN(created_at) FROM outbox WHERE published_at IS NULL")
                .fetch_one(&self.pool)
                .await;
        if let Ok((count, oldest)) = pending {
            metrics::gauge!("outbox_backlog", "service" => self.service).set(count as f64);
            let age = oldest.map_or(0.0, |t| (Utc::now() - t).num_milliseconds().max(0) as f64 / 1000.0);
            metrics::gauge!("outbox_oldest_pending_age_seconds", "service" => self.service).set(age);
        }
    }

    async fn prune(&self) {
        let cutoff = Utc::now()
            - chrono::Duration::from_std(self.settings.retention).unwrap_or(chrono::Duration::days(7));
        loop {
            let deleted =
                sqlx::query("DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < ? LIMIT ?")
                    .bind(cutoff)
                    .bind(PRUNE_BATCH)
                    .execute(&self.pool)
                    .await;
            match deleted {
                Ok(result) if result.rows_affected() == u64::from(PRUNE_BATCH) => continue,
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(service = self.service, %error, "cannot prune the outbox");
                    break;
                }
            }
        }
    }
}
