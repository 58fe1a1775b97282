use axum::extract::State;
use common::{
    AppError, Problem,
    http::{Json, Path},
    rbac::{AuthUser, Permission},
};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    domain::{Actor, Refusal, Status},
    lifecycle::{self, Change, ChangeError},
    order::Order,
    routes::{ensure_visible, list::parse_status},
    state::AppState,
    store::orders,
};

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
    let mut tx = state.pool.begin().await?;
    let order = orders::lock(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    ensure_visible(&user, order.user_id)?;
    let actor = if user.role.can(Permission::ManageOrders) { Actor::Admin } else { Actor::Owner };
    let change = Change { to, actor, by: Some(user.id), reason: None };
    match lifecycle::apply(&mut tx, &order, change).await {
        Ok(_) => {}
        Err(ChangeError::Refused(Refusal::NotAllowed)) => return Err(AppError::Forbidden),
        Err(ChangeError::Refused(Refusal::Impossible)) => return Err(impossible(order.status, to)),
        Err(ChangeError::Failed(error)) => return Err(error.into()),
    }
    state.outbox.commit(tx).await?;
    let mut db = state.pool.acquire().await?;
    Ok(Json(orders::find(&mut db, id).await?.ok_or(AppError::NotFound)?))
}

fn impossible(from: Status, to: Status) -> AppError {
    AppError::Conflict(match (from, to) {
        (Status::Pending, Status::Confirmed | Status::Rejected) => {
            "an order is confirmed or rejected by its stock reservation, not by hand".into()
        }
        _ if from == to => format!("the order is already {to}"),
        _ => format!("a {from} order cannot become {to}"),
    })
}
