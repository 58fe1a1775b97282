//! Payments through Stripe (`PAYMENT_PROVIDER=stripe`).
//!
//! - A confirmed order opens its payment in the transaction that confirms it (`open`): the
//!   amount, the currency, the window's end, and a job to create the PaymentIntent.
//! - [`jobs`]: every call to Stripe is a job in the order schema, made by a worker with an
//!   idempotency key derived from the order and the action, retried with growing delays while
//!   Stripe is unreachable, so a crash, a timeout or a retry never charges, cancels or refunds
//!   twice. Readiness does not depend on Stripe.
//! - [`webhook`]: Stripe's events, signature checked on the raw body before anything is parsed,
//!   each handled once.
//! - [`expiry`]: orders not paid within the window are cancelled, their intent cancelled and
//!   their stock released.
//! - Cancelling a paid order schedules its refund (`lifecycle`).

pub(crate) mod expiry;
pub(crate) mod jobs;
pub(crate) mod signature;
pub(crate) mod stripe;
pub(crate) mod webhook;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use common::db::Connection;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::{
    config::StripeSettings,
    domain::PaymentStatus,
    store::payments::{self, Action},
};

/// What the order service needs to take payments: the client, the webhook's secret, the window,
/// and the bell that wakes the job worker after a commit that scheduled a job.
#[derive(Clone)]
pub(crate) struct Payer {
    pub(crate) client: stripe::StripeClient,
    pub(crate) settings: Arc<StripeSettings>,
    pub(crate) window: Duration,
    pub(crate) jobs_due: Arc<Notify>,
}

/// The provider's name, as stored and shown.
pub(crate) const PROVIDER: &str = "stripe";

impl Payer {
    /// Opens the payment of `order`, just confirmed for `amount_cents`: it now awaits payment, and
    /// a job will create its intent.
    pub(crate) async fn open(
        &self,
        tx: &mut Connection,
        order: Uuid,
        amount_cents: i64,
        currency: &str,
        now: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        let expires_at =
            now + chrono::Duration::from_std(self.window).unwrap_or(chrono::Duration::minutes(15));
        payments::open(tx, order, PROVIDER, amount_cents, currency, expires_at, now).await?;
        payments::set_status(tx, order, PaymentStatus::AwaitingPayment).await?;
        payments::schedule(tx, order, Action::CreateIntent, now).await
    }
}

/// The idempotency key of one action on one order: the same on every retry, so Stripe answers a
/// repeated call with the first one's result.
pub(crate) fn idempotency_key(order: Uuid, action: Action) -> String {
    format!("shopper-{order}-{}", action.as_str())
}
