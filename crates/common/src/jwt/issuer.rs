//! Signing access tokens (the auth service only).

use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use jsonwebtoken::Header;
use uuid::Uuid;

use super::{ALGORITHM, Claims, SigningKey, TokenSettings};
use crate::rbac::Role;

/// A signed access token and how long it lives.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The compact JWT.
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// Signs access tokens with one key.
#[derive(Debug)]
pub struct TokenIssuer {
    key: SigningKey,
    settings: TokenSettings,
    ttl: Duration,
}

impl TokenIssuer {
    /// An issuer signing with `key`, tokens living `ttl`.
    pub fn new(key: SigningKey, settings: TokenSettings, ttl: Duration) -> Self {
        Self { key, settings, ttl }
    }

    /// The key tokens are signed with.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// A token for `subject` with `role`.
    pub fn issue(&self, subject: Uuid, role: Role) -> anyhow::Result<IssuedToken> {
        let now = Utc::now().timestamp();
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX);
        let claims = Claims {
            sub: subject,
            role,
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
            exp: now.saturating_add(ttl),
            iat: now,
            jti: Uuid::now_v7(),
        };
        let mut header = Header::new(ALGORITHM);
        header.kid = Some(self.key.kid().to_owned());
        let token =
            jsonwebtoken::encode(&header, &claims, self.key.encoding_key()).context("cannot sign token")?;
        Ok(IssuedToken { token, expires_in: self.ttl.as_secs() })
    }
}
