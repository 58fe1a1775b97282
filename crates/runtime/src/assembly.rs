//! Building a service: the runtime's parts, the service's assembly, bound together.

use std::sync::Arc;

use axum::Router;
use common::db::Pool;
use common::{
    db,
    http::{self, Readiness},
    jwt::{JwksClient, TokenVerifier},
};
use messaging::{Broker, Consumer, Outbox, OutboxRelay, RelaySettings};
use tokio_util::sync::CancellationToken;

use crate::{Built, Config, Service, SharedSettings, workers::Workers};

/// What the runtime has built when a service assembles itself.
pub struct Parts<'a> {
    /// The service's pool, on its migrated schema.
    pub pool: Pool,
    /// Stages events in a transaction and wakes the relay after commit.
    pub outbox: Outbox,
    /// The shared settings.
    pub settings: &'a SharedSettings,
}

impl Parts<'_> {
    /// A verifier of access tokens against auth's published keys (`AUTH_JWKS_URL`), fetched
    /// on first use and cached.
    pub fn jwks_verifier(&self) -> anyhow::Result<Arc<TokenVerifier>> {
        let keys = JwksClient::with_tls(self.settings.jwks_url.clone(), &self.settings.http.client_tls)?;
        Ok(Arc::new(TokenVerifier::new(Arc::new(keys), &self.settings.tokens)))
    }
}

pub(crate) type Task =
    Box<dyn FnOnce(CancellationToken) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// What a service makes of the parts: its routes, the state its handlers apply events with, and
/// any background task.
pub struct Assembly<H> {
    pub(crate) router: Router,
    pub(crate) handlers: H,
    pub(crate) tasks: Vec<Task>,
}

impl<H> Assembly<H> {
    /// The service's routes (health and readiness are added by the runtime) and handler state.
    pub fn new(router: Router, handlers: H) -> Self {
        Self { router, handlers, tasks: Vec::new() }
    }

    /// Adds a background task that runs with the consumer and stops with it, before the relay's
    /// last flush, so whatever it stages still goes out.
    pub fn with_task<F>(mut self, task: impl FnOnce(CancellationToken) -> F + Send + 'static) -> Self
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tasks.push(Box::new(move |stop| Box::pin(task(stop))));
        self
    }
}

/// Builds `S`: connects (and migrates, unless the deployment migrates separately), lets the
/// service assemble, binds the consumer to its subscriptions (declaring its queues if the broker
/// answers), adds the relay, health and the HTTP stack, and binds both listeners.
pub async fn build<S: Service>(config: Config<S>) -> anyhow::Result<Built> {
    let Config { shared, service } = config;
    let pool = db::connect_for_service(&shared.database, &S::MIGRATOR).await?;
    let broker = Broker::new(shared.broker.clone(), S::NAME);
    let outbox = Outbox::new();
    let parts = Parts { pool: pool.clone(), outbox: outbox.clone(), settings: &shared };
    let Assembly { router, handlers, tasks } = S::assemble(parts, service).await?;

    let mut workers = Workers::new(broker.clone());
    let subscriptions = S::subscriptions();
    if !subscriptions.is_empty() {
        let consumer = Consumer::new(
            S::NAME,
            pool.clone(),
            broker.clone(),
            subscriptions,
            handlers,
            shared.consumer.clone(),
        )
        .waking(outbox.clone());
        workers = workers.with_consumer(consumer).await;
    }
    let relay = OutboxRelay::new(S::NAME, pool.clone(), broker.clone(), outbox, RelaySettings::default());
    workers = workers.with_relay(relay).with_tasks(tasks);

    let readiness = Readiness::default().with("database", pool.clone()).with("broker", broker);
    let router = http::stack(router.merge(http::health_routes(readiness)), S::NAME, &shared.http);
    Built::bind(S::NAME, router, shared.http, pool, workers).await
}
