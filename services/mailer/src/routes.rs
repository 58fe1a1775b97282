//! The mailer's HTTP port: the OpenAPI document that lists its health routes (which the runtime
//! serves), and its docs page. Its work arrives from RabbitMQ; its metrics are on the admin port.

use axum::Router;
use common::http::HealthApi;
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
    common::openapi::document_routes(openapi())
}
