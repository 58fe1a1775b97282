use axum::extract::State;
use common::{AppError, Problem, http::Json};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::{domain::Email, error::AuthError, state::AppState, store::accounts, throttle::ClientAddress};

use super::session::{TokenPair, start_session};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    #[schema(example = "ada@example.com")]
    email: String,
    #[schema(value_type = String, format = Password)]
    password: SecretString,
}

/// Sign in with email and password.
///
/// Failed sign-ins in a row lock the account (or the unknown email) for the rest of a window,
/// and each client address may make only so many sign-ins a minute: both answer 429 with
/// `Retry-After`.
#[utoipa::path(
    post, path = "/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown email or wrong password (one identical body for both)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed sign-ins for this account, or too many sign-ins from this address; see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "Too busy hashing passwords; retry", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn login(
    State(state): State<AppState>,
    client: ClientAddress,
    Json(request): Json<LoginRequest>,
) -> Result<TokenPair, AppError> {
    let outcome = sign_in(&state, client, request).await;
    let label = match &outcome {
        Ok(_) => "succeeded",
        Err(AppError::Unauthorized(_)) => "refused",
        Err(AppError::TooManyRequests { .. }) => "throttled",
        Err(_) => "failed",
    };
    metrics::counter!("auth_sign_ins_total", "outcome" => label).increment(1);
    outcome
}

async fn sign_in(
    state: &AppState,
    client: ClientAddress,
    request: LoginRequest,
) -> Result<TokenPair, AppError> {
    state.throttle.login_from(client)?;
    // No account can have an overlong password; refuse before spending a hash on it.
    if request.password.expose_secret().chars().count() > 128 {
        return Err(AuthError::InvalidCredentials.into());
    }
    let account = match Email::parse(&request.email) {
        Ok(email) => accounts::find_by_email(&state.pool, email.as_str()).await?,
        Err(_) => None,
    };
    // Counted before the password is checked; a locked account gets no check at all.
    let attempt =
        state.throttle.login_attempt(&state.pool, account.as_ref().map(|a| a.id), &request.email).await?;
    let stored_hash = account.as_ref().map(|a| a.password_hash.clone());
    // Always verify, against a dummy hash for unknown emails, so every failure costs the same.
    let matches = state.passwords.verify(request.password, stored_hash).await?;
    let account = account
        .filter(|a| matches && a.status == accounts::Status::Active)
        .ok_or(AuthError::InvalidCredentials)?;
    state.throttle.login_succeeded(&state.pool, attempt).await?;
    let pair = start_session(state, &account).await?;
    tracing::info!(account = %account.id, "signed in");
    Ok(pair)
}
