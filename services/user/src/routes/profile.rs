use axum::{extract::State, http::StatusCode};
use common::{
    AppError, FieldError, Problem,
    http::{Json, Path},
    rbac::{AuthUser, Permission, Role},
};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;
use uuid::Uuid;

use super::ensure_visible;
use crate::{
    domain::{Address, AddressInput, Email, PersonName, Phone},
    editing,
    profile::Profile,
    state::AppState,
    store::profiles,
};

/// One profile.
#[utoipa::path(
    get, path = "/user/{id}", tag = "user",
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 200, description = "The profile", body = Profile),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user, deleted, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<Json<Profile>, AppError> {
    ensure_visible(&user, id)?;
    let row = profiles::find(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(Profile::from_row(row, &state.keys)?))
}

/// Tells a field set to `null` (`Some(None)`: clear it) from a field left out (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The fields to change; the ones left out stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfilePatch {
    /// 1 to 100 characters.
    #[serde(default)]
    name: Option<String>,
    /// E.164, e.g. `+14155550123`; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    phone: Option<Option<String>>,
    /// `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<AddressInput>)]
    address: Option<Option<AddressInput>>,
    /// Admins only: `customer` or `admin`.
    #[serde(default)]
    role: Option<String>,
    /// Admins only.
    #[serde(default)]
    email: Option<String>,
}

/// Change a profile. Only admins may change `role` and `email`.
#[utoipa::path(
    patch, path = "/user/{id}", tag = "user",
    params(("id" = Uuid, Path, description = "The user's id")),
    request_body = ProfilePatch,
    responses(
        (status = 200, description = "The changed profile", body = Profile),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role or email changed by a non-admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user, deleted, or not yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email belongs to another user", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule, or is not a field", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn patch(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    Json(patch): Json<ProfilePatch>,
) -> Result<Json<Profile>, AppError> {
    ensure_visible(&user, id)?;
    if patch.role.is_some() || patch.email.is_some() {
        user.require(Permission::ManageUsers)?;
    }
    let changes = Changes::parse(patch)?;

    let profile = editing::change(&state, id, |profile| changes.apply(profile)).await?;
    Ok(Json(profile))
}

/// The value, or `None` with the broken rule noted against `field`.
fn check<T>(errors: &mut Vec<FieldError>, field: &str, result: Result<T, &'static str>) -> Option<T> {
    result.map_err(|message| errors.push(FieldError::new(field, message))).ok()
}

/// A patch whose every field has been checked.
struct Changes {
    name: Option<PersonName>,
    phone: Option<Option<Phone>>,
    address: Option<Option<Address>>,
    role: Option<Role>,
    email: Option<Email>,
}

impl Changes {
    fn parse(patch: ProfilePatch) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        let name = patch.name.map(|n| check(&mut errors, "name", PersonName::parse(&n)));
        let phone = patch.phone.map(|p| p.map(|p| check(&mut errors, "phone", Phone::parse(&p))));
        let email = patch.email.map(|e| check(&mut errors, "email", Email::parse(&e)));
        let role = patch
            .role
            .map(|r| check(&mut errors, "role", r.parse::<Role>().map_err(|_| "must be customer or admin")));
        let address = patch.address.map(|a| {
            a.map(|a| Address::parse(a).map_err(|mut address_errors| errors.append(&mut address_errors)).ok())
        });
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        // Every inner `None` left here is a field that failed, and errors would not be empty.
        Ok(Self {
            name: name.flatten(),
            phone: phone.map(|p| p.flatten()),
            address: address.map(|a| a.flatten()),
            role: role.flatten(),
            email: email.flatten(),
        })
    }

    fn apply(self, profile: &mut Profile) {
        if let Some(name) = self.name {
            profile.name = name.into_inner();
        }
        if let Some(phone) = self.phone {
            profile.phone = phone;
        }
        if let Some(address) = self.address {
            profile.address = address;
        }
        if let Some(role) = self.role {
            profile.role = role;
        }
        if let Some(email) = self.email {
            profile.email = email.as_str().to_owned();
        }
    }
}

/// Delete a profile (soft): 404 for everyone from then on, and the account can no longer sign in.
#[utoipa::path(
    delete, path = "/user/{id}", tag = "user",
    params(("id" = Uuid, Path, description = "The user's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user, deleted, or not yours", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    ensure_visible(&user, id)?;
    editing::delete(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
