//! Checking access tokens (every service).

use std::{collections::HashMap, future::Future, pin::Pin, sync::Arc};

use jsonwebtoken::{DecodingKey, Validation, jwk::Jwk};

use super::{ALGORITHM, Claims, TokenSettings};

/// Where a verifier finds the public key for a `kid`.
pub trait KeySource: Send + Sync {
    /// The key with this id, if there is one.
    fn key<'a>(&'a self, kid: &'a str)
    -> Pin<Box<dyn Future<Output = Option<Arc<DecodingKey>>> + Send + 'a>>;
}

/// A fixed set of keys (the auth service verifies with its own).
#[derive(Default)]
pub struct StaticKeys(HashMap<String, Arc<DecodingKey>>);

impl StaticKeys {
    /// The keys of these JWKs that carry a `kid` and are Ed25519.
    pub fn from_jwks<'a>(jwks: impl IntoIterator<Item = &'a Jwk>) -> Self {
        Self(jwks.into_iter().filter_map(super::jwks::usable_key).collect())
    }
}

impl KeySource for StaticKeys {
    fn key<'a>(
        &'a self,
        kid: &'a str,
    ) -> Pin<Box<dyn Future<Output = Option<Arc<DecodingKey>>> + Send + 'a>> {
        Box::pin(async move { self.0.get(kid).cloned() })
    }
}

/// Why a token was refused. Clients only ever learn that it was; the reason is logged.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Not a JWT, or its header is unusable.
    #[error("malformed token: {0}")]
    Malformed(#[source] jsonwebtoken::errors::Error),
    /// Signed with another algorithm than EdDSA (including `none`).
    #[error("algorithm {0:?} is not accepted")]
    WrongAlgorithm(jsonwebtoken::Algorithm),
    /// No `kid`, or a `kid` no key source knows.
    #[error("unknown signing key")]
    UnknownKey,
    /// Bad signature, expired, or wrong `iss`/`aud`, or a claim missing.
    #[error("invalid token: {0}")]
    Invalid(#[source] jsonwebtoken::errors::Error),
}

/// Checks signature, algorithm, issuer, audience and expiry.
pub struct TokenVerifier {
    keys: Arc<dyn KeySource>,
    validation: Validation,
}

impl TokenVerifier {
    /// A verifier trusting `keys` and the issuer and audience of `settings`.
    pub fn new(keys: Arc<dyn KeySource>, settings: &TokenSettings) -> Self {
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        Self { keys, validation }
    }

    /// The claims of a valid token.
    pub async fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(TokenError::Malformed)?;
        if header.alg != ALGORITHM {
            return Err(TokenError::WrongAlgorithm(header.alg));
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = self.keys.key(&kid).await.ok_or(TokenError::UnknownKey)?;
        jsonwebtoken::decode::<Claims>(token, &key, &self.validation)
            .map(|data| data.claims)
            .map_err(TokenError::Invalid)
    }
}
