//! HTTP only: extract, call, map.
//!
//! Object-level access (OWASP API1): a customer reaches only their own orders; anyone else's
//! answer 404, exactly like an order that does not exist, so ids cannot be probed. Function-level
//! access: an endpoint or a change a role may not use at all answers 403.

mod cart;
mod list;
mod payments;
mod place;
mod status;

use axum::{
    Router,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use common::{
    AppError, FieldError, Problem,
    http::Json,
    openapi::BearerAuth,
    rbac::{AuthUser, Permission},
};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{order::Order, state::AppState};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "shopper order",
        description = "Orders: customers place and cancel theirs; admins see all and drive them to delivery."
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags((name = "order", description = "Orders"), (name = "cart", description = "The signed-in user's cart"), (name = "payments", description = "The payment provider's webhook"))
)]
struct ApiDoc;

fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(place::place, list::list))
        .routes(routes!(list::get, status::change))
        .routes(routes!(list::list_for_user))
        .routes(routes!(cart::view, cart::clear))
        .routes(routes!(cart::set, cart::remove))
        .routes(routes!(cart::checkout))
        .routes(routes!(payments::stripe_webhook))
}

/// The order service's OpenAPI 3.1 document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    common::openapi::finish(api().into_openapi())
}

pub(crate) fn router(state: AppState) -> Router {
    common::openapi::router(api(), state)
}

/// The object-level rule of this service: `AuthUser::require_visible` with `ManageOrders`.
pub(crate) fn ensure_visible(user: &AuthUser, owner: Uuid) -> Result<(), AppError> {
    user.require_visible(owner, Permission::ManageOrders)
}

/// An order, with its `Location`: 201 once settled, 202 while its stock is still being reserved.
pub(crate) fn placed(order: Order) -> Response {
    let status = if order.status.is_settled() { StatusCode::CREATED } else { StatusCode::ACCEPTED };
    let location = HeaderValue::from_str(&format!("/order/{}", order.id));
    let mut response = (status, Json(order)).into_response();
    if let Ok(location) = location {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}
