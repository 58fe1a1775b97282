use chrono::Utc;
use common::db::Connection;
use common::db::UniqueWrite;
use sqlx::{FromRow, MySqlExecutor, QueryBuilder};
use uuid::Uuid;

use crate::domain::Decision;

/// What the lines of an order need to know about a product, read under lock.
#[derive(Debug, FromRow)]
pub(crate) struct StockRow {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) price_cents: i64,
    pub(crate) currency: String,
    pub(crate) stock: i64,
    pub(crate) deleted: bool,
}

/// Locks the products in id order (every reservation locks in the same order, so two orders
/// sharing products cannot deadlock) and returns what exists of them, deleted ones included.
pub(crate) async fn lock_products(
    db: impl MySqlExecutor<'_>,
    ids: &[Uuid],
) -> Result<Vec<StockRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = QueryBuilder::new(
        "SELECT id, name, price_cents, currency, stock, deleted_at IS NOT NULL AS deleted FROM products WHERE id IN ",
    );
    super::push_ids(&mut sql, ids);
    sql.push(" ORDER BY id FOR UPDATE");
    sql.build_query_as().fetch_all(db).await
}

/// Takes `quantity` units; refused (false) rather than going below zero.
pub(crate) async fn take(
    db: impl MySqlExecutor<'_>,
    product: Uuid,
    quantity: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE products SET stock = stock - ?, version = version + 1, updated_at = ?
         WHERE id = ? AND deleted_at IS NULL AND stock >= ?",
    )
    .bind(quantity)
    .bind(Utc::now())
    .bind(product)
    .bind(quantity)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub(crate) async fn record(
    db: impl MySqlExecutor<'_>,
    order: Uuid,
    product: Uuid,
    quantity: i64,
    unit_price_cents: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO reservations (order_id, product_id, quantity, unit_price_cents, reserved_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(order)
    .bind(product)
    .bind(quantity)
    .bind(unit_price_cents)
    .bind(Utc::now())
    .execute(db)
    .await?;
    Ok(())
}

/// Records the order's one decision; `false` if it already had one.
pub(crate) async fn decide(
    db: impl MySqlExecutor<'_>,
    order: Uuid,
    decision: Decision,
) -> Result<bool, sqlx::Error> {
    // A plain INSERT: with ON DUPLICATE KEY the driver's found-rows count reads 1 either way.
    let inserted =
        sqlx::query("INSERT INTO order_decisions (order_id, decision, decided_at) VALUES (?, ?, ?)")
            .bind(order)
            .bind(decision.as_str())
            .bind(Utc::now())
            .execute(db)
            .await;
    Ok(inserted.unless_taken()?.is_some())
}

/// Gives back every unit the order still holds, once: released lines are marked and skipped
/// the next time. Returns how many lines were released.
pub(crate) async fn release(db: &mut Connection, order: Uuid) -> Result<usize, sqlx::Error> {
    let held: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT product_id, quantity FROM reservations WHERE order_id = ? AND released_at IS NULL ORDER BY product_id FOR UPDATE",
    )
    .bind(order)
    .fetch_all(&mut *db)
    .await?;
    let now = Utc::now();
    for (product, quantity) in &held {
        // Deleted products get their units back too: the numbers stay true if one is restored.
        sqlx::query(
            "UPDATE products SET stock = stock + ?, version = version + 1, updated_at = ? WHERE id = ?",
        )
        .bind(quantity)
        .bind(now)
        .bind(product)
        .execute(&mut *db)
        .await?;
    }
    sqlx::query("UPDATE reservations SET released_at = ? WHERE order_id = ? AND released_at IS NULL")
        .bind(now)
        .bind(order)
        .execute(&mut *db)
        .await?;
    Ok(held.len())
}
