//! Placing an order: the `pending` row and its `order.created` commit together, once per
//! idempotency key; then a short wait for the saga (and, where the order must be paid, for its
//! PaymentIntent), so most clients get the final status, and what to pay with, at once.

use std::time::Duration;

use common::{
    AppError,
    db::UniqueWrite,
    idempotency::{self, IdempotencyKey},
};
use events::{OrderCreated, OrderLine};
use messaging::Outbox;
use tokio::time::Instant;
use uuid::Uuid;

use crate::{
    domain::Placement,
    order::Order,
    settle::{self, Watch},
    state::AppState,
    store::orders::{self, NewOrder},
};

/// Places `placement` for `user`; with a key, a retry returns the order the first request created
/// and creates nothing, and the same key for another request is a 422.
pub(crate) async fn place(
    state: &AppState,
    user: Uuid,
    key: Option<&IdempotencyKey>,
    placement: &Placement<'_>,
) -> Result<Order, AppError> {
    let fingerprint = &placement.fingerprint;
    let replay = |key| replay(state, user, key, fingerprint);
    idempotency::create_once(key, replay, || insert(state, user, key, placement)).await
}

/// `None` when the key was taken meanwhile by a concurrent request.
async fn insert(
    state: &AppState,
    user: Uuid,
    key: Option<&IdempotencyKey>,
    placement: &Placement<'_>,
) -> Result<Option<Order>, AppError> {
    let id = Uuid::now_v7();
    // Registered before the commit, so the saga's answer cannot ring before anyone listens.
    let watch = state.settlements.watch(id);
    let mut tx = state.pool.begin().await?;
    let new = NewOrder { id, user_id: user, placement, key, at: chrono::Utc::now() };
    if orders::insert(&mut tx, &new).await.unless_taken()?.is_none() {
        return Ok(None);
    }
    let items = placement
        .lines
        .iter()
        .map(|l| OrderLine { product_id: l.product_id, quantity: l.quantity })
        .collect();
    Outbox::stage(&mut tx, &OrderCreated { order_id: id, user_id: user, items }).await?;
    state.outbox.commit(tx).await?;
    Ok(Some(wait_for_saga(state, &watch, id).await?))
}

/// The order this user already created with `key`, if any; a 422 if it was for another request.
pub(crate) async fn replay(
    state: &AppState,
    user: Uuid,
    key: &IdempotencyKey,
    fingerprint: &[u8; 32],
) -> Result<Option<Order>, AppError> {
    let mut db = state.pool.acquire().await?;
    let recorded = orders::find_by_key(&mut db, user, key).await?;
    let Some(id) = idempotency::replayed(recorded, fingerprint)? else {
        return Ok(None);
    };
    Ok(orders::find(&mut db, id).await?)
}

/// The order once the saga has settled it and, if it must be paid, Stripe has made its intent;
/// or as it is when the configured wait is over.
async fn wait_for_saga(state: &AppState, watch: &Watch, id: Uuid) -> Result<Order, AppError> {
    let deadline = Instant::now() + state.settle_wait;
    loop {
        let mut db = state.pool.acquire().await?;
        let order = orders::find(&mut db, id).await?.ok_or(AppError::NotFound)?;
        drop(db);
        let left = deadline.saturating_duration_since(Instant::now());
        let ready = order.status.is_settled() && !order.awaits_its_intent();
        if ready || left == Duration::ZERO {
            return Ok(order);
        }
        watch.ring(left.min(settle::POLL)).await;
    }
}
