use axum::extract::State;
use common::{
    AppError, Problem,
    http::{Json, Query},
    paging::{self, IdPageRequest, ListKey, Page},
    rbac::{AuthUser, Permission},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    profile::Profile,
    state::AppState,
    store::profiles::{self, ListQuery},
};

const MAX_PREFIX: usize = 254;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    /// 1 to 100, 20 by default.
    #[param(minimum = 1, maximum = 100, nullable = false)]
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
    let limit = paging::limit(params.limit)?;
    for (field, value) in [("email", &params.email), ("name", &params.name)] {
        if value.as_ref().is_some_and(|v| v.chars().count() > MAX_PREFIX) {
            return Err(AppError::invalid(field, "must be at most 254 characters"));
        }
    }
    let email = params.email.map(|e| e.trim().to_lowercase());
    let list = ListKey::new("user.list", &[email.as_deref(), params.name.as_deref().map(str::trim)]);
    let request = IdPageRequest::new(list, limit, params.cursor.as_deref())?;
    let query = ListQuery {
        after: request.after_id(),
        limit: request.fetch(),
        email_prefix: email.as_deref(),
        name_prefix: params.name.as_deref().map(str::trim),
    };
    let rows = profiles::list(&state.pool, query).await?;
    let Page { items: rows, next_cursor } = request.page_by_id(rows, |row| row.id)?;
    let items =
        rows.into_iter().map(|row| Profile::from_row(row, &state.keys)).collect::<anyhow::Result<_>>()?;
    Ok(Json(ProfilePage { items, next_cursor }))
}
