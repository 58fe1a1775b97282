use axum::extract::State;
use common::{
    AppError, Problem,
    http::{Json, Path},
    rbac::AuthUser,
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{changing, order::Order, routes::list::parse_status, state::AppState};

/// The body of `PUT /order/{id}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusInput {
    /// `cancelled` (owner or admin), `shipped` or `delivered` (admins).
    status: String,
}

/// Move an order along: its owner may cancel it while pending or confirmed; admins also ship and
/// deliver. Confirming and rejecting are the stock reservation's alone.
#[utoipa::path(
    put, path = "/order/{id}", tag = "order",
    params(("id" = Uuid, Path, description = "The order's id")),
    request_body = StatusInput,
    responses(
        (status = 200, description = "The changed order", body = Order),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Owners may only cancel", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Impossible from the order's status", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a status", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn change(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(input): Json<StatusInput>,
) -> Result<Json<Order>, AppError> {
    let to = parse_status(&input.status)?;
    Ok(Json(changing::change(&state, &user, id, to).await?.shown_to(user.id)))
}
