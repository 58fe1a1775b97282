//! The order half of the saga: the product service's answer settles a pending order.
//!
//! `stock.reserved` confirms it with the price snapshot; `stock.rejected` rejects it with the
//! reason per line. An answer for an order that is no longer pending (cancelled, or timed out)
//! changes nothing: the `order.cancelled` staged when it left `pending` makes the product service
//! release whatever it reserved. Each answer applies once (inbox) and only to a pending order.

use chrono::Utc;
use common::db::Connection;
use events::{Envelope, Event, OrderConfirmed, StockRejected, StockReserved};
use messaging::Outbox;
use messaging::{HandlerError, Handles};
use uuid::Uuid;

use super::OrderEvents;
use crate::{
    domain::{Actor, Status},
    lifecycle::{self, Change, ChangeError},
    store::{
        carts,
        orders::{self, Head},
    },
};

impl Handles<StockReserved> for OrderEvents {
    async fn handle(
        &self,
        answer: StockReserved,
        _: &Envelope,
        tx: &mut Connection,
    ) -> Result<(), HandlerError> {
        confirm(self, answer, tx).await
    }

    fn committed(&self, answer: &StockReserved) {
        self.settlements.settled(answer.order_id);
        // A confirmation with payments scheduled the intent's creation: start on it now.
        if let Some(payer) = &self.payer {
            payer.jobs_due.notify_one();
        }
    }
}

impl Handles<StockRejected> for OrderEvents {
    async fn handle(
        &self,
        answer: StockRejected,
        _: &Envelope,
        tx: &mut Connection,
    ) -> Result<(), HandlerError> {
        reject(answer, tx).await
    }

    fn committed(&self, answer: &StockRejected) {
        self.settlements.settled(answer.order_id);
    }
}

/// The order, locked, if it still waits for this answer.
async fn pending(tx: &mut Connection, id: Uuid, answer: &str) -> Result<Option<Head>, HandlerError> {
    let Some(order) = orders::lock(tx, id).await? else {
        return Err(HandlerError::Reject(format!("{answer} for order {id}, which does not exist")));
    };
    if order.status != Status::Pending {
        tracing::info!(order = %id, status = %order.status, answer, "late answer for a settled order; ignored");
        return Ok(None);
    }
    Ok(Some(order))
}

async fn confirm(
    handlers: &OrderEvents,
    answer: StockReserved,
    tx: &mut Connection,
) -> Result<(), HandlerError> {
    let Some(order) = pending(tx, answer.order_id, StockReserved::TYPE).await? else {
        return Ok(());
    };
    let total = answer.items.iter().try_fold(0_i64, |total, line| {
        line.unit_price_cents.checked_mul(line.quantity).and_then(|cost| total.checked_add(cost))
    });
    let Some(total) = total else {
        return Err(HandlerError::Reject(format!("the total of order {} overflows", order.id)));
    };
    orders::price(tx, order.id, &answer.items, total, &answer.currency).await?;
    settle(tx, &order, Status::Confirmed, None).await?;
    let confirmed = OrderConfirmed {
        order_id: order.id,
        user_id: order.user_id,
        items: answer.items.clone(),
        total_cents: total,
        currency: answer.currency.clone(),
        payment_required: handlers.payer.is_some(),
        confirmed_at: Utc::now(),
    };
    Outbox::stage(tx, &confirmed).await?;
    if let Some(payer) = &handlers.payer {
        payer.open(tx, order.id, total, &answer.currency, Utc::now()).await?;
        // The cart loses the units once they are paid for (`payments::webhook`).
        return Ok(());
    }
    // A checked-out cart loses the units bought once they are the customer's.
    if order.from_cart {
        for line in &answer.items {
            carts::take_out(tx, order.user_id, line.product_id, line.quantity).await?;
        }
    }
    Ok(())
}

async fn reject(answer: StockRejected, tx: &mut Connection) -> Result<(), HandlerError> {
    let Some(order) = pending(tx, answer.order_id, StockRejected::TYPE).await? else {
        return Ok(());
    };
    orders::mark_rejected(tx, order.id, &answer.lines).await?;
    let reason = answer.lines.first().map(orders::reason_name);
    settle(tx, &order, Status::Rejected, reason.as_deref()).await
}

async fn settle(
    tx: &mut Connection,
    order: &Head,
    to: Status,
    reason: Option<&str>,
) -> Result<(), HandlerError> {
    match lifecycle::apply(tx, order, Change { to, actor: Actor::Saga, by: None, reason }).await {
        Ok(_) => Ok(()),
        Err(ChangeError::Refused(refusal)) => {
            Err(HandlerError::Reject(format!("{} -> {to} refused: {refusal:?}", order.status)))
        }
        Err(ChangeError::Failed(error)) => Err(HandlerError::Unexpected(error)),
    }
}
