//! What a service supplies to the runtime.

use std::future::Future;

use common::config::FromEnv;
use messaging::Subscriptions;
use sqlx::migrate::Migrator;

use crate::{Assembly, Parts};

/// A shopper service: what is its own. Implemented by a marker type per service
/// (`auth::AuthService`, …); everything else comes from the runtime.
pub trait Service: Send + 'static {
    /// Its name in logs, metrics, queue names and the names of its settings (`AUTH_PORT`,
    /// `AUTH_DATABASE`); its schema is `shopper_<name>` by default.
    const NAME: &'static str;
    /// Its HTTP port when `<NAME>_PORT` is not set.
    const PORT: u16;

    /// The settings only this service has (`()` when none); the shared ones are the runtime's.
    type Settings: FromEnv + Send + 'static;
    /// The state its event handlers work with (`()` when it consumes nothing).
    type Handlers: Send + Sync + 'static;

    /// Its schema's migrations, embedded in the binary (`sqlx::migrate!`).
    const MIGRATOR: Migrator;

    /// The events it consumes, each with its handler: the bindings of its queue, declared by
    /// `migrate` and by every start.
    fn subscriptions() -> Subscriptions<Self::Handlers>;

    /// Its router and handler state (and any background task), made from the parts the runtime
    /// built: the migrated pool, the outbox, the shared settings.
    fn assemble(
        parts: Parts<'_>,
        settings: Self::Settings,
    ) -> impl Future<Output = anyhow::Result<Assembly<Self::Handlers>>> + Send;
}
