//! `shopper`: every service in one process, each on its own port, for a developer machine.
//!
//! It reads the same environment as the separate binaries, so what works here works when the
//! services are deployed one by one. Every service is built (schema, migrations, queues) before
//! any runs, so no event is published before the queues that want it exist. One service stopping
//! with an error stops the others.

use std::process::ExitCode;

use auth::AuthService;
use common::{
    config::{ConfigError, Env},
    shutdown,
    telemetry::{self, TelemetrySettings},
};
use mailer::MailerService;
use order::OrderService;
use product::ProductService;
use runtime::{Config, Service};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use user::UserService;

type Run = std::pin::Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

struct Configs {
    auth: Config<AuthService>,
    user: Config<UserService>,
    product: Config<ProductService>,
    order: Config<OrderService>,
    mailer: Config<MailerService>,
}

fn configs(env: &Env) -> Result<(TelemetrySettings, Configs), ConfigError> {
    let telemetry = TelemetrySettings::from_env(env)?;
    let configs = Configs {
        auth: Config::from_env(env)?,
        user: Config::from_env(env)?,
        product: Config::from_env(env)?,
        order: Config::from_env(env)?,
        mailer: Config::from_env(env)?,
    };
    Ok((telemetry, configs))
}

async fn build<S: Service>(config: Config<S>, shutdown: &CancellationToken) -> anyhow::Result<Run> {
    let service = runtime::build(config).await.map_err(|e| e.context(format!("{} cannot start", S::NAME)))?;
    Ok(Box::pin(service.run(shutdown.clone())))
}

#[tokio::main]
async fn main() -> ExitCode {
    let env = Env::from_process();
    let (mut telemetry_settings, configs) = match configs(&env) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    // One process, five services: each service's spans carry its own name, so a single
    // OTEL_SERVICE_NAME cannot apply.
    let ignored_service_name =
        telemetry_settings.export.as_mut().and_then(|export| export.service_name.take()).is_some();
    let telemetry = telemetry::init(&telemetry_settings, "shopper", true);
    if ignored_service_name {
        tracing::warn!("OTEL_SERVICE_NAME is ignored: each service's spans name their own service");
    }
    common::fd_limit::raise_open_file_limit();
    let code = run(&shutdown::on_signal(), configs).await;
    telemetry.shutdown();
    code
}

/// Builds every service, then runs them until `shutdown` or until one of them stops.
async fn run(shutdown: &CancellationToken, configs: Configs) -> ExitCode {
    // Consumers first, auth (whose start may register the administrator) last.
    let built = async {
        Ok::<_, anyhow::Error>([
            build(configs.user, shutdown).await?,
            build(configs.product, shutdown).await?,
            build(configs.order, shutdown).await?,
            build(configs.mailer, shutdown).await?,
            build(configs.auth, shutdown).await?,
        ])
    };
    let runs = match built.await {
        Ok(runs) => runs,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "shopper cannot start");
            return ExitCode::FAILURE;
        }
    };

    let mut services = JoinSet::new();
    for run in runs {
        services.spawn(run);
    }
    let mut failed = false;
    while let Some(outcome) = services.join_next().await {
        if !matches!(outcome, Ok(Ok(()))) {
            tracing::error!(?outcome, "a service stopped with an error; stopping the others");
            failed = true;
        }
        shutdown.cancel();
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
