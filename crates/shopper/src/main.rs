//! `shopper`: every service in one process, each on its own port, for a developer machine.
//!
//! It reads the same environment as the separate binaries, so what works here works when the
//! services are deployed one by one.

use std::process::ExitCode;

use common::{
    config::Env,
    shutdown,
    telemetry::{self, TelemetrySettings},
};
use tokio::task::JoinSet;

#[tokio::main]
async fn main() -> ExitCode {
    let env = Env::from_process();
    let configs = TelemetrySettings::from_env(&env).and_then(|t| Ok((t, auth::AuthConfig::from_env(&env)?)));
    let (telemetry_settings, auth_config) = match configs {
        Ok(configs) => configs,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(&telemetry_settings);

    let auth = match auth::App::build(auth_config).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "shopper cannot start auth");
            return ExitCode::FAILURE;
        }
    };

    let shutdown = shutdown::on_signal();
    let mut services = JoinSet::new();
    services.spawn(auth.run(shutdown.clone()));

    let mut failed = false;
    while let Some(outcome) = services.join_next().await {
        if !matches!(outcome, Ok(Ok(()))) {
            tracing::error!(?outcome, "a service stopped with an error; stopping the others");
            failed = true;
        }
        // One service down means the system is down: stop the rest gracefully.
        shutdown.cancel();
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
