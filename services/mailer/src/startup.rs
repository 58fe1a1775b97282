//! Building the mailer: pool, migrations, broker, consumer, and the health port.

use common::{
    db,
    http::{self, Readiness},
};
use messaging::{Broker, BuiltService, Consumer, Workers, migrate_with_queues};
use sqlx::{MySqlPool, migrate::Migrator};
use tokio_util::sync::CancellationToken;

use crate::{MailerConfig, handler::WelcomeMails, routes, sendgrid::MailClient};

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
        let router = http::stack(routes::router(readiness), SERVICE, &config.http);
        Ok(Self(BuiltService::bind(SERVICE, router, config.http, pool, workers).await?))
    }
    /// Consumes and serves health until `shutdown`, then finishes in-flight messages and closes.
    async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        self.0.run(shutdown).await
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
pub struct App(BuiltService);

impl App {
    /// The health port (useful when configured as 0).
    pub fn port(&self) -> u16 {
        self.0.port()
    }

    /// The admin port, where `/metrics` is served.
    pub fn admin_port(&self) -> u16 {
        self.0.admin_port()
    }
}
