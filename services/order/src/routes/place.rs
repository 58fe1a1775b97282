use std::time::Duration;

use axum::{extract::State, http::HeaderMap, response::Response};
use common::{
    AppError, Problem,
    db::is_unique_violation,
    http::Json,
    idempotency::{self, IdempotencyKey},
    rbac::{AuthUser, Permission},
};
use events::{OrderCreated, OrderLine};
use messaging::Outbox;
use tokio::time::Instant;
use uuid::Uuid;

use crate::{
    domain::{Lines, PlaceOrder},
    order::Order,
    routes::placed,
    settle::{self, Watch},
    state::AppState,
    store::orders::{self, NewOrder},
};

/// Place an order. It is stored `pending` while the product service reserves its stock; the
/// answer waits a moment for that (201 with the final status), else it is 202 with `pending`.
///
/// With an `Idempotency-Key` (per user), a retry returns the order the first request created and
/// creates nothing; the same key with different lines is a 422.
#[utoipa::path(
    post, path = "/order", tag = "order",
    request_body = PlaceOrder,
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters")),
    responses(
        (status = 201, description = "Settled: `confirmed` or `rejected`; `Location` set", body = Order),
        (status = 202, description = "Still `pending`; follow `Location`", body = Order),
        (status = 400, description = "Malformed JSON or a wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A line breaks a rule, or the key was used for other lines", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn place(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    Json(input): Json<PlaceOrder>,
) -> Result<Response, AppError> {
    user.require(Permission::PlaceOrders)?;
    let key = IdempotencyKey::from_headers(&headers)?;
    let lines = Lines::parse(input).map_err(AppError::Validation)?;
    if let Some(key) = &key
        && let Some(first) = replay(&state, user.id, key, &lines).await?
    {
        return Ok(placed(first));
    }

    let id = Uuid::now_v7();
    let watch = state.settlements.watch(id);
    let mut tx = state.pool.begin().await?;
    let new = NewOrder { id, user_id: user.id, lines: &lines, key: key.as_ref(), at: chrono::Utc::now() };
    match orders::insert(&mut tx, &new).await {
        Ok(()) => {}
        // Another request with this key got there first: answer as its replay.
        Err(error) if is_unique_violation(&error) && key.is_some() => {
            drop(tx);
            let key = key.as_ref().expect("checked above");
            let first = replay(&state, user.id, key, &lines).await?;
            return first.map(placed).ok_or_else(|| anyhow::anyhow!("the racing order vanished").into());
        }
        Err(error) => return Err(anyhow::Error::from(error).into()),
    }
    let items = lines.iter().map(|l| OrderLine { product_id: l.product_id, quantity: l.quantity }).collect();
    Outbox::stage(&mut tx, &OrderCreated { order_id: id, user_id: user.id, items }).await?;
    state.outbox.commit(tx).await?;
    Ok(placed(wait_for_saga(&state, &watch, id).await?))
}

/// The order this user already created with `key`, if any; a 422 if it was for other lines.
async fn replay(
    state: &AppState,
    user: Uuid,
    key: &IdempotencyKey,
    lines: &Lines,
) -> Result<Option<Order>, AppError> {
    let mut db = state.pool.acquire().await?;
    let Some((id, fingerprint)) = orders::find_by_key(&mut *db, user, key).await? else {
        return Ok(None);
    };
    if fingerprint != lines.fingerprint() {
        return Err(idempotency::reused());
    }
    Ok(orders::find(&mut db, id).await?)
}

/// The order once the saga has settled it, or as it is when the configured wait is over.
async fn wait_for_saga(state: &AppState, watch: &Watch, id: Uuid) -> Result<Order, AppError> {
    let deadline = Instant::now() + state.settle_wait;
    loop {
        let mut db = state.pool.acquire().await?;
        let order = orders::find(&mut db, id).await?.ok_or(AppError::NotFound)?;
        drop(db);
        let left = deadline.saturating_duration_since(Instant::now());
        if order.status.is_settled() || left == Duration::ZERO {
            return Ok(order);
        }
        watch.ring(left.min(settle::POLL)).await;
    }
}
