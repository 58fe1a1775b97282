//! The order service on the shared runtime: its routes, the saga answers it consumes, and the
//! sweep that times out orders the saga never answered.

use messaging::Subscriptions;
use runtime::{Assembly, Parts};
use sqlx::migrate::Migrator;

use crate::{
    OrderSettings, routes,
    settle::Settlements,
    state::AppState,
    subscriptions::{self, OrderEvents},
    timeout::PendingTimeout,
};

/// The order service.
pub struct OrderService;

impl runtime::Service for OrderService {
    const NAME: &'static str = "order";
    const PORT: u16 = 8084;
    const MIGRATOR: Migrator = sqlx::migrate!("../../migrations/order");
    type Settings = OrderSettings;
    type Handlers = OrderEvents;

    fn subscriptions() -> Subscriptions<OrderEvents> {
        subscriptions::all()
    }

    /// Routes, and the timeout sweep; the saga's answers ring the requests waiting for them.
    async fn assemble(parts: Parts<'_>, settings: OrderSettings) -> anyhow::Result<Assembly<OrderEvents>> {
        let verifier = parts.jwks_verifier()?;
        let settlements = Settlements::default();
        let timeout = PendingTimeout {
            pool: parts.pool.clone(),
            outbox: parts.outbox.clone(),
            timeout: settings.pending_timeout,
        };
        let state = AppState {
            pool: parts.pool,
            outbox: parts.outbox,
            verifier,
            settlements: settlements.clone(),
            settle_wait: settings.settle_wait,
        };
        Ok(Assembly::new(routes::router(state), OrderEvents { settlements })
            .with_task(|stop| timeout.run(stop)))
    }
}
