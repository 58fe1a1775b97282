//! HTTP only: extract, call, map.

mod catalogue;
mod import;
mod search;

use axum::Router;
use common::{FieldError, Problem, openapi::BearerAuth};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "shopper product", description = "The catalogue: search it, read it; admins change it."),
    components(schemas(Problem, FieldError)),
    modifiers(&BearerAuth),
    tags((name = "product", description = "Products"))
)]
struct ApiDoc;

fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(catalogue::create, search::search))
        .routes(routes!(catalogue::get, catalogue::replace, catalogue::delete))
        .routes(routes!(import::import))
}

/// The product service's OpenAPI 3.1 document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    common::openapi::finish(api().into_openapi())
}

pub(crate) fn router(state: AppState) -> Router {
    common::openapi::router(api(), state)
}
