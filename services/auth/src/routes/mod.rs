//! HTTP only: extract, call, map. One module per endpoint group, merged here with the
//! OpenAPI document generated from their annotations.

mod jwks;
mod login;
mod me;
mod register;
mod session;

use axum::Router;
use common::openapi::BearerAuth;
use common::{FieldError, Problem};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "shopper auth", description = "Accounts, access and refresh tokens, and the public signing keys."),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerAuth),
    tags((name = "auth", description = "Sign up, sign in, stay signed in, sign out"))
)]
struct ApiDoc;

fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(register::register))
        .routes(routes!(login::login))
        .routes(routes!(session::refresh))
        .routes(routes!(session::logout))
        .routes(routes!(me::me))
        .routes(routes!(jwks::jwks))
}

/// The auth service's OpenAPI 3.1 document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    common::openapi::finish(api().into_openapi())
}

pub(crate) fn router(state: AppState) -> Router {
    common::openapi::router(api(), state)
}
