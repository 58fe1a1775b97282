//! The SQL of orders. Every function takes an executor, so callers choose the transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use common::db::Connection;
use common::idempotency::IdempotencyKey;
use events::{RejectedLine, ReservedLine};
use sqlx::{FromRow, MySqlExecutor, QueryBuilder};
use uuid::Uuid;

use crate::{
    domain::{PaymentStatus, Placement, Status},
    order::{LineRejection, Order, OrderItem, PaymentView, StatusChange},
    store::payments,
};

/// What deciding about an order needs, read under its row lock.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct Head {
    pub(crate) id: Uuid,
    pub(crate) user_id: Uuid,
    #[sqlx(try_from = "String")]
    pub(crate) status: Status,
    /// Placed by checking out the user's cart.
    pub(crate) from_cart: bool,
    #[sqlx(try_from = "String")]
    pub(crate) payment_status: PaymentStatus,
}

impl Head {
    /// Whether the order is confirmed and its money still expected.
    pub(crate) fn awaits_payment(&self) -> bool {
        self.status == Status::Confirmed && self.payment_status.is_open()
    }
}

/// A new order, as placed.
pub(crate) struct NewOrder<'a> {
    pub(crate) id: Uuid,
    pub(crate) user_id: Uuid,
    pub(crate) placement: &'a Placement<'a>,
    pub(crate) key: Option<&'a IdempotencyKey>,
    pub(crate) at: DateTime<Utc>,
}

/// Stores a pending order with its lines and the first step of its history. Fails with a unique
/// violation when the user already used the idempotency key.
pub(crate) async fn insert(tx: &mut Connection, order: &NewOrder<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO orders (id, user_id, status, idempotency_key, request_hash, from_cart, created_at, updated_at)
         VALUES (?, ?, 'pending', ?, ?, ?, ?, ?)",
    )
    .bind(order.id)
    .bind(order.user_id)
    .bind(order.key.map(IdempotencyKey::as_str))
    .bind(&order.placement.fingerprint[..])
    .bind(order.placement.from_cart)
    .bind(order.at)
    .bind(order.at)
    .execute(&mut *tx)
    .await?;
    let mut insert = QueryBuilder::new("INSERT INTO order_lines (order_id, line_no, product_id, quantity) ");
    insert.push_values(order.placement.lines.iter().enumerate(), |mut row, (line_no, line)| {
        row.push_bind(order.id)
            .push_bind(i16::try_from(line_no).unwrap_or(i16::MAX))
            .push_bind(line.product_id)
            .push_bind(line.quantity);
    });
    insert.build().execute(&mut *tx).await?;
    record_step(tx, order.id, None, Status::Pending, None, Some(order.user_id), order.at).await
}

/// The order a user created with `key`, and the fingerprint of the lines it was created with.
pub(crate) async fn find_by_key(
    db: impl MySqlExecutor<'_>,
    user_id: Uuid,
    key: &IdempotencyKey,
) -> Result<Option<(Uuid, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as("SELECT id, request_hash FROM orders WHERE user_id = ? AND idempotency_key = ?")
        .bind(user_id)
        .bind(key.as_str())
        .fetch_optional(db)
        .await
}

/// Locks one order for a decision about it.
pub(crate) async fn lock(tx: &mut Connection, id: Uuid) -> Result<Option<Head>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, user_id, status, from_cart, payment_status FROM orders WHERE id = ? FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(tx)
    .await
}

/// One order's head, read without a lock.
pub(crate) async fn head(db: &mut Connection, id: Uuid) -> Result<Option<Head>, sqlx::Error> {
    sqlx::query_as("SELECT id, user_id, status, from_cart, payment_status FROM orders WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Locks up to `limit` orders still pending since before `cutoff`, skipping any another
/// instance holds, oldest first.
pub(crate) async fn lock_stale_pending(
    tx: &mut Connection,
    cutoff: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<Head>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, user_id, status, from_cart, payment_status FROM orders
         WHERE status = 'pending' AND created_at < ?
         ORDER BY created_at LIMIT ? FOR UPDATE SKIP LOCKED",
    )
    .bind(cutoff)
    .bind(limit)
    .fetch_all(tx)
    .await
}

/// Moves an order to `to` and records the step.
pub(crate) async fn set_status(
    tx: &mut Connection,
    order: &Head,
    to: Status,
    reason: Option<&str>,
    by: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE orders SET status = ?, rejection_reason = COALESCE(?, rejection_reason), updated_at = ?
         WHERE id = ?",
    )
    .bind(to.as_str())
    .bind(reason.filter(|_| to == Status::Rejected))
    .bind(at)
    .bind(order.id)
    .execute(&mut *tx)
    .await?;
    if order.status == Status::Pending {
        observe_settle_time(order.id, to, at);
    }
    record_step(tx, order.id, Some(order.status), to, reason, by, at).await
}

/// How long the order waited in `pending` for the stock decision: its id is a UUIDv7, whose
/// first 48 bits are the time it was placed. (Observed inside the transaction, like the step
/// count below: the rare transaction that rolls back and is retried is observed twice.)
fn observe_settle_time(order: Uuid, to: Status, at: DateTime<Utc>) {
    let Some(placed) = order.get_timestamp().map(|t| t.to_unix()) else { return };
    let placed_ms =
        i64::try_from(placed.0).unwrap_or(i64::MAX).saturating_mul(1000) + i64::from(placed.1 / 1_000_000);
    let waited = (at.timestamp_millis() - placed_ms).max(0) as f64 / 1000.0;
    metrics::histogram!("order_settle_seconds", "status" => to.as_str()).record(waited);
}

async fn record_step(
    tx: &mut Connection,
    order: Uuid,
    from: Option<Status>,
    to: Status,
    reason: Option<&str>,
    by: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO order_status_history (order_id, from_status, to_status, reason, changed_by, changed_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(order)
    .bind(from.map(Status::as_str))
    .bind(to.as_str())
    .bind(reason)
    .bind(by)
    .bind(at)
    .execute(tx)
    .await?;
    metrics::counter!("order_status_changes_total", "status" => to.as_str()).increment(1);
    Ok(())
}

/// Writes the price snapshot: each line's name and unit price, the total and the currency.
pub(crate) async fn price(
    tx: &mut Connection,
    order: Uuid,
    lines: &[ReservedLine],
    total_cents: i64,
    currency: &str,
) -> Result<(), sqlx::Error> {
    for line in lines {
        sqlx::query(
            "UPDATE order_lines SET name = ?, unit_price_cents = ? WHERE order_id = ? AND product_id = ?",
        )
        .bind(&line.name)
        .bind(line.unit_price_cents)
        .bind(order)
        .bind(line.product_id)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("UPDATE orders SET total_cents = ?, currency = ? WHERE id = ?")
        .bind(total_cents)
        .bind(currency)
        .bind(order)
        .execute(tx)
        .await?;
    Ok(())
}

/// Marks the lines the product service could not reserve, with why.
pub(crate) async fn mark_rejected(
    tx: &mut Connection,
    order: Uuid,
    lines: &[RejectedLine],
) -> Result<(), sqlx::Error> {
    for line in lines {
        sqlx::query(
            "UPDATE order_lines SET rejection_reason = ?, available = ? WHERE order_id = ? AND product_id = ?",
        )
        .bind(reason_name(line))
        .bind(line.available)
        .bind(order)
        .bind(line.product_id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// The stored name of a line's rejection reason (its name in events).
pub(crate) fn reason_name(line: &RejectedLine) -> String {
    serde_json::to_value(line.reason)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

/// Which orders a list shows.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    pub(crate) user_id: Option<Uuid>,
    pub(crate) status: Option<Status>,
    /// Only orders older than this one (the cursor).
    pub(crate) before: Option<Uuid>,
    pub(crate) limit: u32,
}

/// The ids of one page of orders, newest first.
pub(crate) async fn list(db: &mut Connection, filter: &Filter) -> Result<Vec<Uuid>, sqlx::Error> {
    let mut sql = QueryBuilder::new("SELECT id FROM orders WHERE TRUE");
    if let Some(user) = filter.user_id {
        sql.push(" AND user_id = ").push_bind(user);
    }
    if let Some(status) = filter.status {
        sql.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(before) = filter.before {
        sql.push(" AND id < ").push_bind(before);
    }
    sql.push(" ORDER BY id DESC LIMIT ").push_bind(filter.limit);
    sql.build_query_scalar().fetch_all(db).await
}

#[derive(FromRow)]
struct OrderRow {
    id: Uuid,
    user_id: Uuid,
    #[sqlx(try_from = "String")]
    status: Status,
    total_cents: Option<i64>,
    currency: Option<String>,
    rejection_reason: Option<String>,
    #[sqlx(try_from = "String")]
    payment_status: PaymentStatus,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(FromRow)]
struct LineRow {
    order_id: Uuid,
    product_id: Uuid,
    quantity: i32,
    name: Option<String>,
    unit_price_cents: Option<i64>,
    rejection_reason: Option<String>,
    available: Option<i64>,
}

#[derive(FromRow)]
struct StepRow {
    order_id: Uuid,
    #[sqlx(try_from = "Option<String>")]
    from_status: OptionalStatus,
    #[sqlx(try_from = "String")]
    to_status: Status,
    reason: Option<String>,
    changed_at: DateTime<Utc>,
}

struct OptionalStatus(Option<Status>);

impl TryFrom<Option<String>> for OptionalStatus {
    type Error = String;
    fn try_from(value: Option<String>) -> Result<Self, Self::Error> {
        value.map(Status::try_from).transpose().map(OptionalStatus)
    }
}

/// The orders with these ids, whole, in the order of `ids` (three queries for any number).
pub(crate) async fn load(db: &mut Connection, ids: &[Uuid]) -> Result<Vec<Order>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let in_list = |sql: &mut QueryBuilder<sqlx::MySql>| {
        let mut list = sql.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        list.push_unseparated(")");
    };
    let mut sql = QueryBuilder::new(
        "SELECT id, user_id, status, total_cents, currency, rejection_reason, payment_status, created_at, updated_at
         FROM orders WHERE id IN (",
    );
    in_list(&mut sql);
    let heads: Vec<OrderRow> = sql.build_query_as().fetch_all(&mut *db).await?;

    let mut sql = QueryBuilder::new(
        "SELECT order_id, product_id, quantity, name, unit_price_cents, rejection_reason, available
         FROM order_lines WHERE order_id IN (",
    );
    in_list(&mut sql);
    sql.push(" ORDER BY order_id, line_no");
    let mut lines: HashMap<Uuid, Vec<OrderItem>> = HashMap::new();
    for line in sql.build_query_as::<LineRow>().fetch_all(&mut *db).await? {
        lines.entry(line.order_id).or_default().push(OrderItem {
            product_id: line.product_id,
            quantity: line.quantity.into(),
            name: line.name,
            unit_price_cents: line.unit_price_cents,
            rejection: line
                .rejection_reason
                .map(|reason| LineRejection { reason, available: line.available.unwrap_or(0) }),
        });
    }

    let mut sql = QueryBuilder::new(
        "SELECT order_id, from_status, to_status, reason, changed_at FROM order_status_history WHERE order_id IN (",
    );
    in_list(&mut sql);
    sql.push(" ORDER BY order_id, seq");
    let mut history: HashMap<Uuid, Vec<StatusChange>> = HashMap::new();
    for step in sql.build_query_as::<StepRow>().fetch_all(&mut *db).await? {
        history.entry(step.order_id).or_default().push(StatusChange {
            from: step.from_status.0,
            to: step.to_status,
            reason: step.reason,
            at: step.changed_at,
        });
    }

    let mut payments: HashMap<Uuid, PaymentView> = payments::find_many(&mut *db, ids)
        .await?
        .into_iter()
        .map(|p| {
            let view = PaymentView {
                provider: p.provider,
                intent_id: p.intent_id,
                client_secret: p.client_secret,
                amount_cents: p.amount_cents,
                currency: p.currency,
                expires_at: p.expires_at,
            };
            (p.order_id, view)
        })
        .collect();

    let mut by_id: HashMap<Uuid, Order> = heads
        .into_iter()
        .map(|row| {
            let order = Order {
                id: row.id,
                user_id: row.user_id,
                status: row.status,
                items: lines.remove(&row.id).unwrap_or_default(),
                total_cents: row.total_cents,
                currency: row.currency,
                rejection_reason: row.rejection_reason,
                payment_status: row.payment_status,
                payment: payments.remove(&row.id),
                created_at: row.created_at,
                updated_at: row.updated_at,
                history: history.remove(&row.id).unwrap_or_default(),
            };
            (row.id, order)
        })
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// One whole order.
pub(crate) async fn find(db: &mut Connection, id: Uuid) -> Result<Option<Order>, sqlx::Error> {
    Ok(load(db, &[id]).await?.pop())
}
