//! The commands every service binary understands.

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
