//! The worker that makes the Stripe calls the order schema says are due.
//!
//! Each job is one call for one order. The worker leases a batch (their `due_at` moves past the
//! call's deadline, in a short transaction), makes each call without holding any lock, then
//! applies the answer in a transaction of its own. A call that fails transiently is due again
//! after the next of `RETRY_DELAYS` (the last one repeating): a payment call is never given up
//! while Stripe is merely unreachable. One Stripe refuses outright is logged, counted and
//! dropped; what the order does then is the window's business (`expiry`).

use std::time::Duration;

use chrono::Utc;
use common::db::Pool;
use events::{OrderRefunded, ReservedLine};
use messaging::Outbox;
use tokio_util::sync::CancellationToken;

use super::{
    Payer, idempotency_key,
    stripe::{self, Outcome},
};
use crate::{
    domain::PaymentStatus,
    settle::Settlements,
    store::{
        orders::{self, Head},
        payments::{self, Action, Job},
    },
};

/// Waits before the 1st, 2nd, ... retry of a failed call; the last repeats.
const RETRY_DELAYS: [Duration; 5] = [
    Duration::from_secs(1),
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(120),
    Duration::from_secs(600),
];
/// Jobs leased at once.
const BATCH: u32 = 20;
/// What a lease allows beyond the call's own timeout, for writing its answer.
const LEASE_MARGIN: Duration = Duration::from_secs(5);
/// How often to look when nothing rings.
const POLL: Duration = Duration::from_secs(1);

/// Runs the due payment jobs.
pub(crate) struct PaymentJobs {
    pub(crate) pool: Pool,
    pub(crate) outbox: Outbox,
    pub(crate) payer: Payer,
    /// Rung when an intent is stored: the checkout that placed the order may be waiting for it.
    pub(crate) settlements: Settlements,
}

impl PaymentJobs {
    /// Works until `stop`; a call under way when it comes is finished (its answer is applied).
    pub(crate) async fn run(self, stop: CancellationToken) {
        loop {
            match self.work().await {
                Ok(n) if n == BATCH as usize => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(error = format!("{error:#}"), "cannot run payment jobs yet"),
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = self.payer.jobs_due.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Runs one batch of due jobs; returns how many it leased.
    pub(crate) async fn work(&self) -> anyhow::Result<usize> {
        // Long enough for the call (bounded by the client's timeout) and the write of its answer.
        let lease = self.payer.settings.timeout + LEASE_MARGIN;
        let mut tx = self.pool.begin().await?;
        let jobs = payments::lease(&mut tx, Utc::now(), lease, BATCH).await?;
        tx.commit().await?;
        for job in &jobs {
            if let Err(error) = self.run_one(job).await {
                // The lease runs out and the job is due again.
                tracing::warn!(order = %job.order_id, action = job.action.as_str(), error = format!("{error:#}"), "payment job failed");
            }
        }
        Ok(jobs.len())
    }

    async fn run_one(&self, job: &Job) -> anyhow::Result<()> {
        let Some(payment) = payments::find(&self.pool, job.order_id).await? else {
            return self.finish(job).await;
        };
        let key = idempotency_key(job.order_id, job.action);
        let client = &self.payer.client;
        let outcome = match (job.action, payment.intent_id.as_deref()) {
            (Action::CreateIntent, Some(_)) => return self.finish(job).await,
            (Action::CreateIntent, None) => {
                // Cancelled (or expired) before its intent was made: there is nothing to pay.
                if !self.still_payable(job).await? {
                    return self.finish(job).await;
                }
                match client.create_intent(job.order_id, payment.amount_cents, &payment.currency, &key).await
                {
                    Outcome::Done(intent) => return self.intent_created(job, &intent).await,
                    other => other.map_done(),
                }
            }
            // No intent was ever created: nothing to cancel or refund at Stripe.
            (Action::CancelIntent | Action::Refund, None) => return self.finish(job).await,
            (Action::CancelIntent, Some(intent)) => match client.cancel_intent(intent, &key).await {
                Outcome::Done(_) => return self.finish(job).await,
                // Already cancelled, or paid meanwhile: a payment arriving for a cancelled order
                // is refunded when its webhook comes.
                Outcome::Refused { code: Some(code), .. } if code == "payment_intent_unexpected_state" => {
                    return self.finish(job).await;
                }
                other => other.map_done(),
            },
            (Action::Refund, Some(intent)) => match client.refund(intent, job.order_id, &key).await {
                Outcome::Done(refund) => return self.refunded(job, &payment, Some(&refund)).await,
                Outcome::Refused { code: Some(code), .. } if code == "charge_already_refunded" => {
                    return self.refunded(job, &payment, None).await;
                }
                other => other.map_done(),
            },
        };
        match outcome {
            Outcome::Transient(reason) => {
                let delay =
                    RETRY_DELAYS[usize::try_from(job.attempts - 1).unwrap_or(0).min(RETRY_DELAYS.len() - 1)];
                tracing::warn!(order = %job.order_id, action = job.action.as_str(), attempt = job.attempts, ?delay, %reason, "Stripe call failed; will retry");
                let due =
                    Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::minutes(10));
                payments::retry_at(&self.pool, job, due, &reason).await?;
                metrics::counter!("payment_calls_retried_total", "action" => job.action.as_str())
                    .increment(1);
            }
            Outcome::Refused { reason, .. } => {
                tracing::error!(order = %job.order_id, action = job.action.as_str(), %reason, "Stripe refused the call; an operator must look");
                metrics::counter!("payment_calls_refused_total", "action" => job.action.as_str())
                    .increment(1);
                let mut tx = self.pool.begin().await?;
                payments::finish(&mut tx, job).await?;
                tx.commit().await?;
            }
            Outcome::Done(()) => self.finish(job).await?,
        }
        Ok(())
    }

    /// Whether the job's order still waits for its money.
    async fn still_payable(&self, job: &Job) -> anyhow::Result<bool> {
        let mut db = self.pool.acquire().await?;
        let order = orders::head(&mut db, job.order_id).await?;
        Ok(order.as_ref().is_some_and(Head::awaits_payment))
    }

    /// Stores the intent Stripe made. An order cancelled while the call ran gets the intent
    /// cancelled right away, in the same transaction, so nobody can pay for it.
    async fn intent_created(&self, job: &Job, intent: &stripe::Intent) -> anyhow::Result<()> {
        let now = Utc::now();
        let mut tx = self.pool.begin().await?;
        let order = orders::lock(&mut tx, job.order_id).await?;
        payments::set_intent(&mut tx, job.order_id, &intent.id, intent.client_secret.as_deref(), now).await?;
        if !order.as_ref().is_some_and(Head::awaits_payment) {
            payments::schedule(&mut tx, job.order_id, Action::CancelIntent, now).await?;
        }
        payments::finish(&mut tx, job).await?;
        tx.commit().await?;
        self.settlements.settled(job.order_id);
        self.payer.jobs_due.notify_one();
        tracing::info!(order = %job.order_id, intent = %intent.id, "payment intent created");
        Ok(())
    }

    async fn finish(&self, job: &Job) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await?;
        payments::finish(&mut tx, job).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The refund went through: the order says so, and `order.refunded` goes out with it.
    async fn refunded(
        &self,
        job: &Job,
        payment: &payments::Payment,
        refund: Option<&str>,
    ) -> anyhow::Result<()> {
        let now = Utc::now();
        let mut tx = self.pool.begin().await?;
        let Some(order) = orders::lock(&mut tx, job.order_id).await? else {
            payments::finish(&mut tx, job).await?;
            tx.commit().await?;
            return Ok(());
        };
        if let Some(refund) = refund {
            payments::set_refund(&mut tx, job.order_id, refund, now).await?;
        }
        payments::set_status(&mut tx, job.order_id, PaymentStatus::Refunded).await?;
        let event = OrderRefunded {
            order_id: order.id,
            user_id: order.user_id,
            amount_cents: payment.amount_cents,
            currency: payment.currency.clone(),
            refunded_at: now,
        };
        Outbox::stage(&mut tx, &event).await?;
        payments::finish(&mut tx, job).await?;
        self.outbox.commit(tx).await?;
        tracing::info!(order = %order.id, "payment refunded");
        Ok(())
    }
}

impl<T> Outcome<T> {
    /// The outcome without its value, for the failure handling every action shares.
    fn map_done(self) -> Outcome<()> {
        match self {
            Outcome::Done(_) => Outcome::Done(()),
            Outcome::Transient(reason) => Outcome::Transient(reason),
            Outcome::Refused { code, reason } => Outcome::Refused { code, reason },
        }
    }
}

/// The lines of `order` as reserved and charged, for `order.paid`.
pub(crate) fn charged_lines(order: &crate::order::Order) -> Vec<ReservedLine> {
    order
        .items
        .iter()
        .map(|item| ReservedLine {
            product_id: item.product_id,
            name: item.name.clone().unwrap_or_default(),
            quantity: item.quantity,
            unit_price_cents: item.unit_price_cents.unwrap_or(0),
        })
        .collect()
}
