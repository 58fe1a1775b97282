//! Building the service from its config: pool, migrations, keys, admin, router, listener.
//! Tests start exactly this, on port 0.

use std::sync::Arc;

use common::{
    db,
    http::{self, Readiness},
    jwt::{JwkSet, StaticKeys, TokenIssuer, TokenVerifier},
};
use messaging::{
    Broker, BuiltService, Consumer, Outbox, OutboxRelay, RelaySettings, Workers, migrate_with_queues,
};
use sqlx::{MySqlPool, migrate::Migrator};
use tokio_util::sync::CancellationToken;

use crate::{
    AuthConfig, account_events::AccountChanges, admin, keys, passwords::PasswordHashing, routes,
    state::AppState, throttle::Throttle,
};

/// The auth schema's migrations, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/auth");

impl common::cli::Service for App {
    type Config = AuthConfig;
    const NAME: &'static str = SERVICE;

    fn config(env: &common::config::Env) -> Result<Self::Config, common::config::ConfigError> {
        AuthConfig::from_env(env)
    }
    async fn migrate(config: &Self::Config) -> anyhow::Result<()> {
        migrate(config).await
    }
    /// Connects, migrates, loads the signing key, ensures the admin and binds the listener.
    async fn build(mut config: Self::Config) -> anyhow::Result<Self> {
        let pool = db::connect_for_service(&config.database, &MIGRATOR).await?;
        let key = keys::load_or_create(config.signing_key.take(), &pool).await?;
        let jwks = JwkSet { keys: vec![key.public_jwk()] };
        let verifier = TokenVerifier::new(Arc::new(StaticKeys::from_jwks(&jwks.keys)), &config.tokens);
        let broker = Broker::new(config.broker.clone(), SERVICE);
        let outbox = Outbox::new();
        let consumer = consumer(&pool, &broker, &config).waking(outbox.clone());
        // Keyed by the signing key, which every instance shares, so all count accounts alike.
        let throttle = Throttle::new(&config.throttle, key.pkcs8_der())?;
        let state = AppState {
            pool: pool.clone(),
            outbox: outbox.clone(),
            passwords: Arc::new(PasswordHashing::new(config.hashing_concurrency, config.hashing_queue)?),
            issuer: Arc::new(TokenIssuer::new(key, config.tokens, config.access_ttl)),
            verifier: Arc::new(verifier),
            jwks: Arc::new(jwks),
            refresh_ttl: config.refresh_ttl,
            throttle: Arc::new(throttle),
        };
        if let Some(account) = config.admin {
            admin::ensure(&state, account).await?;
        }
        let readiness = Readiness::default().with("database", pool.clone()).with("broker", broker.clone());
        let router =
            http::stack(routes::router(state).merge(http::health_routes(readiness)), SERVICE, &config.http);
        let relay = OutboxRelay::new(SERVICE, pool.clone(), broker.clone(), outbox, RelaySettings::default());
        let workers = Workers::new(broker.clone()).with_consumer(consumer).await.with_relay(relay);
        Ok(Self(BuiltService::bind(SERVICE, router, config.http, pool, workers).await?))
    }
    /// Serves and relays events until `shutdown` is cancelled, then drains requests, lets the
    /// relay finish its batch, and closes the broker connection and the pool.
    async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        self.0.run(shutdown).await
    }
}

/// Creates the schema if needed, applies its migrations and declares auth's queues on the broker
/// (the `migrate` command).
pub async fn migrate(config: &AuthConfig) -> anyhow::Result<()> {
    migrate_with_queues(&config.database, &MIGRATOR, |pool| {
        Ok(consumer(pool, &Broker::new(config.broker.clone(), SERVICE), config))
    })
    .await
}

fn consumer(pool: &MySqlPool, broker: &Broker, config: &AuthConfig) -> Consumer {
    Consumer::new(SERVICE, pool.clone(), broker.clone(), AccountChanges, config.consumer.clone())
}

/// The service's name in logs and metrics.
pub const SERVICE: &str = "auth";

/// A built auth service, bound to its port and ready to run.
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
