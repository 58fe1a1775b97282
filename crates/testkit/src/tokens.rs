//! Access tokens for a suite that runs one service without auth: a key of the test's own, its
//! public half served as auth would serve it (a local JWKS endpoint), and tokens signed with it.

use std::time::Duration;

use common::{
    jwt::{JwkSet, SigningKey, TokenIssuer, TokenSettings},
    rbac::Role,
};
use uuid::Uuid;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::path};

/// Stands in for auth's key publication: services of the run verify what it signs.
pub struct TokenMint {
    issuer: TokenIssuer,
    jwks: MockServer,
}

impl TokenMint {
    /// A fresh key, published at `jwks_url()`.
    pub async fn start() -> Self {
        let key = SigningKey::generate().expect("a key");
        let jwks = MockServer::start().await;
        let set = JwkSet { keys: vec![key.public_jwk()] };
        Mock::given(path("/.well-known/jwks.json"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&set))
            .mount(&jwks)
            .await;
        let settings = TokenSettings { issuer: "shopper".into(), audience: "shopper".into() };
        Self { issuer: TokenIssuer::new(key, settings, Duration::from_secs(900)), jwks }
    }

    /// The setting that points a service at this mint's keys.
    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.jwks.uri())
    }

    /// An access token for `subject` with `role`.
    pub fn token(&self, subject: Uuid, role: Role) -> String {
        self.issuer.issue(subject, role).expect("a token").token
    }
}
