use axum::extract::State;
use chrono::{DateTime, Utc};
use common::{
    AppError, Problem,
    http::Json,
    rbac::{AuthUser, Role},
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{state::AppState, store::accounts};

#[derive(Serialize, ToSchema)]
pub(crate) struct Me {
    id: Uuid,
    email: String,
    role: Role,
    created_at: DateTime<Utc>,
}

/// The account the bearer token belongs to.
#[utoipa::path(
    get, path = "/auth/me", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in account", body = Me),
        (status = 401, description = "Missing, invalid or expired token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The account no longer exists or is disabled", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn me(State(state): State<AppState>, user: AuthUser) -> Result<Json<Me>, AppError> {
    let account = accounts::find_by_id(&state.pool, user.id)
        .await?
        .filter(|a| a.status == accounts::Status::Active)
        .ok_or(AppError::NotFound)?;
    Ok(Json(Me { id: account.id, email: account.email, role: account.role, created_at: account.created_at }))
}
