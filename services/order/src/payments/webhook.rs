//! Stripe's events about the order service's PaymentIntents.
//!
//! The signature is checked on the raw body before it is parsed. Each event is handled once,
//! whatever Stripe resends: its id is recorded in `payment_events` in the transaction of its
//! effect. Events may come in any order, and a late failure never undoes a payment:
//!
//! - `payment_intent.succeeded` for the right amount and currency marks the order `paid` and
//!   stages `order.paid` (a checked-out cart then loses the units bought). For an order cancelled
//!   meanwhile (its window closed as the customer paid), the money is refunded. A wrong amount or
//!   currency pays nothing: the event is parked for an operator and logged.
//! - `payment_intent.payment_failed` marks an unpaid order `failed`; the customer may try again
//!   with the same intent until the window closes.
//! - Anything else, and events about intents shopper does not know, are answered 200 and change
//!   nothing.

use chrono::Utc;
use common::AppError;
use common::db::Connection;
use events::OrderPaid;
use messaging::Outbox;
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::{Payer, jobs::charged_lines, signature};
use crate::{
    domain::{PaymentStatus, Status},
    state::AppState,
    store::{
        carts, orders,
        payments::{self, Action},
    },
};

/// The parts of a Stripe event shopper reads.
#[derive(Debug, Deserialize)]
struct StripeEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: IntentObject,
}

#[derive(Debug, Deserialize)]
struct IntentObject {
    id: String,
    #[serde(default)]
    amount: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
}

/// What came of one event.
enum Outcome {
    Applied,
    Ignored(String),
    Parked(String),
}

/// Checks and applies one webhook request.
pub(crate) async fn receive(
    state: &AppState,
    payer: &Payer,
    signature_header: Option<&str>,
    body: &[u8],
) -> Result<(), AppError> {
    let secret = payer.settings.webhook_secret.expose_secret().as_bytes();
    if let Err(refused) = signature::verify(signature_header, body, secret, Utc::now().timestamp()) {
        metrics::counter!("payment_webhooks_refused_total").increment(1);
        return Err(AppError::BadRequest(format!("Stripe-Signature: {refused}")));
    }
    let event: StripeEvent = serde_json::from_slice(body)
        .map_err(|_| AppError::BadRequest("the body is not a Stripe event".into()))?;
    let now = Utc::now();
    let mut tx = state.pool.begin().await?;
    if payments::record_event(&mut tx, &event.id, &event.kind, "applied", None, now).await?.is_none() {
        // Seen before: Stripe resends until it hears 2xx.
        return Ok(());
    }
    let outcome = apply(&mut tx, &event).await?;
    match &outcome {
        Outcome::Applied => {}
        Outcome::Ignored(detail) => {
            payments::set_event_outcome(&mut tx, &event.id, "ignored", detail).await?
        }
        Outcome::Parked(detail) => {
            tracing::error!(event = %event.id, kind = %event.kind, %detail, "payment event parked for an operator");
            metrics::counter!("payment_events_parked_total").increment(1);
            payments::set_event_outcome(&mut tx, &event.id, "parked", detail).await?;
        }
    }
    state.outbox.commit(tx).await?;
    payer.jobs_due.notify_one();
    Ok(())
}

async fn apply(tx: &mut Connection, event: &StripeEvent) -> Result<Outcome, AppError> {
    let intent = &event.data.object;
    let succeeded = match event.kind.as_str() {
        "payment_intent.succeeded" => true,
        "payment_intent.payment_failed" => false,
        other => return Ok(Outcome::Ignored(format!("{other} is not an event shopper acts on"))),
    };
    let Some(order_id) = payments::order_of_intent(&mut *tx, &intent.id).await? else {
        return Ok(Outcome::Ignored(format!("no order pays with {}", intent.id)));
    };
    let Some(order) = orders::lock(tx, order_id).await? else {
        return Ok(Outcome::Ignored(format!("order {order_id} is gone")));
    };
    let Some(payment) = payments::find(&mut *tx, order_id).await? else {
        return Ok(Outcome::Ignored(format!("order {order_id} has no payment")));
    };
    if !succeeded {
        if order.payment_status.is_open() {
            payments::set_status(tx, order_id, PaymentStatus::Failed).await?;
            return Ok(Outcome::Applied);
        }
        return Ok(Outcome::Ignored(format!(
            "a failure after the payment was {}",
            order.payment_status.as_str()
        )));
    }
    let currency_matches =
        intent.currency.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(&payment.currency));
    if intent.amount != Some(payment.amount_cents) || !currency_matches {
        return Ok(Outcome::Parked(format!(
            "paid {:?} {:?} for order {order_id}, which costs {} {}",
            intent.amount, intent.currency, payment.amount_cents, payment.currency
        )));
    }
    match order.payment_status {
        PaymentStatus::Paid | PaymentStatus::Refunded => {
            return Ok(Outcome::Ignored(format!(
                "order {order_id} is {} already",
                order.payment_status.as_str()
            )));
        }
        PaymentStatus::NotRequired => {
            return Ok(Outcome::Parked(format!("order {order_id} needed no payment")));
        }
        PaymentStatus::AwaitingPayment | PaymentStatus::Failed | PaymentStatus::Expired => {}
    }
    let now = Utc::now();
    payments::set_status(tx, order_id, PaymentStatus::Paid).await?;
    if order.status != Status::Confirmed {
        // Cancelled (or its window closed) while the customer paid: the money goes back.
        payments::schedule(tx, order_id, Action::Refund, now).await?;
        return Ok(Outcome::Applied);
    }
    let loaded = orders::load(tx, &[order_id]).await?;
    let lines = loaded.first().map(charged_lines).unwrap_or_default();
    if order.from_cart {
        for line in &lines {
            carts::take_out(tx, order.user_id, line.product_id, line.quantity).await?;
        }
    }
    let paid = OrderPaid {
        order_id,
        user_id: order.user_id,
        items: lines,
        amount_cents: payment.amount_cents,
        currency: payment.currency.clone(),
        paid_at: now,
    };
    Outbox::stage(tx, &paid).await?;
    tracing::info!(order = %order_id, "order paid");
    Ok(Outcome::Applied)
}
