use chrono::{DateTime, Utc};
use sqlx::{FromRow, MySqlExecutor};

/// A subject's attempts in its current window.
#[derive(Debug, FromRow)]
pub(crate) struct Attempts {
    pub(crate) attempts: i32,
    pub(crate) window_started_at: DateTime<Utc>,
}

/// Counts one attempt for `subject`: a window that started at or before `stale_before` is over,
/// so the count starts again at 1 from `now`. The count stops at `cap`, so a flood cannot
/// overflow it.
pub(crate) async fn count(
    db: impl MySqlExecutor<'_>,
    subject: &[u8],
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
    cap: i32,
) -> Result<(), sqlx::Error> {
    // MySQL applies the assignments left to right: `attempts` is computed from the old
    // `window_started_at`, and so is the new `window_started_at`, because it is assigned last.
    sqlx::query(
        "INSERT INTO login_attempts (subject, attempts, window_started_at) VALUES (?, 1, ?)
         ON DUPLICATE KEY UPDATE
             attempts = IF(window_started_at <= ?, 1, LEAST(attempts + 1, ?)),
             window_started_at = IF(window_started_at <= ?, ?, window_started_at)",
    )
    .bind(subject)
    .bind(now)
    .bind(stale_before)
    .bind(cap)
    .bind(stale_before)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

pub(crate) async fn find(
    db: impl MySqlExecutor<'_>,
    subject: &[u8],
) -> Result<Option<Attempts>, sqlx::Error> {
    sqlx::query_as("SELECT attempts, window_started_at FROM login_attempts WHERE subject = ?")
        .bind(subject)
        .fetch_optional(db)
        .await
}

/// Forgets a subject's attempts (after a successful sign-in).
pub(crate) async fn clear(db: impl MySqlExecutor<'_>, subject: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_attempts WHERE subject = ?").bind(subject).execute(db).await?;
    Ok(())
}

/// Deletes up to `limit` rows whose window started at or before `stale_before`.
pub(crate) async fn prune(
    db: impl MySqlExecutor<'_>,
    stale_before: DateTime<Utc>,
    limit: u32,
) -> Result<u64, sqlx::Error> {
    let result = sqlx::query("DELETE FROM login_attempts WHERE window_started_at <= ? LIMIT ?")
        .bind(stale_before)
        .bind(limit)
        .execute(db)
        .await?;
    Ok(result.rows_affected())
}
