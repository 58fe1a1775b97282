//! The auth service on the shared runtime: its keys, its administrator, its routes, and the
//! account changes it consumes. Tests start exactly this, on port 0.

use std::sync::Arc;

use common::jwt::{JwkSet, StaticKeys, TokenIssuer, TokenVerifier};
use messaging::Subscriptions;
use runtime::{Assembly, Parts};
use sqlx::migrate::Migrator;

use crate::{
    AuthSettings, admin, keys,
    passwords::PasswordHashing,
    routes,
    state::AppState,
    subscriptions::{self, AccountChanges},
    throttle::Throttle,
};

/// The auth service.
pub struct AuthService;

impl runtime::Service for AuthService {
    const NAME: &'static str = "auth";
    const PORT: u16 = 8081;
    const MIGRATOR: Migrator = sqlx::migrate!("../../migrations/auth");
    type Settings = AuthSettings;
    type Handlers = AccountChanges;

    fn subscriptions() -> Subscriptions<AccountChanges> {
        subscriptions::all()
    }

    /// Loads (or creates) the signing key, ensures the administrator, and routes.
    async fn assemble(
        parts: Parts<'_>,
        mut settings: AuthSettings,
    ) -> anyhow::Result<Assembly<AccountChanges>> {
        let Parts { pool, outbox, settings: shared } = parts;
        let key = keys::load_or_create(settings.signing_key.take(), &pool).await?;
        let jwks = JwkSet { keys: vec![key.public_jwk()] };
        // Auth checks its own tokens with its own keys: no JWKS round trip to itself.
        let verifier = TokenVerifier::new(Arc::new(StaticKeys::from_jwks(&jwks.keys)), &shared.tokens);
        // Keyed by the signing key, which every instance shares, so all count accounts alike.
        let throttle = Throttle::new(&settings.throttle, key.pkcs8_der())?;
        let state = AppState {
            pool,
            outbox,
            passwords: Arc::new(PasswordHashing::new(settings.hashing_concurrency, settings.hashing_queue)?),
            issuer: Arc::new(TokenIssuer::new(key, shared.tokens.clone(), settings.access_ttl)),
            verifier: Arc::new(verifier),
            jwks: Arc::new(jwks),
            refresh_ttl: settings.refresh_ttl,
            throttle: Arc::new(throttle),
        };
        if let Some(account) = settings.admin {
            admin::ensure(&state, account).await?;
        }
        Ok(Assembly::new(routes::router(state), AccountChanges))
    }
}
