//! The signed-in user's cart: lines at the catalogue's current prices (the order service's copy),
//! changed one line at a time under the cart's lock, checked out into an order exactly as
//! `POST /order` places one.
//!
//! The cart is left as it was by a checkout that does not succeed; the units a successful one
//! bought leave the cart when the order is confirmed (`subscriptions::saga`), in the transaction
//! that confirms it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use common::{AppError, FieldError, idempotency::IdempotencyKey};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    domain::{LineInput, Lines, MAX_LINES, MAX_QUANTITY, PlaceOrder, Placement, checkout_fingerprint},
    order::Order,
    placing,
    state::AppState,
    store::{
        carts::{self, CartLine},
        catalogue::{self, Listed},
    },
};

/// A cart as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Cart {
    /// In the order they were added.
    items: Vec<CartItem>,
    /// The available lines at current prices; `null` while they mix currencies.
    total_cents: Option<i64>,
    /// The available lines' currency; `null` for none or a mix.
    currency: Option<String>,
    /// When the cart last changed; `null` for a cart never used.
    updated_at: Option<DateTime<Utc>>,
}

/// One line of a cart.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CartItem {
    product_id: Uuid,
    name: String,
    quantity: i64,
    unit_price_cents: i64,
    currency: String,
    /// `false` for a product withdrawn from the catalogue or, by the latest stock figure, out of
    /// stock. Only the reservation at checkout knows for sure.
    available: bool,
}

/// The user's cart.
pub(crate) async fn view(state: &AppState, user: Uuid) -> Result<Cart, AppError> {
    let lines = carts::lines(&state.pool, user).await?;
    let ids: Vec<Uuid> = lines.iter().map(|line| line.product_id).collect();
    let listed: HashMap<Uuid, Listed> =
        catalogue::find_many(&state.pool, &ids).await?.into_iter().map(|p| (p.product_id, p)).collect();
    let items: Vec<CartItem> = lines.iter().map(|line| item(line, listed.get(&line.product_id))).collect();
    let updated_at = carts::updated_at(&state.pool, user).await?;
    Ok(priced(items, updated_at))
}

fn item(line: &CartLine, listed: Option<&Listed>) -> CartItem {
    match listed {
        Some(p) => CartItem {
            product_id: line.product_id,
            name: p.name.clone(),
            quantity: line.quantity,
            unit_price_cents: p.price_cents,
            currency: p.currency.clone(),
            available: p.sold && p.stock_hint >= line.quantity,
        },
        // A line is only added for a product the copy knows, and the copy forgets none.
        None => CartItem {
            product_id: line.product_id,
            name: String::new(),
            quantity: line.quantity,
            unit_price_cents: 0,
            currency: String::new(),
            available: false,
        },
    }
}

fn priced(items: Vec<CartItem>, updated_at: Option<DateTime<Utc>>) -> Cart {
    let available: Vec<&CartItem> = items.iter().filter(|item| item.available).collect();
    let currency = available.first().map(|item| item.currency.clone());
    let one_currency = available.iter().all(|item| Some(&item.currency) == currency.as_ref());
    let total = available.iter().try_fold(0_i64, |total, item| {
        item.unit_price_cents.checked_mul(item.quantity).and_then(|cost| total.checked_add(cost))
    });
    let (total_cents, currency) = match (one_currency, total) {
        (true, Some(total)) => (Some(total), currency),
        _ => (None, None),
    };
    Cart { items, total_cents, currency, updated_at }
}

/// Sets the line of `product` to `quantity` units: 404 for a product the catalogue does not sell,
/// 422 for a quantity out of range or a line past the limit.
pub(crate) async fn set(
    state: &AppState,
    user: Uuid,
    product: Uuid,
    quantity: i64,
) -> Result<Cart, AppError> {
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(AppError::invalid("quantity", format!("must be from 1 to {MAX_QUANTITY}")));
    }
    if !catalogue::find(&state.pool, product).await?.is_some_and(|p| p.sold) {
        return Err(AppError::NotFound);
    }
    let mut tx = state.pool.begin().await?;
    carts::lock(&mut tx, user, Utc::now()).await?;
    let (present, lines) = carts::census(&mut tx, user, product).await?;
    if !present && lines >= MAX_LINES as i64 {
        return Err(AppError::invalid("items", format!("a cart holds at most {MAX_LINES} lines")));
    }
    carts::set_line(&mut tx, user, product, quantity, Utc::now()).await?;
    tx.commit().await?;
    view(state, user).await
}

/// Removes the line of `product` (a line that is not there is removed already).
pub(crate) async fn remove(state: &AppState, user: Uuid, product: Uuid) -> Result<Cart, AppError> {
    let mut tx = state.pool.begin().await?;
    carts::lock(&mut tx, user, Utc::now()).await?;
    carts::remove_line(&mut tx, user, product).await?;
    tx.commit().await?;
    view(state, user).await
}

/// Empties the cart.
pub(crate) async fn clear(state: &AppState, user: Uuid) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    carts::lock(&mut tx, user, Utc::now()).await?;
    carts::clear(&mut tx, user).await?;
    tx.commit().await?;
    Ok(())
}

/// Places the cart's lines as an order. With a key, a retry replays the first order even when
/// that order's confirmation has emptied the cart since. 422 for an empty cart, or one holding a
/// product the catalogue no longer sells.
pub(crate) async fn checkout(
    state: &AppState,
    user: Uuid,
    key: Option<&IdempotencyKey>,
) -> Result<Order, AppError> {
    if let Some(key) = key
        && let Some(first) = placing::replay(state, user, key, &checkout_fingerprint()).await?
    {
        return Ok(first);
    }
    let lines = carts::lines(&state.pool, user).await?;
    if lines.is_empty() {
        return Err(AppError::invalid("items", "the cart is empty"));
    }
    let ids: Vec<Uuid> = lines.iter().map(|line| line.product_id).collect();
    let sold: HashMap<Uuid, bool> =
        catalogue::find_many(&state.pool, &ids).await?.into_iter().map(|p| (p.product_id, p.sold)).collect();
    let withdrawn: Vec<FieldError> = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| !sold.get(&line.product_id).copied().unwrap_or(false))
        .map(|(index, _)| FieldError::new(format!("items[{index}].product_id"), "is no longer sold"))
        .collect();
    if !withdrawn.is_empty() {
        return Err(AppError::Validation(withdrawn));
    }
    let items = lines.iter().map(|line| LineInput { product_id: line.product_id, quantity: line.quantity });
    let lines = Lines::parse(PlaceOrder { items: items.collect() }).map_err(AppError::Validation)?;
    placing::place(state, user, key, &Placement::checkout(&lines)).await
}
