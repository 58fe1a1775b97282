//! The user service on the shared runtime: its PII keys, its routes, and the account events it
//! consumes.

use messaging::Subscriptions;
use runtime::{Assembly, Parts};
use sqlx::migrate::Migrator;
use std::sync::Arc;

use crate::{
    PiiKeys, UserSettings, routes,
    state::AppState,
    subscriptions::{self, AccountEvents},
};

/// The user service.
pub struct UserService;

impl runtime::Service for UserService {
    const NAME: &'static str = "user";
    const PORT: u16 = 8082;
    const MIGRATOR: Migrator = sqlx::migrate!("../../migrations/user");
    type Settings = UserSettings;
    type Handlers = AccountEvents;

    fn subscriptions() -> Subscriptions<AccountEvents> {
        subscriptions::all()
    }

    /// Loads the PII keys (the configured ones, or the schema's own for local use) and routes.
    async fn assemble(parts: Parts<'_>, settings: UserSettings) -> anyhow::Result<Assembly<AccountEvents>> {
        let keys = match settings.pii_keys {
            Some(keys) => keys,
            None => PiiKeys::local(&parts.pool).await?,
        };
        let verifier = parts.jwks_verifier()?;
        let state = AppState { pool: parts.pool, outbox: parts.outbox, keys: Arc::new(keys), verifier };
        Ok(Assembly::new(routes::router(state), AccountEvents))
    }
}
