//! Building the mailer: pool, migrations, broker, consumer, and the health port.

use axum::Router;
use common::{
    config::HttpSettings,
    db,
    http::{self, Readiness},
};
use messaging::{Broker, Consumer, Workers, migrate_with_queues};
use sqlx::{MySqlPool, migrate::Migrator};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{MailerConfig, handler::WelcomeMails, sendgrid::MailClient};

/// The mailer schema's migrations, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/mailer");

/// The service's name in logs, metrics and queue names.
pub const SERVICE: &str = "mailer";

impl common::cli::Service for App {
    type Config = MailerConfig;
    const NAME: &'static str = SERVICE;

    fn config(env: &common::config::Env) -> Result<Self::Config, common::config::ConfigError> {
        MailerConfig::from_env(env)
    }
    async fn migrate(config: &Self::Config) -> anyhow::Result<()> {
        migrate(config).await
    }
    /// Connects, migrates and binds; consuming starts with `run`.
    async fn build(config: Self::Config) -> anyhow::Result<Self> {
        let pool = db::connect_for_service(&config.database, &MIGRATOR).await?;
        let broker = Broker::new(config.broker.clone(), SERVICE);
        if config.sendgrid.api_key.is_none() {
            tracing::warn!("SENDGRID_API_KEY is not set: welcome mails are logged, not sent");
        }
        let consumer = consumer(&pool, &broker, &config)?;
        let readiness = Readiness::default().with("database", pool.clone()).with("broker", broker.clone());
        let workers = Workers::new(broker.clone()).with_consumer(consumer).await;
        let router = http::stack(http::health_routes(readiness), SERVICE, &config.http);
        let listener = http::bind(&config.http).await?;
        Ok(Self { listener, router, http: config.http, pool, workers })
    }
    /// Consumes and serves health until `shutdown`, then finishes in-flight messages and closes.
    async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let serve = http::serve(SERVICE, self.listener, self.router, &self.http, shutdown.clone());
        let served = self.workers.run_around(shutdown, serve).await;
        self.pool.close().await;
        served
    }
}

/// Creates the schema if needed and applies its migrations, and declares the mailer's queues on
/// the broker so no `user.registered` published before the mailer first runs is lost (the
/// `migrate` command).
pub async fn migrate(config: &MailerConfig) -> anyhow::Result<()> {
    migrate_with_queues(&config.database, &MIGRATOR, |pool| {
        consumer(pool, &Broker::new(config.broker.clone(), SERVICE), config)
    })
    .await
}

fn consumer(pool: &MySqlPool, broker: &Broker, config: &MailerConfig) -> anyhow::Result<Consumer> {
    let handler = WelcomeMails { pool: pool.clone(), client: MailClient::new(&config.sendgrid)? };
    Ok(Consumer::new(SERVICE, pool.clone(), broker.clone(), handler, config.consumer.clone()))
}

/// A built mailer, bound to its health port and ready to run.
pub struct App {
    listener: TcpListener,
    router: Router,
    http: HttpSettings,
    pool: MySqlPool,
    workers: Workers,
}

impl App {
    /// The health port (useful when configured as 0).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }
}
