//! The sent-mail log: the record before and after each call to the provider.

use chrono::Utc;
use common::db::Pool;
use common::db::UniqueWrite;
use uuid::Uuid;

/// What a delivery may do about its event's mail.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Claim {
    /// Nobody is sending it and it has not been sent: this delivery sends it.
    Send,
    /// Already sent or refused for good: nothing to do.
    Settled,
    /// A send started and never recorded its outcome (the process died during the call).
    Unknown,
}

/// Claims the event's mail for sending: a new row, or a `retryable` one turned `sending`.
/// Both statements commit at once, so the claim survives whatever happens during the call.
pub(crate) async fn claim(pool: &Pool, event_id: Uuid, recipient: &str) -> anyhow::Result<Claim> {
    let now = Utc::now();
    let inserted = sqlx::query(
        "INSERT INTO sent_mail (event_id, recipient, status, attempts, created_at, updated_at)
         VALUES (?, ?, 'sending', 1, ?, ?)",
    )
    .bind(event_id)
    .bind(recipient)
    .bind(now)
    .bind(now)
    .execute(pool)
    .await;
    if inserted.unless_taken()?.is_some() {
        return Ok(Claim::Send);
    }
    let retried = sqlx::query(
        "UPDATE sent_mail SET status = 'sending', attempts = attempts + 1, updated_at = ?
         WHERE event_id = ? AND status = 'retryable'",
    )
    .bind(now)
    .bind(event_id)
    .execute(pool)
    .await?;
    if retried.rows_affected() == 1 {
        return Ok(Claim::Send);
    }
    let status: String = sqlx::query_scalar("SELECT status FROM sent_mail WHERE event_id = ?")
        .bind(event_id)
        .fetch_one(pool)
        .await?;
    Ok(if status == "sending" { Claim::Unknown } else { Claim::Settled })
}

/// Records the outcome of the call.
pub(crate) async fn record(
    pool: &Pool,
    event_id: Uuid,
    status: &'static str,
    provider_message_id: Option<&str>,
    error: Option<&str>,
) -> anyhow::Result<()> {
    let error: Option<String> = error.map(|e| e.chars().take(1000).collect());
    sqlx::query(
        "UPDATE sent_mail SET status = ?, provider_message_id = COALESCE(?, provider_message_id),
         last_error = ?, updated_at = ? WHERE event_id = ?",
    )
    .bind(status)
    .bind(provider_message_id)
    .bind(error)
    .bind(Utc::now())
    .bind(event_id)
    .execute(pool)
    .await?;
    Ok(())
}
