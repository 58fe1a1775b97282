//! The mailer's HTTP port: the OpenAPI document that lists its health routes (which the runtime
//! serves). Its work
//! arrives from RabbitMQ; its metrics are on the admin port.

use axum::{Router, routing::get};
use common::http::{HealthApi, Json};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "shopper mailer", description = "Sends the shop's mails; over HTTP it answers only health probes."),
    tags((name = "health", description = "Liveness and readiness"))
)]
struct ApiDoc;

/// The mailer's OpenAPI 3.1 document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi().merge_from(HealthApi::openapi())
}

pub(crate) fn router() -> Router {
    let openapi = openapi();
    Router::new().route("/openapi.json", get(move || async move { Json(openapi) }))
}
