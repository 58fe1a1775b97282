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

/// One service alone, its JWKS pointing at a [`TokenMint`]: what a single-service suite runs.
/// The other services are played by publishing their events on `run`.
pub struct Solo {
    /// The run it belongs to.
    pub run: crate::TestRun,
    /// Signs the tokens it accepts.
    pub mint: TokenMint,
    /// The service.
    pub service: crate::Spawned,
}

impl Solo {
    /// Starts `S` with `extra` settings, trusting a fresh mint's keys.
    pub async fn start<S: runtime::Service>(extra: &[(&str, &str)]) -> Self {
        let run = crate::TestRun::new();
        let mint = TokenMint::start().await;
        let jwks_url = mint.jwks_url();
        let mut settings = vec![("AUTH_JWKS_URL", jwks_url.as_str())];
        settings.extend_from_slice(extra);
        let service = run.spawn_with::<S>(&settings).await;
        Self { run, mint, service }
    }

    /// A token of a new customer: (their id, the token).
    pub fn customer(&self) -> (Uuid, String) {
        let id = Uuid::now_v7();
        (id, self.mint.token(id, Role::Customer))
    }

    /// A token of an administrator.
    pub fn admin(&self) -> String {
        self.mint.token(Uuid::now_v7(), Role::Admin)
    }
}
