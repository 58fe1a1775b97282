use chrono::Utc;
use sqlx::MySqlExecutor;

/// The current key's id and PKCS#8 DER, if one was stored.
pub(crate) async fn current(db: impl MySqlExecutor<'_>) -> Result<Option<(String, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as("SELECT kid, private_key FROM signing_keys WHERE is_current = 1").fetch_optional(db).await
}

/// Stores a key as current unless another instance stored one first.
pub(crate) async fn insert_current_unless_present(
    db: impl MySqlExecutor<'_>,
    kid: &str,
    der: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO signing_keys (kid, private_key, is_current, created_at) VALUES (?, ?, 1, ?)
         ON DUPLICATE KEY UPDATE kid = kid",
    )
    .bind(kid)
    .bind(der)
    .bind(Utc::now())
    .execute(db)
    .await?;
    Ok(())
}
