//! `/cart`: the signed-in user's own cart. No cart belongs to anyone else, so there is no id to
//! probe: every endpoint works on the caller's.

use axum::{extract::State, http::HeaderMap, http::StatusCode, response::Response};
use common::{
    AppError, Problem,
    http::{Json, Path},
    idempotency::IdempotencyKey,
    rbac::{AuthUser, Permission},
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    cart::{self, Cart},
    order::Order,
    routes::placed,
    state::AppState,
};

/// The body of `PUT /cart/items/{product_id}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetQuantity {
    /// 1 to 1000 units.
    quantity: i64,
}

/// The caller's cart (an empty one has no items, never a 404).
#[utoipa::path(
    get, path = "/cart", tag = "cart",
    responses((status = 200, description = "The cart", body = Cart))
)]
pub(crate) async fn view(State(state): State<AppState>, user: AuthUser) -> Result<Json<Cart>, AppError> {
    Ok(Json(cart::view(&state, user.id).await?))
}

/// Empty the caller's cart.
#[utoipa::path(
    delete, path = "/cart", tag = "cart",
    responses((status = 204, description = "Emptied"))
)]
pub(crate) async fn clear(State(state): State<AppState>, user: AuthUser) -> Result<StatusCode, AppError> {
    cart::clear(&state, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Put `quantity` units of a product in the cart (replacing the line's quantity).
#[utoipa::path(
    put, path = "/cart/items/{product_id}", tag = "cart",
    params(("product_id" = Uuid, Path, description = "The product's id")),
    request_body = SetQuantity,
    responses(
        (status = 200, description = "The cart", body = Cart),
        (status = 404, description = "The catalogue does not sell this product", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A quantity out of range, or a line past the 100 a cart holds", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn set(
    State(state): State<AppState>,
    user: AuthUser,
    Path(product): Path<Uuid>,
    Json(input): Json<SetQuantity>,
) -> Result<Json<Cart>, AppError> {
    Ok(Json(cart::set(&state, user.id, product, input.quantity).await?))
}

/// Take a product out of the cart (one that is not there is out already).
#[utoipa::path(
    delete, path = "/cart/items/{product_id}", tag = "cart",
    params(("product_id" = Uuid, Path, description = "The product's id")),
    responses((status = 200, description = "The cart", body = Cart))
)]
pub(crate) async fn remove(
    State(state): State<AppState>,
    user: AuthUser,
    Path(product): Path<Uuid>,
) -> Result<Json<Cart>, AppError> {
    Ok(Json(cart::remove(&state, user.id, product).await?))
}

/// Place the cart's lines as an order: answers exactly as `POST /order`. The cart keeps its
/// lines until the order is confirmed, and then loses the units bought.
#[utoipa::path(
    post, path = "/cart/checkout", tag = "cart",
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters")),
    responses(
        (status = 201, description = "Settled: `confirmed` or `rejected`; `Location` set", body = Order),
        (status = 202, description = "Still `pending`; follow `Location`", body = Order),
        (status = 422, description = "An empty cart, a product no longer sold, or the key used for another request", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn checkout(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    user.require(Permission::PlaceOrders)?;
    let key = IdempotencyKey::from_headers(&headers)?;
    Ok(placed(cart::checkout(&state, user.id, key.as_ref()).await?))
}
