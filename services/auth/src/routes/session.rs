//! Sessions: a login starts a refresh-token family; each refresh rotates the token; reusing a
//! rotated token (a sign it was stolen) revokes the whole family; logout revokes it too.

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use common::{AppError, Problem, http::Json};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    sessions::{self, refresh_ttl},
    state::AppState,
    store::{
        accounts::Account,
        refresh_tokens::{self, NewToken},
    },
    tokens::{self, RefreshToken},
};

/// An access token and the refresh token that renews it.
#[derive(Serialize, ToSchema)]
pub(crate) struct TokenPair {
    /// EdDSA-signed JWT for `Authorization: Bearer`.
    access_token: String,
    /// Opaque; single use: each refresh returns a new one.
    refresh_token: String,
    #[schema(example = "Bearer")]
    token_type: &'static str,
    /// Seconds until the access token expires.
    expires_in: u64,
}

/// Credentials must never be kept by a browser's or a proxy's cache (RFC 6749 §5.1): every
/// answer carrying a token pair says so, `Pragma` for HTTP/1.0 caches.
impl IntoResponse for TokenPair {
    fn into_response(self) -> Response {
        let mut response = Json(self).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        response
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefreshRequest {
    #[schema(value_type = String)]
    refresh_token: SecretString,
}

/// Issues a token pair for a new session of `account`.
pub(super) async fn start_session(state: &AppState, account: &Account) -> Result<TokenPair, AppError> {
    let refresh = RefreshToken::generate()?;
    let now = Utc::now();
    let token = NewToken {
        hash: &refresh.hash,
        family_id: Uuid::now_v7(),
        account_id: account.id,
        issued_at: now,
        expires_at: now + refresh_ttl(state),
    };
    refresh_tokens::insert(&state.pool, token).await?;
    pair(state, account, refresh)
}

fn pair(state: &AppState, account: &Account, refresh: RefreshToken) -> Result<TokenPair, AppError> {
    let access = state.issuer.issue(account.id, account.role)?;
    Ok(TokenPair {
        access_token: access.token,
        refresh_token: refresh.value,
        token_type: "Bearer",
        expires_in: access.expires_in,
    })
}

/// Trade a refresh token for a new pair; the old refresh token stops working.
#[utoipa::path(
    post, path = "/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair", body = TokenPair),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown, expired, revoked or already used", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn refresh(
    State(state): State<AppState>,
    Json(request): Json<RefreshRequest>,
) -> Result<TokenPair, AppError> {
    let (account, next) = sessions::rotate(&state, request.refresh_token.expose_secret()).await?;
    // The role is read afresh, so a changed role reaches the next access token.
    pair(&state, &account, next)
}

/// End the session this refresh token belongs to. Unknown tokens are accepted too: the
/// outcome the caller wants, no session, already holds.
#[utoipa::path(
    post, path = "/auth/logout", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Signed out"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn logout(
    State(state): State<AppState>,
    Json(request): Json<RefreshRequest>,
) -> Result<StatusCode, AppError> {
    let presented = tokens::hash(request.refresh_token.expose_secret());
    if let Some(family) = refresh_tokens::family_of(&state.pool, &presented).await? {
        refresh_tokens::revoke_family(&state.pool, family, Utc::now()).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
