//! HTTP only: extract, call, map.
//!
//! Object-level access (OWASP API1): a user reaches only their own profile; anyone else's answers
//! 404, exactly like a profile that does not exist, so ids cannot be probed. Admins reach every
//! profile. Function-level access: an endpoint a role may not use at all answers 403.

mod list;
mod profile;

use axum::Router;
use common::openapi::BearerAuth;
use common::{
    AppError, FieldError, Problem,
    rbac::{AuthUser, Permission},
};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "shopper user", description = "Profiles: read, change and delete your own; admins manage all."),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags((name = "user", description = "Profiles"))
)]
struct ApiDoc;

fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).routes(routes!(list::list)).routes(routes!(
        profile::get,
        profile::patch,
        profile::delete
    ))
}

/// The user service's OpenAPI 3.1 document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    common::openapi::finish(api().into_openapi())
}

pub(crate) fn router(state: AppState) -> Router {
    common::openapi::router(api(), state)
}

/// The object-level rule of this service: `AuthUser::require_visible` with `ManageUsers`.
pub(crate) fn ensure_visible(user: &AuthUser, profile: Uuid) -> Result<(), AppError> {
    user.require_visible(profile, Permission::ManageUsers)
}
