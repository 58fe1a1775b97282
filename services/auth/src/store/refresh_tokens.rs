use chrono::{DateTime, Utc};
use sqlx::{FromRow, MySqlExecutor};
use uuid::Uuid;

#[derive(Debug, FromRow)]
pub(crate) struct StoredToken {
    pub(crate) account_id: Uuid,
    pub(crate) family_id: Uuid,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) used_at: Option<DateTime<Utc>>,
    pub(crate) revoked_at: Option<DateTime<Utc>>,
}

pub(crate) struct NewToken<'a> {
    pub(crate) hash: &'a [u8],
    pub(crate) family_id: Uuid,
    pub(crate) account_id: Uuid,
    pub(crate) issued_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
}

pub(crate) async fn insert(db: impl MySqlExecutor<'_>, token: NewToken<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, account_id, issued_at, expires_at)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(token.hash)
    .bind(token.family_id)
    .bind(token.account_id)
    .bind(token.issued_at)
    .bind(token.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The token with this digest, locked until the transaction ends, so two refreshes with
/// one token are serialised and the second sees it used.
pub(crate) async fn lock(
    db: impl MySqlExecutor<'_>,
    hash: &[u8],
) -> Result<Option<StoredToken>, sqlx::Error> {
    sqlx::query_as(
        "SELECT account_id, family_id, expires_at, used_at, revoked_at
         FROM refresh_tokens WHERE token_hash = ? FOR UPDATE",
    )
    .bind(hash)
    .fetch_optional(db)
    .await
}

pub(crate) async fn mark_used(
    db: impl MySqlExecutor<'_>,
    hash: &[u8],
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?")
        .bind(at)
        .bind(hash)
        .execute(db)
        .await?;
    Ok(())
}

pub(crate) async fn family_of(db: impl MySqlExecutor<'_>, hash: &[u8]) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT family_id FROM refresh_tokens WHERE token_hash = ?")
        .bind(hash)
        .fetch_optional(db)
        .await
}

pub(crate) async fn revoke_family(
    db: impl MySqlExecutor<'_>,
    family_id: Uuid,
    at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let result =
        sqlx::query("UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL")
            .bind(at)
            .bind(family_id)
            .execute(db)
            .await?;
    Ok(result.rows_affected())
}

/// Revokes every live session of an account.
pub(crate) async fn revoke_account(
    db: impl MySqlExecutor<'_>,
    account_id: Uuid,
    at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let result =
        sqlx::query("UPDATE refresh_tokens SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL")
            .bind(at)
            .bind(account_id)
            .execute(db)
            .await?;
    Ok(result.rows_affected())
}
