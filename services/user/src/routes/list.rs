use axum::extract::State;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use common::{
    AppError, Problem,
    http::{Json, Query},
    rbac::{AuthUser, Permission},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    profile::Profile,
    state::AppState,
    store::profiles::{self, ListQuery},
};

const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;
const MAX_PREFIX: usize = 254;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    /// 1 to 100, 20 by default.
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Only emails starting with this.
    email: Option<String>,
    /// Only names starting with this.
    name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ProfilePage {
    items: Vec<Profile>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    next_cursor: Option<String>,
}

/// Every user, in creation order, a page at a time (admins only).
#[utoipa::path(
    get, path = "/user", tag = "user",
    params(ListParams),
    responses(
        (status = 200, description = "A page of profiles", body = ProfilePage),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Query(params): Query<ListParams>,
) -> Result<Json<ProfilePage>, AppError> {
    user.require(Permission::ManageUsers)?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(AppError::invalid("limit", "must be from 1 to 100"));
    }
    let after = params.cursor.as_deref().map(decode_cursor).transpose()?;
    for (field, value) in [("email", &params.email), ("name", &params.name)] {
        if value.as_ref().is_some_and(|v| v.chars().count() > MAX_PREFIX) {
            return Err(AppError::invalid(field, "must be at most 254 characters"));
        }
    }
    let email = params.email.map(|e| e.trim().to_lowercase());
    let query = ListQuery {
        after,
        // One more than asked tells whether another page follows.
        limit: limit + 1,
        email_prefix: email.as_deref(),
        name_prefix: params.name.as_deref().map(str::trim),
    };
    let mut rows = profiles::list(&state.pool, query).await.map_err(anyhow::Error::from)?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = more.then(|| rows.last().map(|r| encode_cursor(r.id))).flatten();
    let items =
        rows.into_iter().map(|row| Profile::from_row(row, &state.keys)).collect::<anyhow::Result<_>>()?;
    Ok(Json(ProfilePage { items, next_cursor }))
}

/// The cursor is opaque to clients: the last id seen, base64url-encoded.
fn encode_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

fn decode_cursor(cursor: &str) -> Result<Uuid, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| Uuid::from_slice(&bytes).ok())
        .ok_or_else(|| AppError::invalid("cursor", "is not a cursor this service issued"))
}
