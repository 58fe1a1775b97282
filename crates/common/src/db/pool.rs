//! The pool of connections a service shares.
//!
//! sqlx's own pool pings every connection handed back to it, so that a cancelled query or an
//! abandoned transaction is flushed before anyone reuses the connection: one extra round trip
//! on every request, doubling the commands of a read. This pool (deadpool over sqlx's
//! connections) keeps that guarantee by checking only the connections that need it: one whose
//! statement did not run to its end (see [`Connection`]) or whose transaction was not finished
//! (see [`Transaction`]) is checked when it comes back, and one that sat idle is pinged before it
//! is handed out again.

use std::{fmt, time::Duration};

use deadpool::managed::{self, Metrics, RecycleError, RecycleResult};
use futures_util::{TryStreamExt, future::BoxFuture, stream::BoxStream};
use sqlx::{
    Connection as _, Describe, Either, Execute, Executor, MySql,
    mysql::{
        MySqlConnectOptions, MySqlConnection, MySqlQueryResult, MySqlRow, MySqlStatement, MySqlTypeInfo,
    },
};

use super::{Connection, Transaction};

/// A pooled connection idle this long is pinged before use: a connection in steady use has
/// just proved itself, and one that has sat idle (through a server restart or a proxy's idle
/// cut) is checked before it is handed out.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// Connections are replaced after this long, as sqlx's pool does by default, so a server
/// failover or a changed DNS answer reaches every connection in time.
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// How long a request waits for a free connection, and a new connection for the server.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens and vets the pool's connections.
pub(super) struct Connector {
    options: MySqlConnectOptions,
}

impl managed::Manager for Connector {
    type Type = MySqlConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<MySqlConnection, sqlx::Error> {
        MySqlConnection::connect_with(&self.options).await
    }

    async fn recycle(
        &self,
        connection: &mut MySqlConnection,
        metrics: &Metrics,
    ) -> RecycleResult<sqlx::Error> {
        if metrics.age() >= MAX_LIFETIME {
            return Err(RecycleError::message("past its lifetime"));
        }
        if metrics.last_used() >= PING_WHEN_IDLE_FOR {
            connection.ping().await?;
        }
        Ok(())
    }
}

pub(super) type Link = managed::Object<Connector>;

/// The connections of one service to its schema. Cloning shares the pool.
///
/// `&Pool` runs a statement on a connection of its own, like `&sqlx::MySqlPool`; a request that
/// needs several statements on one connection takes a [`Connection`] or a [`Transaction`].
#[derive(Clone)]
pub struct Pool {
    inner: managed::Pool<Connector>,
}

// Hand-written: the connect options hold the password.
impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool").field("status", &self.inner.status()).finish()
    }
}

impl Pool {
    /// A pool of at most `max_connections` to the database `options` name. Opens nothing yet.
    pub fn new(options: MySqlConnectOptions, max_connections: u32) -> Self {
        let inner = managed::Pool::builder(Connector { options })
            .max_size(max_connections as usize)
            .runtime(deadpool::Runtime::Tokio1)
            .wait_timeout(Some(ACQUIRE_TIMEOUT))
            .create_timeout(Some(ACQUIRE_TIMEOUT))
            .recycle_timeout(Some(ACQUIRE_TIMEOUT))
            .build()
            .expect("a runtime and timeouts are set");
        Self { inner }
    }

    /// A connection for several statements in a row.
    pub async fn acquire(&self) -> Result<Connection, sqlx::Error> {
        let link = self.inner.get().await.map_err(|error| match error {
            managed::PoolError::Backend(error) => error,
            managed::PoolError::Timeout(_) => sqlx::Error::PoolTimedOut,
            managed::PoolError::Closed => sqlx::Error::PoolClosed,
            // No hooks are set and the runtime is: neither can happen.
            other => sqlx::Error::Configuration(other.to_string().into()),
        })?;
        Ok(Connection::new(link))
    }

    /// A transaction on a connection of its own.
    pub async fn begin(&self) -> Result<Transaction, sqlx::Error> {
        self.acquire().await?.begin().await
    }

    /// A transaction that sees what others committed after it began and takes no gap locks:
    /// for sweeps and relays that claim rows while requests insert beside them.
    pub async fn begin_read_committed(&self) -> Result<Transaction, sqlx::Error> {
        let mut connection = self.acquire().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL READ COMMITTED").execute(&mut connection).await?;
        connection.begin().await
    }

    /// Stops handing out connections and closes the idle ones, telling the server so; those
    /// still out are closed as they come back.
    pub async fn close(&self) {
        let idle = self.inner.retain(|_, _| false).removed;
        self.inner.close();
        for connection in idle {
            // The server learns of a dropped socket too; this just says goodbye properly.
            let _ = connection.close().await;
        }
    }
}

impl<'p> Executor<'p> for &'_ Pool {
    type Database = MySql;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<MySqlQueryResult, MySqlRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, MySql>,
    {
        let pool = self.clone();
        Box::pin(async_stream::try_stream! {
            let mut connection = pool.acquire().await?;
            let mut results = (&mut connection).fetch_many(query);
            while let Some(result) = results.try_next().await? {
                yield result;
            }
        })
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<MySqlRow>, sqlx::Error>>
    where
        E: 'q + Execute<'q, MySql>,
    {
        let pool = self.clone();
        Box::pin(async move { pool.acquire().await?.fetch_optional(query).await })
    }

    fn prepare_with<'e>(
        self,
        sql: sqlx::SqlStr,
        parameters: &'e [MySqlTypeInfo],
    ) -> BoxFuture<'e, Result<MySqlStatement, sqlx::Error>>
    where
        'p: 'e,
    {
        let pool = self.clone();
        Box::pin(async move { pool.acquire().await?.prepare_with(sql, parameters).await })
    }

    fn describe<'e>(self, sql: sqlx::SqlStr) -> BoxFuture<'e, Result<Describe<MySql>, sqlx::Error>> {
        let pool = self.clone();
        Box::pin(async move { pool.acquire().await?.describe(sql).await })
    }
}
