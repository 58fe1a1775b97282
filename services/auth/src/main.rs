use std::process::ExitCode;

use auth::{App, AuthConfig};
use common::{config::Env, shutdown, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    let env = Env::from_process();
    let (telemetry_settings, config) = match (
        telemetry::TelemetrySettings::from_env(&env),
        AuthConfig::from_env(&env),
    ) {
        (Ok(t), Ok(c)) => (t, c),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(&telemetry_settings);
    let app = match App::build(config).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "auth-service cannot start");
            return ExitCode::FAILURE;
        }
    };
    match app.run(shutdown::on_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "auth-service failed");
            ExitCode::FAILURE
        }
    }
}
