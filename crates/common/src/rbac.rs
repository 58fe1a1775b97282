//! Role-based access: roles grant permissions, handlers ask for permissions.
//!
//! [`AuthUser`] is the extractor for the signed-in user (401 without a valid bearer token);
//! [`AuthUser::require`] and [`AuthUser::require_self_or`] are the guards (403);
//! [`AuthUser::require_visible`] is the object-level one (404).

use std::{fmt, str::FromStr, sync::Arc};

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{header, request::Parts},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{AppError, jwt::TokenVerifier};

/// What an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A shopper: their own account and orders.
    Customer,
    /// Runs the shop: every account, the catalogue, every order.
    Admin,
}

/// Something a handler may require.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read and change one's own account and profile.
    ManageOwnAccount,
    /// Place orders and cancel one's own.
    PlaceOrders,
    /// Read, change and delete any account, and change roles.
    ManageUsers,
    /// Create, change and delete products.
    ManageCatalog,
    /// Read every order and drive its status.
    ManageOrders,
}

impl Role {
    /// Every permission this role grants.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Customer => &[ManageOwnAccount, PlaceOrders],
            Role::Admin => &[ManageOwnAccount, PlaceOrders, ManageUsers, ManageCatalog, ManageOrders],
        }
    }

    /// Whether this role grants `permission`.
    pub fn can(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }

    /// The name stored in databases and tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "customer" => Ok(Role::Customer),
            "admin" => Ok(Role::Admin),
            other => Err(format!("unknown role `{other}`")),
        }
    }
}

/// The signed-in user, taken from a valid bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthUser {
    /// The account id (`sub`).
    pub id: Uuid,
    /// The role the token carries.
    pub role: Role,
}

impl AuthUser {
    /// 403 unless the user's role grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.role.can(permission) { Ok(()) } else { Err(AppError::Forbidden) }
    }

    /// 403 unless the user is `owner` or holds `permission` over everyone's resources.
    pub fn require_self_or(&self, owner: Uuid, permission: Permission) -> Result<(), AppError> {
        if self.id == owner { Ok(()) } else { self.require(permission) }
    }

    /// The object-level rule (OWASP API1): a record is visible to its `owner` and to whoever holds
    /// `permission`; to anyone else it answers 404, exactly like a record that does not exist, so
    /// ids cannot be probed.
    pub fn require_visible(&self, owner: Uuid, permission: Permission) -> Result<(), AppError> {
        self.require_self_or(owner, permission).map_err(|_| AppError::NotFound)
    }
}

impl<S> FromRequestParts<S> for AuthUser
where
    Arc<TokenVerifier>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or(AppError::Unauthorized("a bearer token is required"))?;
        let verifier = Arc::<TokenVerifier>::from_ref(state);
        match verifier.verify(token).await {
            Ok(claims) => Ok(AuthUser { id: claims.sub, role: claims.role }),
            Err(reason) => {
                tracing::info!(%reason, "token refused");
                Err(AppError::Unauthorized("the token is invalid or expired"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_cannot_manage_other_users_but_admins_can() {
        assert!(!Role::Customer.can(Permission::ManageUsers));
        assert!(Role::Admin.can(Permission::ManageUsers));
    }

    #[test]
    fn a_user_may_act_on_their_own_resource_only() {
        let me = AuthUser { id: Uuid::now_v7(), role: Role::Customer };
        assert!(me.require_self_or(me.id, Permission::ManageUsers).is_ok());
        assert!(matches!(
            me.require_self_or(Uuid::now_v7(), Permission::ManageUsers),
            Err(AppError::Forbidden)
        ));
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [Role::Customer, Role::Admin] {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
    }
}
