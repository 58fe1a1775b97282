//! Confirmed orders are not left waiting for their money forever: once the payment window has
//! closed unpaid, the order is cancelled (`payment_status: expired`), which releases its stock
//! (`order.cancelled`) and schedules the cancellation of its intent. Every instance sweeps;
//! `SKIP LOCKED` shares the work, and the webhook and the sweep lock the same order row, so a
//! payment and the expiry never both win.

use std::time::Duration;

use chrono::Utc;
use common::db::Pool;
use messaging::Outbox;
use tokio_util::sync::CancellationToken;

use crate::{
    domain::{Actor, Status},
    lifecycle::{self, Change},
    store::{orders, payments},
    sweep,
};

/// Orders cancelled per transaction.
const BATCH: u32 = 100;

/// The rejection reason recorded in the history of an order whose window closed.
pub(crate) const PAYMENT_EXPIRED: &str = "payment_expired";

pub(crate) struct PaymentExpiry {
    pub(crate) pool: Pool,
    pub(crate) outbox: Outbox,
    /// How often to look.
    pub(crate) every: Duration,
    pub(crate) jobs_due: std::sync::Arc<tokio::sync::Notify>,
}

impl PaymentExpiry {
    /// Sweeps until `stop`.
    pub(crate) async fn run(self, stop: CancellationToken) {
        sweep::every(self.every, BATCH as usize, "expire unpaid orders", stop, || self.sweep()).await;
    }

    /// Cancels one batch of orders whose window closed; returns how many.
    pub(crate) async fn sweep(&self) -> anyhow::Result<usize> {
        // READ COMMITTED: no gap locks, so the sweep never blocks orders being confirmed.
        let mut tx = self.pool.begin_read_committed().await?;
        let expired = payments::lock_expired(&mut tx, Utc::now(), BATCH).await?;
        for id in &expired {
            let Some(order) = orders::lock(&mut tx, *id).await? else { continue };
            let change = Change {
                to: Status::Cancelled,
                actor: Actor::PaymentExpiry,
                by: None,
                reason: Some(PAYMENT_EXPIRED),
            };
            // The cancellation closes the payment (`expired`) and schedules its intent's.
            lifecycle::apply(&mut tx, &order, change).await?;
        }
        self.outbox.commit(tx).await?;
        if !expired.is_empty() {
            tracing::info!(orders = expired.len(), "unpaid orders expired and were cancelled");
            metrics::counter!("orders_payment_expired_total").increment(expired.len() as u64);
            self.jobs_due.notify_one();
        }
        Ok(expired.len())
    }
}
