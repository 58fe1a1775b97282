use std::process::ExitCode;

use auth::{App, AuthConfig};
use common::{
    cli::Command,
    config::Env,
    shutdown,
    telemetry::{self, TelemetrySettings},
};

#[tokio::main]
async fn main() -> ExitCode {
    let env = Env::from_process();
    let command = Command::from_args(std::env::args().skip(1));
    let loaded = command.map_err(|e| e.to_string()).and_then(|command| {
        let telemetry = TelemetrySettings::from_env(&env).map_err(|e| e.to_string())?;
        let config = AuthConfig::from_env(&env).map_err(|e| e.to_string())?;
        Ok((command, telemetry, config))
    });
    let (command, telemetry_settings, config) = match loaded {
        Ok(loaded) => loaded,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    telemetry::init(&telemetry_settings);
    let outcome = match command {
        Command::Migrate => auth::migrate(&config).await,
        Command::Serve => match App::build(config).await {
            Ok(app) => app.run(shutdown::on_signal()).await,
            Err(e) => Err(e),
        },
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "auth-service failed");
            ExitCode::FAILURE
        }
    }
}
