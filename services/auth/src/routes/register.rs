use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use common::{AppError, FieldError, Problem, http::Json, rbac::Role};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    domain::{Email, Password, PersonName},
    registration,
    state::AppState,
    throttle::ClientAddress,
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterRequest {
    /// Case-insensitive; stored trimmed and lower-cased.
    #[schema(example = "ada@example.com", max_length = 254)]
    email: String,
    /// 8 to 128 characters, and not one of the 10,000 most common passwords.
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 128)]
    password: SecretString,
    /// 1 to 100 characters.
    #[schema(example = "Ada Lovelace", min_length = 1, max_length = 100)]
    name: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AccountCreated {
    id: Uuid,
    email: String,
    name: String,
    role: Role,
    created_at: DateTime<Utc>,
}

/// Create a customer account.
#[utoipa::path(
    post, path = "/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created", body = AccountCreated),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule, e.g. a password that is too short or one of the most commonly used", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many registrations from this address; see `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    )
)]
pub(crate) async fn register(
    State(state): State<AppState>,
    client: ClientAddress,
    Json(request): Json<RegisterRequest>,
) -> Result<(StatusCode, Json<AccountCreated>), AppError> {
    state.throttle.register_from(client)?;
    let mut errors = Vec::new();
    let email = Email::parse(&request.email).map_err(|m| errors.push(FieldError::new("email", m))).ok();
    let password =
        Password::parse(request.password).map_err(|m| errors.push(FieldError::new("password", m))).ok();
    let name = PersonName::parse(&request.name).map_err(|m| errors.push(FieldError::new("name", m))).ok();
    let (Some(email), Some(password), Some(name)) = (email, password, name) else {
        return Err(AppError::Validation(errors));
    };

    let password_hash = state.passwords.hash(password.into_secret()).await?;
    let account =
        registration::create_account(&state, &email, name.as_str(), &password_hash, Role::Customer).await?;
    tracing::info!(account = %account.id, "account registered");

    let body = AccountCreated {
        id: account.id,
        email: email.to_string(),
        name: name.into_inner(),
        role: Role::Customer,
        created_at: account.created_at,
    };
    Ok((StatusCode::CREATED, Json(body)))
}
