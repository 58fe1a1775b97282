//! `shopper`: every service in one process, each on its own port, for a developer machine.
//!
//! It reads the same environment as the separate binaries, so what works here works when the
//! services are deployed one by one. Every service is built (schema, migrations, queues) before
//! any runs, so no event is published before the queues that want it exist. One service stopping
//! with an error stops the others.

use std::process::ExitCode;

use common::{
    cli::Service,
    config::{ConfigError, Env},
    shutdown,
    telemetry::{self, TelemetrySettings},
};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

type Run = std::pin::Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;

struct Configs {
    auth: <auth::App as Service>::Config,
    user: <user::App as Service>::Config,
    product: <product::App as Service>::Config,
    order: <order::App as Service>::Config,
    mailer: <mailer::App as Service>::Config,
}

fn configs(env: &Env) -> Result<(TelemetrySettings, Configs), ConfigError> {
    let telemetry = TelemetrySettings::from_env(env)?;
    let configs = Configs {
        auth: auth::App::config(env)?,
        user: user::App::config(env)?,
        product: product::App::config(env)?,
        order: order::App::config(env)?,
        mailer: mailer::App::config(env)?,
    };
    Ok((telemetry, configs))
}

async fn build<S: Service + 'static>(config: S::Config, shutdown: &CancellationToken) -> anyhow::Result<Run> {
    let service = S::build(config).await.map_err(|e| e.context(format!("{} cannot start", S::NAME)))?;
    Ok(Box::pin(service.run(shutdown.clone())))
}

#[tokio::main]
async fn main() -> ExitCode {
    let env = Env::from_process();
    let (telemetry_settings, configs) = match configs(&env) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(&telemetry_settings);
    common::fd_limit::raise_open_file_limit();

    let shutdown = shutdown::on_signal();
    let built = async {
        Ok::<_, anyhow::Error>([
            build::<user::App>(configs.user, &shutdown).await?,
            build::<product::App>(configs.product, &shutdown).await?,
            build::<order::App>(configs.order, &shutdown).await?,
            build::<mailer::App>(configs.mailer, &shutdown).await?,
            build::<auth::App>(configs.auth, &shutdown).await?,
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
