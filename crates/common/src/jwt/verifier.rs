//! Checking access tokens (every service).

use std::{collections::HashMap, future::Future, pin::Pin, sync::Arc};

use aws_lc_rs::digest;
use jsonwebtoken::{DecodingKey, Validation, jwk::Jwk};
use quick_cache::sync::Cache;

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

/// How many verified tokens a service remembers: the sessions active within a few minutes.
const VERIFIED_CAPACITY: usize = 4096;

/// Seconds a token may be past its `exp` and still pass, for clocks a little apart. Servers that
/// keep time with NTP differ by milliseconds; ten seconds also covers a request that was signed
/// just before expiry and queued a moment. The README's security notes state it.
const LEEWAY_SECS: u64 = 10;

/// Checks signature, algorithm, issuer, audience and expiry.
///
/// A client sends the same token with every request of its session, and checking an Ed25519
/// signature costs more than the rest of a read put together. So a token that passed is
/// remembered by the SHA-256 of its exact text; the next time, only what can change is checked
/// again: its expiry, and that its signing key is still published (a key withdrawn from the JWKS
/// ends its tokens here as on first sight). Any other token text, an edited one included, takes
/// the full check.
pub struct TokenVerifier {
    keys: Arc<dyn KeySource>,
    validation: Validation,
    verified: Cache<[u8; 32], Arc<Verified>>,
}

/// A token that passed the full check, and the key it was signed with.
struct Verified {
    kid: String,
    claims: Claims,
}

impl TokenVerifier {
    /// A verifier trusting `keys` and the issuer and audience of `settings`.
    pub fn new(keys: Arc<dyn KeySource>, settings: &TokenSettings) -> Self {
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        Self { keys, validation, verified: Cache::new(VERIFIED_CAPACITY) }
    }

    /// The claims of a valid token.
    pub async fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let fingerprint = fingerprint(token);
        if let Some(known) = self.verified.get(&fingerprint) {
            if still_valid(&known.claims) && self.keys.key(&known.kid).await.is_some() {
                return Ok(known.claims.clone());
            }
            // Expired or its key withdrawn: the full check below says which.
            self.verified.remove(&fingerprint);
        }
        let header = jsonwebtoken::decode_header(token).map_err(TokenError::Malformed)?;
        if header.alg != ALGORITHM {
            return Err(TokenError::WrongAlgorithm(header.alg));
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = self.keys.key(&kid).await.ok_or(TokenError::UnknownKey)?;
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &self.validation)
            .map(|data| data.claims)
            .map_err(TokenError::Invalid)?;
        self.verified.insert(fingerprint, Arc::new(Verified { kid, claims: claims.clone() }));
        Ok(claims)
    }
}

fn fingerprint(token: &str) -> [u8; 32] {
    let digest = digest::digest(&digest::SHA256, token.as_bytes());
    let mut fingerprint = [0; 32];
    fingerprint.copy_from_slice(digest.as_ref());
    fingerprint
}

/// The expiry rule of the full check (`exp` not older than the leeway), for a remembered token.
fn still_valid(claims: &Claims) -> bool {
    let now = jsonwebtoken::get_current_timestamp();
    u64::try_from(claims.exp).is_ok_and(|exp| exp.saturating_add(LEEWAY_SECS) >= now)
}

#[cfg(test)]
mod tests {
    use std::{sync::Mutex, time::Duration};

    use jsonwebtoken::Header;
    use uuid::Uuid;

    use super::*;
    use crate::{jwt::SigningKey, rbac::Role};

    /// Keys that can be withdrawn, as a JWKS rotation does.
    #[derive(Default)]
    struct Published(Mutex<HashMap<String, Arc<DecodingKey>>>);

    impl Published {
        fn publish(&self, key: &SigningKey) {
            let (kid, decoding) = crate::jwt::jwks::usable_key(&key.public_jwk()).unwrap();
            self.0.lock().unwrap().insert(kid, decoding);
        }

        fn withdraw(&self, key: &SigningKey) {
            self.0.lock().unwrap().remove(key.kid());
        }
    }

    impl KeySource for Published {
        fn key<'a>(
            &'a self,
            kid: &'a str,
        ) -> Pin<Box<dyn Future<Output = Option<Arc<DecodingKey>>> + Send + 'a>> {
            Box::pin(async move { self.0.lock().unwrap().get(kid).cloned() })
        }
    }

    fn settings() -> TokenSettings {
        TokenSettings { issuer: "shopper".into(), audience: "shopper".into() }
    }

    fn token(key: &SigningKey, exp: i64) -> String {
        let now = i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap();
        let claims = Claims {
            sub: Uuid::now_v7(),
            role: Role::Customer,
            iss: "shopper".into(),
            aud: "shopper".into(),
            exp,
            iat: now,
            jti: Uuid::now_v7(),
        };
        let mut header = Header::new(ALGORITHM);
        header.kid = Some(key.kid().to_owned());
        jsonwebtoken::encode(&header, &claims, key.encoding_key()).unwrap()
    }

    fn setup() -> (SigningKey, Arc<Published>, TokenVerifier) {
        let key = SigningKey::generate().unwrap();
        let published = Arc::new(Published::default());
        published.publish(&key);
        let verifier = TokenVerifier::new(published.clone(), &settings());
        (key, published, verifier)
    }

    fn now() -> i64 {
        i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap()
    }

    #[tokio::test]
    async fn a_remembered_token_passes_again_with_the_same_claims() {
        let (key, _, verifier) = setup();
        let token = token(&key, now() + 600);
        let first = verifier.verify(&token).await.unwrap();
        assert_eq!(verifier.verify(&token).await.unwrap(), first);
    }

    #[tokio::test]
    async fn a_remembered_token_is_refused_once_its_key_is_withdrawn() {
        let (key, published, verifier) = setup();
        let token = token(&key, now() + 600);
        verifier.verify(&token).await.unwrap();
        published.withdraw(&key);
        assert!(matches!(verifier.verify(&token).await, Err(TokenError::UnknownKey)));
    }

    #[tokio::test]
    async fn a_token_expired_longer_ago_than_the_leeway_is_refused() {
        let (key, _, verifier) = setup();
        let exp = now() - i64::try_from(LEEWAY_SECS).unwrap() - 2;
        let refused = verifier.verify(&token(&key, exp)).await;
        assert!(matches!(refused, Err(TokenError::Invalid(_))), "{refused:?}");
    }

    #[tokio::test]
    async fn a_remembered_token_is_refused_once_it_expires() {
        let (key, _, verifier) = setup();
        // Within the leeway for one more second.
        let exp = now() - i64::try_from(LEEWAY_SECS).unwrap() + 1;
        let token = token(&key, exp);
        verifier.verify(&token).await.unwrap();
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let refused = verifier.verify(&token).await;
        assert!(matches!(refused, Err(TokenError::Invalid(_))), "{refused:?}");
    }

    #[tokio::test]
    async fn an_edited_copy_of_a_remembered_token_is_refused() {
        let (key, _, verifier) = setup();
        let token = token(&key, now() + 600);
        verifier.verify(&token).await.unwrap();
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let flipped = if signature.starts_with('A') { "B" } else { "A" };
        let edited = format!("{signed}.{flipped}{}", &signature[1..]);
        assert!(matches!(verifier.verify(&edited).await, Err(TokenError::Invalid(_))));
    }
}
