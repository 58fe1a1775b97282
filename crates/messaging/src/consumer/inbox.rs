//! The inbox: the ids of handled messages, recorded in the transaction of their effect, so a
//! redelivery is recognised and acknowledged without repeating it.

use std::time::Duration;

use chrono::Utc;
use common::db::UniqueWrite;
use common::db::{Connection, Pool};
use events::Envelope;
use tokio_util::sync::CancellationToken;

/// Records `envelope` in the caller's transaction; `false` if it was handled before.
pub(super) async fn record(tx: &mut Connection, envelope: &Envelope) -> Result<bool, sqlx::Error> {
    let recorded = sqlx::query("INSERT INTO inbox (message_id, event_type, received_at) VALUES (?, ?, ?)")
        .bind(envelope.id)
        .bind(&envelope.kind)
        .bind(Utc::now())
        .execute(tx)
        .await;
    Ok(recorded.unless_taken()?.is_some())
}

/// Forgets handled message ids older than the retention, hourly.
pub(super) async fn prune(
    service: &'static str,
    pool: Pool,
    retention: Duration,
    shutdown: CancellationToken,
) {
    const EVERY: Duration = Duration::from_secs(3600);
    loop {
        let cutoff = Utc::now() - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::days(30));
        let pruned = sqlx::query("DELETE FROM inbox WHERE received_at < ? LIMIT 10000")
            .bind(cutoff)
            .execute(&pool)
            .await;
        if let Err(error) = pruned {
            tracing::warn!(service, %error, "cannot prune the inbox");
        }
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            () = shutdown.cancelled() => return,
        }
    }
}
