//! A transaction owning its connection.

use std::ops::{Deref, DerefMut};

use super::Connection;

/// A transaction on a connection of its own: `&mut *tx` runs statements in it. Dropped without
/// [`commit`](Self::commit) (an error, a cancelled request), it is rolled back as its connection
/// goes back to the pool, before anyone else can use the connection.
///
/// It runs `BEGIN`, `COMMIT` and `ROLLBACK` itself rather than through sqlx's transaction type,
/// which only borrows a connection; savepoints (nested transactions) are not offered.
#[derive(Debug)]
pub struct Transaction {
    connection: Connection,
    open: bool,
}

impl Transaction {
    pub(super) async fn begin(mut connection: Connection) -> Result<Self, sqlx::Error> {
        sqlx::raw_sql("BEGIN").execute(&mut connection).await?;
        Ok(Self { connection, open: true })
    }

    /// Makes the transaction's changes permanent.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        sqlx::raw_sql("COMMIT").execute(&mut self.connection).await?;
        self.open = false;
        Ok(())
    }

    /// Undoes the transaction's changes now (dropping it does so too, as the connection goes back).
    pub async fn rollback(mut self) -> Result<(), sqlx::Error> {
        sqlx::raw_sql("ROLLBACK").execute(&mut self.connection).await?;
        self.open = false;
        Ok(())
    }
}

impl Drop for Transaction {
    fn drop(&mut self) {
        if self.open {
            // The connection, dropped next, is rolled back before it rejoins the pool.
            self.connection.unsettle();
        }
    }
}

impl Deref for Transaction {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.connection
    }
}

impl DerefMut for Transaction {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.connection
    }
}
