use axum::extract::State;
use common::{
    AppError, Problem,
    http::{Json, Path, Query},
    paging::{self, IdPageRequest, ListKey, Page},
    rbac::{AuthUser, Permission},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    domain::Status,
    order::Order,
    routes::ensure_visible,
    state::AppState,
    store::orders::{self, Filter},
};

/// One order (its owner or an admin).
#[utoipa::path(
    get, path = "/order/{id}", tag = "order",
    params(("id" = Uuid, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The order", body = Order),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Order>, AppError> {
    let mut db = state.pool.acquire().await?;
    let order = orders::find(&mut db, id).await?.ok_or(AppError::NotFound)?;
    ensure_visible(&user, order.user_id)?;
    Ok(Json(order.shown_to(user.id)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListParams {
    /// Only orders in this status.
    #[param(value_type = Option<Status>, nullable = false)]
    status: Option<String>,
    /// Only this user's orders.
    user_id: Option<Uuid>,
    /// 1 to 100, 20 by default.
    #[param(minimum = 1, maximum = 100, nullable = false)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserListParams {
    /// Only orders in this status.
    #[param(value_type = Option<Status>, nullable = false)]
    status: Option<String>,
    /// 1 to 100, 20 by default.
    #[param(minimum = 1, maximum = 100, nullable = false)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// A page of orders, newest first.
#[derive(Serialize, ToSchema)]
pub(crate) struct OrderPage {
    items: Vec<Order>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    next_cursor: Option<String>,
}

/// Every order, newest first, filtered by status or user (admins).
#[utoipa::path(
    get, path = "/order", tag = "order",
    params(ListParams),
    responses(
        (status = 200, description = "A page of orders", body = OrderPage),
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
) -> Result<Json<OrderPage>, AppError> {
    user.require(Permission::ManageOrders)?;
    page(&state, &user, params.user_id, params.status, params.limit, params.cursor).await
}

/// One user's orders, newest first (that user or an admin).
#[utoipa::path(
    get, path = "/order/user/{id}", tag = "order",
    params(("id" = Uuid, Path, description = "The user's id"), UserListParams),
    responses(
        (status = 200, description = "A page of that user's orders", body = OrderPage),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Someone else's orders", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_for_user(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Query(params): Query<UserListParams>,
) -> Result<Json<OrderPage>, AppError> {
    ensure_visible(&user, id)?;
    page(&state, &user, Some(id), params.status, params.limit, params.cursor).await
}

async fn page(
    state: &AppState,
    viewer: &AuthUser,
    user_id: Option<Uuid>,
    status: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
) -> Result<Json<OrderPage>, AppError> {
    let limit = paging::limit(limit)?;
    let status = status.map(|s| parse_status(&s)).transpose()?;
    let user = user_id.map(|id| id.to_string());
    let list = ListKey::new("order.list", &[user.as_deref(), status.map(|s| s.as_str())]);
    let request = IdPageRequest::new(list, limit, cursor.as_deref())?;
    let filter = Filter { user_id, status, before: request.after_id(), limit: request.fetch() };
    let mut db = state.pool.acquire().await?;
    let ids = orders::list(&mut db, &filter).await?;
    let Page { items: ids, next_cursor } = request.page_by_id(ids, |id| *id)?;
    let items = orders::load(&mut db, &ids).await?;
    let items = items.into_iter().map(|order| order.shown_to(viewer.id)).collect();
    Ok(Json(OrderPage { items, next_cursor }))
}

/// A status named by a client; a 422 listing the valid ones otherwise.
pub(crate) fn parse_status(raw: &str) -> Result<Status, AppError> {
    raw.parse().map_err(|()| {
        let names: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        AppError::invalid("status", format!("must be one of {}", names.join(", ")))
    })
}
