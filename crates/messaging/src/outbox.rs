//! Staging events in the caller's transaction.

use std::{collections::HashMap, sync::Arc};

use chrono::Utc;
use common::db::{Connection, Transaction};
use events::{Envelope, Event};
use tokio::sync::Notify;

/// A handle to stage events and to wake the relay once they are committed.
#[derive(Clone, Default)]
pub struct Outbox {
    committed: Arc<Notify>,
}

impl Outbox {
    /// A handle whose relay is woken by [`Outbox::commit`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `event` to the outbox inside the caller's transaction: it is published if and only
    /// if that transaction commits. Carries the current span's trace context.
    pub async fn stage<E: Event>(tx: &mut Connection, event: &E) -> anyhow::Result<Envelope> {
        let mut envelope = Envelope::new(event)?;
        let mut trace = HashMap::new();
        common::telemetry::inject(&tracing::Span::current(), &mut trace);
        envelope.traceparent = trace.remove("traceparent");
        envelope.tracestate = trace.remove("tracestate");
        sqlx::query("INSERT INTO outbox (id, event_type, envelope, created_at) VALUES (?, ?, ?, ?)")
            .bind(envelope.id)
            .bind(&envelope.kind)
            .bind(serde_json::to_string(&envelope)?)
            .bind(Utc::now())
            .execute(tx)
            .await?;
        Ok(envelope)
    }

    /// Commits the transaction, then wakes the relay so the events leave at once rather than at
    /// its next poll.
    pub async fn commit(&self, tx: Transaction) -> Result<(), sqlx::Error> {
        tx.commit().await?;
        self.wake();
        Ok(())
    }

    /// Tells the relay there may be new rows.
    pub fn wake(&self) {
        self.committed.notify_one();
    }

    pub(crate) fn notified(&self) -> Arc<Notify> {
        self.committed.clone()
    }
}
