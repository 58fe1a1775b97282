//! The SQL of carts.

use chrono::{DateTime, Utc};
use common::db::Connection;
use sqlx::{FromRow, MySqlExecutor};
use uuid::Uuid;

/// One line of a cart.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct CartLine {
    pub(crate) product_id: Uuid,
    pub(crate) quantity: i64,
}

/// Takes the cart's lock (creating the cart), marking it changed at `at`.
pub(crate) async fn lock(tx: &mut Connection, user: Uuid, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO carts (user_id, updated_at) VALUES (?, ?)
         ON DUPLICATE KEY UPDATE updated_at = VALUES(updated_at)",
    )
    .bind(user)
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

/// The cart's lines, in the order they were added.
pub(crate) async fn lines(db: impl MySqlExecutor<'_>, user: Uuid) -> Result<Vec<CartLine>, sqlx::Error> {
    sqlx::query_as(
        "SELECT product_id, CAST(quantity AS SIGNED) AS quantity FROM cart_items
         WHERE user_id = ? ORDER BY added_at, product_id",
    )
    .bind(user)
    .fetch_all(db)
    .await
}

/// When the cart last changed; `None` for a cart never used.
pub(crate) async fn updated_at(
    db: impl MySqlExecutor<'_>,
    user: Uuid,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar("SELECT updated_at FROM carts WHERE user_id = ?").bind(user).fetch_optional(db).await
}

/// Whether the cart holds a line for `product`, and how many lines it holds.
pub(crate) async fn census(
    tx: &mut Connection,
    user: Uuid,
    product: Uuid,
) -> Result<(bool, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(product_id = ?), 0) AS SIGNED) > 0, COUNT(*) FROM cart_items WHERE user_id = ?",
    )
    .bind(product)
    .bind(user)
    .fetch_one(tx)
    .await
}

/// Sets the line of `product` to `quantity` units, adding it if needed.
pub(crate) async fn set_line(
    tx: &mut Connection,
    user: Uuid,
    product: Uuid,
    quantity: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO cart_items (user_id, product_id, quantity, added_at) VALUES (?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE quantity = VALUES(quantity)",
    )
    .bind(user)
    .bind(product)
    .bind(quantity)
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

/// Removes the line of `product`, if there is one.
pub(crate) async fn remove_line(tx: &mut Connection, user: Uuid, product: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM cart_items WHERE user_id = ? AND product_id = ?")
        .bind(user)
        .bind(product)
        .execute(tx)
        .await?;
    Ok(())
}

/// Removes every line.
pub(crate) async fn clear(tx: &mut Connection, user: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM cart_items WHERE user_id = ?").bind(user).execute(tx).await?;
    Ok(())
}

/// Takes `quantity` units of `product` out of the cart: the line goes when no unit is left.
pub(crate) async fn take_out(
    tx: &mut Connection,
    user: Uuid,
    product: Uuid,
    quantity: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM cart_items WHERE user_id = ? AND product_id = ? AND quantity <= ?")
        .bind(user)
        .bind(product)
        .bind(quantity)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE cart_items SET quantity = quantity - ? WHERE user_id = ? AND product_id = ?")
        .bind(quantity)
        .bind(user)
        .bind(product)
        .execute(&mut *tx)
        .await?;
    Ok(())
}
