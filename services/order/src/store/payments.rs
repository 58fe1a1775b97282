//! The SQL of payments: the payment of an order, the provider calls still to make, and the
//! provider's webhook events already handled.

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::db::Connection;
use sqlx::{FromRow, MySqlExecutor};
use uuid::Uuid;

use crate::domain::PaymentStatus;

/// An order's payment.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct Payment {
    pub(crate) order_id: Uuid,
    pub(crate) provider: String,
    pub(crate) amount_cents: i64,
    pub(crate) currency: String,
    pub(crate) intent_id: Option<String>,
    pub(crate) client_secret: Option<String>,
    pub(crate) expires_at: DateTime<Utc>,
}

/// A provider call to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    CreateIntent,
    CancelIntent,
    Refund,
}

impl Action {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Action::CreateIntent => "create_intent",
            Action::CancelIntent => "cancel_intent",
            Action::Refund => "refund",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        [Action::CreateIntent, Action::CancelIntent, Action::Refund].into_iter().find(|a| a.as_str() == raw)
    }
}

/// A due job, leased.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) order_id: Uuid,
    pub(crate) action: Action,
    pub(crate) attempts: i64,
}

/// Opens the payment of a just-confirmed order.
pub(crate) async fn open(
    tx: &mut Connection,
    order: Uuid,
    provider: &str,
    amount_cents: i64,
    currency: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO payments (order_id, provider, amount_cents, currency, expires_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(order)
    .bind(provider)
    .bind(amount_cents)
    .bind(currency)
    .bind(expires_at)
    .bind(now)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// The payment of `order`.
pub(crate) async fn find(db: impl MySqlExecutor<'_>, order: Uuid) -> Result<Option<Payment>, sqlx::Error> {
    sqlx::query_as(
        "SELECT order_id, provider, amount_cents, currency, intent_id, client_secret, expires_at
         FROM payments WHERE order_id = ?",
    )
    .bind(order)
    .fetch_optional(db)
    .await
}

/// The payments of `orders`.
pub(crate) async fn find_many(
    db: impl MySqlExecutor<'_>,
    orders: &[Uuid],
) -> Result<Vec<Payment>, sqlx::Error> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = sqlx::QueryBuilder::new(
        "SELECT order_id, provider, amount_cents, currency, intent_id, client_secret, expires_at
         FROM payments WHERE order_id IN (",
    );
    let mut list = query.separated(", ");
    for order in orders {
        list.push_bind(*order);
    }
    query.push(")");
    query.build_query_as().fetch_all(db).await
}

/// The order a provider's intent pays for.
pub(crate) async fn order_of_intent(
    db: impl MySqlExecutor<'_>,
    intent: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("SELECT order_id FROM payments WHERE intent_id = ?")
        .bind(intent)
        .fetch_optional(db)
        .await
}

/// Records the intent the provider created.
pub(crate) async fn set_intent(
    tx: &mut Connection,
    order: Uuid,
    intent: &str,
    client_secret: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE payments SET intent_id = ?, client_secret = ?, updated_at = ? WHERE order_id = ?")
        .bind(intent)
        .bind(client_secret)
        .bind(now)
        .bind(order)
        .execute(tx)
        .await?;
    Ok(())
}

/// Records the provider's refund.
pub(crate) async fn set_refund(
    tx: &mut Connection,
    order: Uuid,
    refund: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE payments SET refund_id = ?, updated_at = ? WHERE order_id = ?")
        .bind(refund)
        .bind(now)
        .bind(order)
        .execute(tx)
        .await?;
    Ok(())
}

/// Sets the order's payment status.
pub(crate) async fn set_status(
    tx: &mut Connection,
    order: Uuid,
    status: PaymentStatus,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET payment_status = ? WHERE id = ?")
        .bind(status.as_str())
        .bind(order)
        .execute(tx)
        .await?;
    Ok(())
}

/// Locks up to `limit` confirmed orders whose payment window closed unpaid, skipping any another
/// instance holds.
pub(crate) async fn lock_expired(
    tx: &mut Connection,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT o.id FROM orders o JOIN payments p ON p.order_id = o.id
         WHERE o.status = 'confirmed' AND o.payment_status IN ('awaiting_payment', 'failed') AND p.expires_at < ?
         ORDER BY p.expires_at LIMIT ? FOR UPDATE SKIP LOCKED",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(tx)
    .await
}

/// Schedules `action` for `order`, due now; a job already scheduled stays as it is.
pub(crate) async fn schedule(
    tx: &mut Connection,
    order: Uuid,
    action: Action,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT IGNORE INTO payment_jobs (order_id, action, attempts, due_at, created_at) VALUES (?, ?, 0, ?, ?)",
    )
    .bind(order)
    .bind(action.as_str())
    .bind(now)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// Leases up to `limit` due jobs for `lease`: they are not due again until it ends, so no other
/// worker takes them while their call runs, and a worker that dies leaves them due afterwards.
pub(crate) async fn lease(
    tx: &mut Connection,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u32,
) -> Result<Vec<Job>, sqlx::Error> {
    let rows: Vec<(Uuid, String, i64)> = sqlx::query_as(
        "SELECT order_id, action, CAST(attempts AS SIGNED) FROM payment_jobs
         WHERE due_at <= ? ORDER BY due_at LIMIT ? FOR UPDATE SKIP LOCKED",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let until = now + lease;
    let mut jobs = Vec::with_capacity(rows.len());
    for (order_id, action, attempts) in rows {
        sqlx::query(
            "UPDATE payment_jobs SET due_at = ?, attempts = attempts + 1 WHERE order_id = ? AND action = ?",
        )
        .bind(until)
        .bind(order_id)
        .bind(&action)
        .execute(&mut *tx)
        .await?;
        if let Some(action) = Action::parse(&action) {
            jobs.push(Job { order_id, action, attempts: attempts + 1 });
        }
    }
    Ok(jobs)
}

/// Removes a job that is done (or can never be).
pub(crate) async fn finish(tx: &mut Connection, job: &Job) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM payment_jobs WHERE order_id = ? AND action = ?")
        .bind(job.order_id)
        .bind(job.action.as_str())
        .execute(tx)
        .await?;
    Ok(())
}

/// Makes a failed job due again at `due_at`, noting why it failed.
pub(crate) async fn retry_at(
    db: impl MySqlExecutor<'_>,
    job: &Job,
    due_at: DateTime<Utc>,
    error: &str,
) -> Result<(), sqlx::Error> {
    let error: String = error.chars().take(500).collect();
    sqlx::query("UPDATE payment_jobs SET due_at = ?, last_error = ? WHERE order_id = ? AND action = ?")
        .bind(due_at)
        .bind(error)
        .bind(job.order_id)
        .bind(job.action.as_str())
        .execute(db)
        .await?;
    Ok(())
}

/// Records a webhook event; `false` if it was handled before.
pub(crate) async fn record_event(
    tx: &mut Connection,
    event_id: &str,
    event_type: &str,
    outcome: &str,
    detail: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<()>, sqlx::Error> {
    use common::db::UniqueWrite;
    let detail: Option<String> = detail.map(|d| d.chars().take(500).collect());
    sqlx::query(
        "INSERT INTO payment_events (event_id, event_type, outcome, detail, received_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(event_id)
    .bind(event_type)
    .bind(outcome)
    .bind(detail)
    .bind(now)
    .execute(tx)
    .await
    .map(|_| ())
    .unless_taken()
}

/// Changes what came of a recorded webhook event.
pub(crate) async fn set_event_outcome(
    tx: &mut Connection,
    event_id: &str,
    outcome: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    let detail: String = detail.chars().take(500).collect();
    sqlx::query("UPDATE payment_events SET outcome = ?, detail = ? WHERE event_id = ?")
        .bind(outcome)
        .bind(detail)
        .bind(event_id)
        .execute(tx)
        .await?;
    Ok(())
}
