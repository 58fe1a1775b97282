//! Building the user service: pool, migrations, keys, broker, consumer, relay, router.

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

use crate::{PiiKeys, UserConfig, account_events::AccountEvents, routes, state::AppState};

/// The user schema's migrations, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/user");

/// The service's name in logs, metrics and queue names.
pub const SERVICE: &str = "user";

impl common::cli::Service for App {
    type Config = UserConfig;
    const NAME: &'static str = SERVICE;

    fn config(env: &common::config::Env) -> Result<Self::Config, common::config::ConfigError> {
        UserConfig::from_env(env)
    }
    async fn migrate(config: &Self::Config) -> anyhow::Result<()> {
        migrate(config).await
    }
    /// Connects, migrates, loads the keys, declares the queues (if the broker is there) and binds.
    async fn build(mut config: Self::Config) -> anyhow::Result<Self> {
        let pool = db::connect_for_service(&config.database, &MIGRATOR).await?;
        let keys = match config.pii_keys.take() {
            Some(keys) => keys,
            None => PiiKeys::local(&pool).await?,
        };
        let broker = Broker::new(config.broker.clone(), SERVICE);
        let verifier = TokenVerifier::new(
            Arc::new(JwksClient::with_tls(config.jwks_url.clone(), &config.http.client_tls)?),
            &config.tokens,
        );
        let outbox = Outbox::new();
        let state = AppState {
            pool: pool.clone(),
            outbox: outbox.clone(),
            keys: Arc::new(keys),
            verifier: Arc::new(verifier),
        };
        let consumer = consumer(&pool, &broker, &config).waking(outbox.clone());
        let relay = OutboxRelay::new(SERVICE, pool.clone(), broker.clone(), outbox, RelaySettings::default());
        let workers = Workers::new(broker.clone()).with_consumer(consumer).await.with_relay(relay);
        let readiness = Readiness::default().with("database", pool.clone()).with("broker", broker.clone());
        let router =
            http::stack(routes::router(state).merge(http::health_routes(readiness)), SERVICE, &config.http);
        Ok(Self(BuiltService::bind(SERVICE, router, config.http, pool, workers).await?))
    }
    /// Serves, consumes and relays until `shutdown`; the relay outlives the HTTP drain.
    async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        self.0.run(shutdown).await
    }
}

/// Creates the schema if needed, applies its migrations and declares the service's queues (the
/// `migrate` command).
pub async fn migrate(config: &UserConfig) -> anyhow::Result<()> {
    migrate_with_queues(&config.database, &MIGRATOR, |pool| {
        Ok(consumer(pool, &Broker::new(config.broker.clone(), SERVICE), config))
    })
    .await
}

fn consumer(pool: &MySqlPool, broker: &Broker, config: &UserConfig) -> Consumer {
    Consumer::new(SERVICE, pool.clone(), broker.clone(), AccountEvents, config.consumer.clone())
}

/// A built user service, bound to its port and ready to run.
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
