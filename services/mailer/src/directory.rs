//! The SQL of the directory: who each account is, from `user.registered`, `user.updated` and
//! `user.deleted`, applied in the consumer's transaction.

use chrono::Utc;
use common::db::Connection;
use sqlx::MySqlExecutor;
use uuid::Uuid;

use crate::mails::Recipient;

/// What the directory knows of an account.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    Known(Recipient),
    /// Deleted: nothing more is sent to it.
    Forgotten,
    /// Not heard of yet (its registration may still be on its way).
    Unknown,
}

/// Records a new account; a deleted one stays deleted.
pub(crate) async fn register(
    tx: &mut Connection,
    user: Uuid,
    email: &str,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO directory (user_id, email, name, updated_at) VALUES (?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE name = IF(name = '' AND deleted_at IS NULL, VALUES(name), name)",
    )
    .bind(user)
    .bind(email)
    .bind(name)
    .bind(Utc::now())
    .execute(tx)
    .await?;
    Ok(())
}

/// Records an account's new address (an update before the registration keeps a row to be
/// completed by it: the name is filled in then).
pub(crate) async fn change_email(tx: &mut Connection, user: Uuid, email: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO directory (user_id, email, name, updated_at) VALUES (?, ?, '', ?)
         ON DUPLICATE KEY UPDATE email = IF(deleted_at IS NULL, VALUES(email), email), updated_at = VALUES(updated_at)",
    )
    .bind(user)
    .bind(email)
    .bind(Utc::now())
    .execute(tx)
    .await?;
    Ok(())
}

/// Forgets an account's address for good.
pub(crate) async fn forget(tx: &mut Connection, user: Uuid) -> Result<(), sqlx::Error> {
    let now = Utc::now();
    sqlx::query(
        "INSERT INTO directory (user_id, email, name, updated_at, deleted_at) VALUES (?, NULL, '', ?, ?)
         ON DUPLICATE KEY UPDATE email = NULL, name = '', updated_at = VALUES(updated_at), deleted_at = VALUES(deleted_at)",
    )
    .bind(user)
    .bind(now)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// Who `user` is.
pub(crate) async fn lookup(db: impl MySqlExecutor<'_>, user: Uuid) -> Result<Entry, sqlx::Error> {
    let row: Option<(Option<String>, String, Option<chrono::DateTime<Utc>>)> =
        sqlx::query_as("SELECT email, name, deleted_at FROM directory WHERE user_id = ?")
            .bind(user)
            .fetch_optional(db)
            .await?;
    Ok(match row {
        None => Entry::Unknown,
        Some((_, _, Some(_))) => Entry::Forgotten,
        Some((Some(email), name, None)) => Entry::Known(Recipient { email, name }),
        Some((None, _, None)) => Entry::Unknown,
    })
}
