//! Pending orders are not left pending forever.
//!
//! If the product service does not answer (down for long, or its answer parked), an order older
//! than the pending timeout is rejected with reason `timeout`, which also stages `order.cancelled`
//! so a reservation that arrives late is released. Every instance sweeps; `SKIP LOCKED` lets them
//! share the work without waiting on each other, and the saga's answer and the sweep lock the
//! same row, so exactly one of them settles the order.

use std::time::Duration;

use chrono::Utc;
use common::db::Pool;
use messaging::Outbox;
use tokio_util::sync::CancellationToken;

use crate::{
    domain::{Actor, Status},
    lifecycle::{self, Change, TIMED_OUT},
    store::orders,
    sweep,
};

/// Orders rejected per transaction.
const BATCH: u32 = 100;

pub(crate) struct PendingTimeout {
    pub(crate) pool: Pool,
    pub(crate) outbox: Outbox,
    /// How long an order may stay pending.
    pub(crate) timeout: Duration,
}

impl PendingTimeout {
    /// How often to look: often enough that an order is rejected soon after its deadline.
    fn interval(&self) -> Duration {
        (self.timeout / 4).clamp(Duration::from_millis(200), Duration::from_secs(30))
    }

    /// Sweeps until `stop`.
    pub(crate) async fn run(self, stop: CancellationToken) {
        let interval = self.interval();
        sweep::every(interval, BATCH as usize, "reject stale pending orders", stop, || self.sweep()).await;
    }

    /// Rejects one batch of orders pending past the timeout; returns how many.
    pub(crate) async fn sweep(&self) -> anyhow::Result<usize> {
        let cutoff = Utc::now() - self.timeout;
        // READ COMMITTED: no gap locks, so the sweep never blocks new orders being placed.
        let mut tx = self.pool.begin_read_committed().await?;
        let stale = orders::lock_stale_pending(&mut tx, cutoff, BATCH).await?;
        for order in &stale {
            let change =
                Change { to: Status::Rejected, actor: Actor::Saga, by: None, reason: Some(TIMED_OUT) };
            lifecycle::apply(&mut tx, order, change).await?;
        }
        self.outbox.commit(tx).await?;
        if !stale.is_empty() {
            tracing::warn!(orders = stale.len(), timeout = ?self.timeout, "pending orders timed out and were rejected");
            metrics::counter!("orders_timed_out_total").increment(stale.len() as u64);
        }
        Ok(stale.len())
    }
}
