//! `shopper`: every service in one process, each on its own port, for a developer machine.
//!
//! It reads the same environment as the separate binaries, so what works here works when the
//! services are deployed one by one. One service stopping with an error stops the others.

use std::process::ExitCode;

use common::{
    cli::Service,
    config::{ConfigError, Env},
    shutdown,
    telemetry::{self, TelemetrySettings},
};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

struct Configs {
    auth: <auth::App as Service>::Config,
    mailer: <mailer::App as Service>::Config,
}

fn configs(env: &Env) -> Result<(TelemetrySettings, Configs), ConfigError> {
    let telemetry = TelemetrySettings::from_env(env)?;
    Ok((telemetry, Configs { auth: auth::App::config(env)?, mailer: mailer::App::config(env)? }))
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

    let shutdown = shutdown::on_signal();
    let mut services = JoinSet::new();
    let started = async {
        // Consumers first: their queues must exist before anything publishes to them.
        start::<mailer::App>(configs.mailer, &mut services, &shutdown).await?;
        start::<auth::App>(configs.auth, &mut services, &shutdown).await
    };
    if let Err(e) = started.await {
        tracing::error!(error = format!("{e:#}"), "shopper cannot start");
        shutdown.cancel();
        services.join_all().await;
        return ExitCode::FAILURE;
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

async fn start<S: Service + 'static>(
    config: S::Config,
    services: &mut JoinSet<anyhow::Result<()>>,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let service = S::build(config).await.map_err(|e| e.context(format!("{} cannot start", S::NAME)))?;
    services.spawn(service.run(shutdown.clone()));
    Ok(())
}
