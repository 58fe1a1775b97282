//! Access tokens: EdDSA-signed JWTs with a `kid`.
//!
//! The auth service signs with a [`SigningKey`] through a [`TokenIssuer`]; every service checks
//! tokens with a [`TokenVerifier`], which takes public keys from a [`KeySource`] (auth's own
//! keys, or the JWKS that auth serves, fetched and cached by [`JwksClient`]). The algorithm is
//! pinned and `iss`, `aud`, `exp` and `sub` are required.

mod issuer;
mod jwks;
mod keys;
mod verifier;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::rbac::Role;

pub use issuer::{IssuedToken, TokenIssuer};
pub use jsonwebtoken::jwk::{Jwk, JwkSet};
pub use jwks::JwksClient;
pub use keys::SigningKey;
pub use verifier::{KeySource, StaticKeys, TokenError, TokenVerifier};

/// The one algorithm shopper signs and accepts.
pub const ALGORITHM: jsonwebtoken::Algorithm = jsonwebtoken::Algorithm::EdDSA;

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The account id.
    pub sub: Uuid,
    /// The account's role when the token was issued.
    pub role: Role,
    /// Who issued it.
    pub iss: String,
    /// Who it is for.
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// This token's unique id.
    pub jti: Uuid,
}

/// Who issues tokens and for whom (`JWT_ISSUER`, `JWT_AUDIENCE`).
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// `iss` of every token.
    pub issuer: String,
    /// `aud` of every token.
    pub audience: String,
}

impl TokenSettings {
    /// Reads `JWT_ISSUER` and `JWT_AUDIENCE`, both `shopper` by default.
    pub fn from_env(env: &crate::config::Env) -> Result<Self, crate::config::ConfigError> {
        Ok(Self {
            issuer: env.text("JWT_ISSUER")?.unwrap_or_else(|| "shopper".into()),
            audience: env.text("JWT_AUDIENCE")?.unwrap_or_else(|| "shopper".into()),
        })
    }
}
