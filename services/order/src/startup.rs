//! Building the order service: pool, migrations, broker, consumer, relay, timeout sweep, router.

use std::sync::Arc;

use common::{
    db,
    http::{self, Readiness},
    jwt::{JwksClient, TokenVerifier},
};
use messaging::{
    Broker, BuiltService, Consumer, Outbox, OutboxRelay, RelaySettings, Workers, migrate_with_queues,
};
use sqlx::{MySqlPool, migrate::Migrator};
use tokio_util::sync::CancellationToken;

use crate::{
    OrderConfig, routes, saga::SagaFollower, settle::Settlements, state::AppState, timeout::PendingTimeout,
};

/// The order schema's migrations, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/order");

/// The service's name in logs, metrics and queue names.
pub const SERVICE: &str = "order";

impl common::cli::Service for App {
    type Config = OrderConfig;
    const NAME: &'static str = SERVICE;

    fn config(env: &common::config::Env) -> Result<Self::Config, common::config::ConfigError> {
        OrderConfig::from_env(env)
    }
    async fn migrate(config: &Self::Config) -> anyhow::Result<()> {
        migrate(config).await
    }
    /// Connects, migrates, declares the queues (if the broker is there) and binds.
    async fn build(config: Self::Config) -> anyhow::Result<Self> {
        let pool = db::connect_for_service(&config.database, &MIGRATOR).await?;
        let broker = Broker::new(config.broker.clone(), SERVICE);
        let verifier = TokenVerifier::new(
            Arc::new(JwksClient::with_tls(config.jwks_url.clone(), &config.http.client_tls)?),
            &config.tokens,
        );
        let outbox = Outbox::new();
        let settlements = Settlements::default();
        let state = AppState {
            pool: pool.clone(),
            outbox: outbox.clone(),
            verifier: Arc::new(verifier),
            settlements: settlements.clone(),
            settle_wait: config.settle_wait,
        };
        let timeout =
            PendingTimeout { pool: pool.clone(), outbox: outbox.clone(), timeout: config.pending_timeout };
        let consumer = consumer(&pool, &broker, &config, settlements).waking(outbox.clone());
        let relay = OutboxRelay::new(SERVICE, pool.clone(), broker.clone(), outbox, RelaySettings::default());
        let workers = Workers::new(broker.clone())
            .with_consumer(consumer)
            .await
            .with_relay(relay)
            .with_task(|stop| timeout.run(stop));
        let readiness = Readiness::default().with("database", pool.clone()).with("broker", broker);
        let router =
            http::stack(routes::router(state).merge(http::health_routes(readiness)), SERVICE, &config.http);
        Ok(Self(BuiltService::bind(SERVICE, router, config.http, pool, workers).await?))
    }
    /// Serves, consumes, sweeps and relays until `shutdown`; the relay outlives the HTTP drain.
    async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        self.0.run(shutdown).await
    }
}

/// Creates the schema if needed, applies its migrations and declares the service's queues (the
/// `migrate` command).
pub async fn migrate(config: &OrderConfig) -> anyhow::Result<()> {
    migrate_with_queues(&config.database, &MIGRATOR, |pool| {
        Ok(consumer(pool, &Broker::new(config.broker.clone(), SERVICE), config, Settlements::default()))
    })
    .await
}

fn consumer(pool: &MySqlPool, broker: &Broker, config: &OrderConfig, settlements: Settlements) -> Consumer {
    Consumer::new(
        SERVICE,
        pool.clone(),
        broker.clone(),
        SagaFollower { settlements },
        config.consumer.clone(),
    )
}

/// A built order service, bound to its port and ready to run.
pub struct App(BuiltService);

impl App {
    /// The port it listens on (useful when configured as 0).
    pub fn port(&self) -> u16 {
        self.0.port()
    }

    /// The admin port, where `/metrics` is served.
    pub fn admin_port(&self) -> u16 {
        self.0.admin_port()
    }
}
