//! The order service on the shared runtime: its routes, the saga answers it consumes, and the
//! sweep that times out orders the saga never answered.

use messaging::Subscriptions;
use runtime::{Assembly, Parts};
use sqlx::migrate::Migrator;

use std::{sync::Arc, time::Duration};

use tokio::sync::Notify;

use crate::{
    OrderSettings,
    config::Payments,
    payments::{Payer, expiry::PaymentExpiry, jobs::PaymentJobs, stripe::StripeClient},
    routes,
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
        let payer = match &settings.payments {
            Payments::None => None,
            Payments::Stripe(stripe) => Some(Payer {
                client: StripeClient::new(stripe, &parts.settings.http.client_tls)?,
                settings: Arc::new(stripe.clone()),
                window: settings.payment_window,
                jobs_due: Arc::new(Notify::new()),
            }),
        };
        let state = AppState {
            pool: parts.pool.clone(),
            outbox: parts.outbox.clone(),
            verifier,
            settlements: settlements.clone(),
            settle_wait: settings.settle_wait,
            payer: payer.clone(),
        };
        let mut assembly = Assembly::new(
            routes::router(state),
            OrderEvents { settlements: settlements.clone(), payer: payer.clone() },
        )
        .with_task(|stop| timeout.run(stop));
        if let Some(payer) = payer {
            let expiry = PaymentExpiry {
                pool: parts.pool.clone(),
                outbox: parts.outbox.clone(),
                every: (settings.payment_window / 4)
                    .clamp(Duration::from_millis(200), Duration::from_secs(30)),
                jobs_due: payer.jobs_due.clone(),
            };
            let jobs = PaymentJobs {
                pool: parts.pool,
                outbox: parts.outbox,
                payer,
                settlements: settlements.clone(),
            };
            assembly = assembly.with_task(|stop| expiry.run(stop)).with_task(|stop| jobs.run(stop));
        }
        Ok(assembly)
    }
}
