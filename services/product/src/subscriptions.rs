//! The product half of the order saga.
//!
//! `order.created`: every line is reserved in one transaction, or none is. Products are locked in
//! id order, checked, then decremented with guarded updates (`stock >= quantity`), so stock
//! never goes below zero under any concurrency; the answer is `stock.reserved` with the
//! authoritative names and prices, or `stock.rejected` with a reason per failing line.
//! `order.cancelled`: exactly what the order holds is given back, once.
//! Both are idempotent per order id (`order_decisions`), beyond the inbox's per-message guard.

use std::collections::BTreeMap;

use common::db::Connection;
use events::{
    Envelope, OrderCancelled, OrderCreated, RejectedLine, RejectionReason, ReservedLine, StockRejected,
    StockReserved,
};
use messaging::{HandlerError, Handles, Outbox, Subscriptions};
use uuid::Uuid;

use crate::{domain::Decision, store::reservations};

/// What the product service consumes.
pub(crate) fn all() -> Subscriptions<StockKeeper> {
    Subscriptions::new().on::<OrderCreated>().on::<OrderCancelled>()
}

/// Reserves and releases stock for orders.
pub struct StockKeeper;

impl Handles<OrderCreated> for StockKeeper {
    async fn handle(
        &self,
        order: OrderCreated,
        _: &Envelope,
        tx: &mut Connection,
    ) -> Result<(), HandlerError> {
        reserve(order, tx).await
    }
}

impl Handles<OrderCancelled> for StockKeeper {
    async fn handle(
        &self,
        order: OrderCancelled,
        _: &Envelope,
        tx: &mut Connection,
    ) -> Result<(), HandlerError> {
        cancel(order, tx).await
    }
}

async fn reserve(order: OrderCreated, tx: &mut Connection) -> Result<(), HandlerError> {
    // Lines asking for one product twice count as one line.
    let mut wanted: BTreeMap<Uuid, i64> = BTreeMap::new();
    for line in &order.items {
        if line.quantity <= 0 {
            return Err(HandlerError::Reject(format!(
                "order {} has a line of {} units",
                order.order_id, line.quantity
            )));
        }
        *wanted.entry(line.product_id).or_default() += line.quantity;
    }
    let ids: Vec<Uuid> = wanted.keys().copied().collect();
    let products = reservations::lock_products(&mut *tx, &ids).await?;
    let found: BTreeMap<Uuid, &reservations::StockRow> = products.iter().map(|p| (p.id, p)).collect();

    let mut rejected = Vec::new();
    for (product_id, &requested) in &wanted {
        let reason = match found.get(product_id) {
            None => Some((RejectionReason::Unknown, 0)),
            Some(p) if p.deleted => Some((RejectionReason::Deleted, 0)),
            Some(p) if p.stock < requested => Some((RejectionReason::Short, p.stock)),
            Some(_) => None,
        };
        if let Some((reason, available)) = reason {
            rejected.push(RejectedLine { product_id: *product_id, reason, requested, available });
        }
    }
    let currencies: Vec<&str> = found.values().map(|p| p.currency.as_str()).collect();
    if rejected.is_empty() && currencies.windows(2).any(|pair| pair[0] != pair[1]) {
        // One order has one currency; a mix cannot be priced.
        rejected = wanted
            .iter()
            .map(|(id, &requested)| RejectedLine {
                product_id: *id,
                reason: RejectionReason::CurrencyMismatch,
                requested,
                available: found.get(id).map_or(0, |p| p.stock),
            })
            .collect();
    }

    let decision = if rejected.is_empty() { Decision::Reserved } else { Decision::Rejected };
    if !reservations::decide(&mut *tx, order.order_id, decision).await? {
        tracing::info!(order = %order.order_id, "order already decided; nothing to do");
        return Ok(());
    }
    if !rejected.is_empty() {
        tracing::info!(order = %order.order_id, lines = rejected.len(), "stock rejected");
        Outbox::stage(tx, &StockRejected { order_id: order.order_id, lines: rejected }).await?;
        return Ok(());
    }
    let mut items = Vec::with_capacity(wanted.len());
    for (product_id, &quantity) in &wanted {
        let product = found[product_id];
        // Under the row lock this cannot fail; if it ever did, the whole transaction rolls back.
        if !reservations::take(&mut *tx, *product_id, quantity).await? {
            return Err(HandlerError::Retry {
                reason: format!("stock of {product_id} moved under its lock"),
                after: None,
            });
        }
        reservations::record(&mut *tx, order.order_id, *product_id, quantity, product.price_cents).await?;
        items.push(ReservedLine {
            product_id: *product_id,
            name: product.name.clone(),
            quantity,
            unit_price_cents: product.price_cents,
        });
    }
    let currency = currencies.first().map_or_else(|| "USD".to_owned(), |c| (*c).to_owned());
    tracing::info!(order = %order.order_id, lines = items.len(), "stock reserved");
    Outbox::stage(tx, &StockReserved { order_id: order.order_id, items, currency }).await?;
    Ok(())
}

async fn cancel(order: OrderCancelled, tx: &mut Connection) -> Result<(), HandlerError> {
    // Cancelled before it was ever reserved: remember, so a late order.created reserves nothing.
    if reservations::decide(&mut *tx, order.order_id, Decision::Cancelled).await? {
        tracing::info!(order = %order.order_id, "cancelled before any reservation");
        return Ok(());
    }
    let released = reservations::release(tx, order.order_id).await?;
    tracing::info!(order = %order.order_id, lines = released, "reservation released");
    Ok(())
}
