use axum::{extract::State, http::header, response::IntoResponse};
use common::http::Json;

use crate::state::AppState;

/// The public keys that verify access tokens (JWK Set, RFC 7517). No private parts.
#[utoipa::path(
    get, path = "/.well-known/jwks.json", tag = "auth",
    responses((status = 200, description = "JWK Set", content_type = "application/json", body = Object))
)]
pub(crate) async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(state.jwks.as_ref().clone()))
}
