use axum::{extract::State, http::HeaderMap, response::Response};
use common::{
    AppError, Problem,
    http::Json,
    idempotency::IdempotencyKey,
    rbac::{AuthUser, Permission},
};

use crate::{
    domain::{Lines, PlaceOrder, Placement},
    order::Order,
    placing,
    routes::placed,
    state::AppState,
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
    Ok(placed(placing::place(&state, user.id, key.as_ref(), &Placement::order(&lines)).await?))
}
