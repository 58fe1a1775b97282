//! A connection taken from the pool, which knows whether it can go back as it is.

use std::{
    pin::Pin,
    task::{Context, Poll, ready},
    time::Duration,
};

use futures_util::{Stream, future::BoxFuture, stream::BoxStream};
use sqlx::{
    Describe, Either, Execute, Executor, MySql, SqlStr,
    mysql::{MySqlConnection, MySqlQueryResult, MySqlRow, MySqlStatement, MySqlTypeInfo},
};

use super::{Transaction, pool::Link};

/// How long the check of a connection that came back unsettled may take before the connection
/// is closed instead: a cancelled statement may still be running on the server.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection of the pool, for several statements in a row; it goes back when dropped.
///
/// It tracks whether its last statement ran to its end (rows read to the last, or an answer
/// from the server, an error included). If not (the future was dropped mid-statement, a row
/// stream was left unread, the socket failed), the connection is checked when it goes back: a
/// `ROLLBACK` flushes whatever sqlx still had to send or read, ends any transaction the server
/// may hold open for it, and proves the link alive; if it fails, the connection is closed. A
/// settled connection goes back with no command at all.
pub struct Connection {
    link: Option<Link>,
    settled: bool,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("settled", &self.settled).finish_non_exhaustive()
    }
}

impl Connection {
    pub(super) fn new(link: Link) -> Self {
        Self { link: Some(link), settled: true }
    }

    /// Begins a transaction on this connection.
    pub async fn begin(self) -> Result<Transaction, sqlx::Error> {
        Transaction::begin(self).await
    }

    /// sqlx's own connection, for what takes no other (the migrator). Whatever runs on it is
    /// unknown here, so the connection is checked when it goes back.
    pub fn unchecked(&mut self) -> &mut MySqlConnection {
        self.start().0
    }

    /// Marks a statement begun and lends the connection to it, with the flag it settles.
    fn start(&mut self) -> (&mut MySqlConnection, &mut bool) {
        self.settled = false;
        let link = self.link.as_mut().expect("a connection holds its link until dropped");
        (&mut **link, &mut self.settled)
    }

    /// For a transaction dropped unfinished, whose connection must be rolled back when it goes
    /// back.
    pub(super) fn unsettle(&mut self) {
        self.settled = false;
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let Some(link) = self.link.take() else { return };
        if self.settled {
            return; // `link` goes back to the pool as it is.
        }
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(check(link));
            }
            // No runtime to check it on (the process is ending): close it.
            Err(_) => drop(Link::take(link)),
        }
    }
}

/// Puts an unsettled connection back in order before it returns to the pool, or closes it.
async fn check(mut link: Link) {
    let rollback = sqlx::raw_sql("ROLLBACK").execute(&mut *link);
    match tokio::time::timeout(CHECK_TIMEOUT, rollback).await {
        Ok(Ok(_)) => {}
        outcome => {
            let error = match outcome {
                Ok(Err(error)) => error.to_string(),
                _ => "timed out".to_owned(),
            };
            tracing::warn!(%error, "closing a database connection that could not be checked");
            drop(Link::take(link));
        }
    }
}

/// Whether the server answered the statement: a result or its error both leave the connection
/// in order; anything else (I/O, protocol) may not. (A statement read only to its first row, as
/// `fetch_optional` does, leaves the rest of its answer for sqlx to skip before the next
/// statement on the connection: it is already on its way, so that costs no round trip.)
fn answered<T>(result: &Result<T, sqlx::Error>) -> bool {
    matches!(result, Ok(_) | Err(sqlx::Error::Database(_)))
}

/// Awaits a one-answer statement, then marks the connection settled if the server answered it.
fn settling<'e, T: Send + 'e>(
    settled: &'e mut bool,
    statement: BoxFuture<'e, Result<T, sqlx::Error>>,
) -> BoxFuture<'e, Result<T, sqlx::Error>> {
    Box::pin(async move {
        let result = statement.await;
        *settled = answered(&result);
        result
    })
}

impl<'c> Executor<'c> for &'c mut Connection {
    type Database = MySql;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<MySqlQueryResult, MySqlRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, MySql>,
    {
        let (connection, settled) = self.start();
        Box::pin(Settling { results: connection.fetch_many(query), settled, failed: false })
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<MySqlRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, MySql>,
    {
        let (connection, settled) = self.start();
        settling(settled, connection.fetch_optional(query))
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [MySqlTypeInfo],
    ) -> BoxFuture<'e, Result<MySqlStatement, sqlx::Error>>
    where
        'c: 'e,
    {
        let (connection, settled) = self.start();
        settling(settled, connection.prepare_with(sql, parameters))
    }

    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<Describe<MySql>, sqlx::Error>>
    where
        'c: 'e,
    {
        let (connection, settled) = self.start();
        settling(settled, connection.describe(sql))
    }
}

/// A statement's results, which settle the connection once read to the end or answered with an
/// error by the server.
struct Settling<'e> {
    results: BoxStream<'e, Result<Either<MySqlQueryResult, MySqlRow>, sqlx::Error>>,
    settled: &'e mut bool,
    /// An error the server did not send: nothing after it settles the connection.
    failed: bool,
}

impl Stream for Settling<'_> {
    type Item = Result<Either<MySqlQueryResult, MySqlRow>, sqlx::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = ready!(self.results.as_mut().poll_next(cx));
        let settled = match &next {
            None => !self.failed,
            Some(Err(sqlx::Error::Database(_))) => !self.failed,
            Some(Err(_)) => {
                self.failed = true;
                false
            }
            Some(Ok(_)) => false,
        };
        *self.settled = settled;
        Poll::Ready(next)
    }
}
