//! The database: each service owns one schema on a shared MySQL server, creates it when it is
//! missing and runs its own migrations, through a pool whose connections cost the server nothing
//! beyond the statements they run.

mod connection;
mod pool;
mod transaction;

use std::{fmt, str::FromStr};

use anyhow::Context;
use sqlx::{
    AssertSqlSafe, Connection as _,
    migrate::Migrator,
    mysql::{MySqlConnectOptions, MySqlConnection, MySqlDatabaseError},
};

pub use connection::Connection;
pub use pool::Pool;
pub use transaction::Transaction;

use crate::config::{ConfigError, Env};

/// MySQL's "unknown database" error number.
const ER_BAD_DB_ERROR: u16 = 1049;

/// Where a service keeps its data.
#[derive(Clone)]
pub struct DatabaseSettings {
    /// The server (`DATABASE_URL`); any database named in the URL is replaced by `schema`.
    pub server: MySqlConnectOptions,
    /// The schema this service owns.
    pub schema: String,
    /// Pool size (`DATABASE_MAX_CONNECTIONS`).
    pub max_connections: u32,
    /// Whether the service applies its migrations when it starts (`DATABASE_MIGRATE_ON_START`,
    /// true). Deployments that run the `migrate` command once turn it off.
    pub migrate_on_start: bool,
}

// Hand-written so the password in the URL never reaches a log.
impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("schema", &self.schema)
            .field("max_connections", &self.max_connections)
            .field("migrate_on_start", &self.migrate_on_start)
            .finish_non_exhaustive()
    }
}

impl DatabaseSettings {
    /// Reads `DATABASE_URL`, the schema name from `schema_var` and `DATABASE_MAX_CONNECTIONS`.
    pub fn from_env(env: &Env, schema_var: &str, default_schema: &str) -> Result<Self, ConfigError> {
        let url = env.text("DATABASE_URL")?.unwrap_or_else(|| "mysql://root@127.0.0.1:3306".into());
        if !url.starts_with("mysql://") && !url.starts_with("mariadb://") {
            return Err(ConfigError::invalid("DATABASE_URL", "expected a mysql:// URL"));
        }
        // The parser's message would quote the URL, password included: say less.
        let server = MySqlConnectOptions::from_str(&url)
            .map_err(|_| ConfigError::invalid("DATABASE_URL", "not a valid mysql:// URL"))?;
        let schema = env.text(schema_var)?.unwrap_or_else(|| default_schema.to_owned());
        if schema.is_empty()
            || schema.len() > 64
            || !schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(ConfigError::invalid(schema_var, "use 1 to 64 of a-z, 0-9 and _"));
        }
        let max_connections = env.parse_or("DATABASE_MAX_CONNECTIONS", 10u32)?;
        if max_connections == 0 {
            return Err(ConfigError::invalid("DATABASE_MAX_CONNECTIONS", "must be at least 1"));
        }
        let migrate_on_start = env.parse_or("DATABASE_MIGRATE_ON_START", true)?;
        Ok(Self { server, schema, max_connections, migrate_on_start })
    }
}

/// Opens a pool on the service's schema, creating the schema first if it does not exist. One
/// connection is opened at once, so a wrong address or password fails the start.
pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Pool> {
    let options = settings.server.clone().database(&settings.schema);
    let pool = Pool::new(options, settings.max_connections);
    match pool.acquire().await {
        Ok(_) => Ok(pool),
        Err(sqlx::Error::Database(e))
            if e.try_downcast_ref::<MySqlDatabaseError>().map(MySqlDatabaseError::number)
                == Some(ER_BAD_DB_ERROR) =>
        {
            create_schema(settings).await?;
            pool.acquire().await.context("cannot connect to the database")?;
            Ok(pool)
        }
        Err(e) => Err(e).context("cannot connect to the database"),
    }
}

async fn create_schema(settings: &DatabaseSettings) -> anyhow::Result<()> {
    let mut connection = MySqlConnection::connect_with(&settings.server)
        .await
        .context("cannot connect to the database server")?;
    // The name was checked against [a-z0-9_] when the settings were read.
    let sql = format!(
        "CREATE DATABASE IF NOT EXISTS `{}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
        settings.schema
    );
    sqlx::query(AssertSqlSafe(sql))
        .execute(&mut connection)
        .await
        .with_context(|| format!("cannot create schema {}", settings.schema))?;
    tracing::info!(schema = %settings.schema, "created schema");
    Ok(())
}

/// Connects and, unless the settings say the deployment migrates separately, migrates.
pub async fn connect_for_service(settings: &DatabaseSettings, migrator: &Migrator) -> anyhow::Result<Pool> {
    let pool = connect(settings).await?;
    if settings.migrate_on_start {
        migrate(&pool, migrator).await?;
    }
    Ok(pool)
}

/// Applies pending migrations. sqlx holds a lock meanwhile, so instances starting together
/// do not race.
pub async fn migrate(pool: &Pool, migrator: &Migrator) -> anyhow::Result<()> {
    let mut connection = pool.acquire().await.context("cannot connect to the database")?;
    migrator.run(connection.unchecked()).await.context("database migration failed")
}

/// Whether an error is a unique-key violation (MySQL reports no constraint name, so callers
/// know from context which key it was).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    error.as_database_error().is_some_and(|e| e.is_unique_violation())
}

/// Whether a transaction that failed with `error` lost a race and may simply run again: a
/// deadlock (1213), a lock wait that ran out (1205), or a unique key another transaction filled
/// between this one's read and its write (1062).
pub fn is_retryable(error: &sqlx::Error) -> bool {
    let number = error
        .as_database_error()
        .and_then(|e| e.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>())
        .map(sqlx::mysql::MySqlDatabaseError::number);
    matches!(number, Some(1213 | 1205 | 1062))
}

/// A write that a unique key may refuse: the one way every service tells "taken" from a failure.
pub trait UniqueWrite<T> {
    /// `Ok(None)` when a unique key already holds what was written (the caller knows from context
    /// which key that is); every other error stays an error.
    fn unless_taken(self) -> Result<Option<T>, sqlx::Error>;
}

impl<T> UniqueWrite<T> for Result<T, sqlx::Error> {
    fn unless_taken(self) -> Result<Option<T>, sqlx::Error> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(error) if is_unique_violation(&error) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonsense_database_url_is_refused_with_its_name() {
        let env = Env::from_pairs([("DATABASE_URL", "nonsense")]);
        let err = DatabaseSettings::from_env(&env, "AUTH_DATABASE", "shopper_auth").unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration error: DATABASE_URL is malformed: expected a mysql:// URL"
        );
    }

    #[test]
    fn schema_names_are_plain_identifiers() {
        let env = Env::from_pairs([("AUTH_DATABASE", "x`; DROP DATABASE y")]);
        assert!(DatabaseSettings::from_env(&env, "AUTH_DATABASE", "shopper_auth").is_err());
    }

    #[test]
    fn the_password_stays_out_of_debug_output() {
        let env = Env::from_pairs([("DATABASE_URL", "mysql://app:hunter2@db:3306")]);
        let settings = DatabaseSettings::from_env(&env, "AUTH_DATABASE", "shopper_auth").unwrap();
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
