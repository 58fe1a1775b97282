//! The commands every service binary understands, and the `main` they share.

use std::process::ExitCode;

use common::{
    config::{Env, FromEnv},
    fd_limit, shutdown,
    telemetry::{self, TelemetrySettings},
};

use crate::{Config, Service, SharedSettings};

/// The whole `main` of a service binary: parse the command, read the config (one clear line and
/// exit 1 when it is wrong), set up logging, then migrate or serve until SIGTERM.
pub async fn main<S: Service>() -> ExitCode {
    let env = Env::from_process();
    let loaded = Command::from_args(std::env::args().skip(1)).and_then(|command| {
        let telemetry = TelemetrySettings::from_env(&env).map_err(|e| e.to_string())?;
        let shared = SharedSettings::from_env(&env, S::NAME, S::PORT).map_err(|e| e.to_string())?;
        Ok((command, telemetry, shared))
    });
    let (command, telemetry_settings, shared) = match loaded {
        Ok(loaded) => loaded,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::FAILURE;
        }
    };
    // `migrate` reads only the shared settings: the step runs with the migrator's account and
    // none of the service's own credentials (Stripe's, SendGrid's), so it must not ask for them.
    let service = match command {
        Command::Migrate => None,
        Command::Serve => match S::Settings::from_env(&env) {
            Ok(service) => Some(service),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let telemetry = telemetry::init(&telemetry_settings, S::NAME, true);
    fd_limit::raise_open_file_limit();
    let outcome = match service {
        None => crate::migrate::<S>(&shared).await,
        Some(service) => match crate::build(Config::<S> { shared, service }).await {
            Ok(built) => built.run(shutdown::on_signal()).await,
            Err(e) => Err(e),
        },
    };
    let code = match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), service = S::NAME, "stopped with an error");
            ExitCode::FAILURE
        }
    };
    telemetry.shutdown();
    code
}

/// What a binary was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Serve until SIGTERM (no arguments).
    Serve,
    /// Apply the schema's migrations and exit (`migrate`): the one-shot step a deployment runs
    /// before starting replicas, so they do not race to migrate.
    Migrate,
}

impl Command {
    /// Parses the arguments after the program name.
    pub fn from_args(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let command = match args.next().as_deref() {
            None | Some("serve") => Command::Serve,
            Some("migrate") => Command::Migrate,
            Some(other) => {
                return Err(format!("unknown command `{other}`; expected `serve` or `migrate`"));
            }
        };
        match args.next() {
            None => Ok(command),
            Some(extra) => Err(format!("unexpected argument `{extra}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        Command::from_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn no_argument_serves_and_migrate_migrates() {
        assert_eq!(parse(&[]).unwrap(), Command::Serve);
        assert_eq!(parse(&["migrate"]).unwrap(), Command::Migrate);
    }

    #[test]
    fn anything_else_is_refused() {
        assert!(parse(&["migrat"]).is_err());
        assert!(parse(&["migrate", "now"]).is_err());
    }
}
