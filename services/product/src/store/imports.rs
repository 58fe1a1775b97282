//! The catalogue import's writes: one statement for each part of a batch of lines, never one
//! per line.

use chrono::{DateTime, Utc};
use common::db::Connection;
use sqlx::{FromRow, QueryBuilder};
use uuid::Uuid;

use super::products::{COLUMNS, Product};
use crate::domain::ProductSpec;

/// A product an import line names by its sku, as it is now.
#[derive(Debug, FromRow)]
pub(crate) struct Current {
    #[sqlx(flatten)]
    pub(crate) product: Product,
    /// Withdrawn products keep their sku.
    pub(crate) withdrawn: bool,
}

impl Current {
    /// Whether `spec` would change nothing.
    pub(crate) fn is(&self, spec: &ProductSpec) -> bool {
        let p = &self.product;
        (&p.name, &p.description, p.price_cents, &p.currency, p.stock, &p.category)
            == (&spec.name, &spec.description, spec.price_cents, &spec.currency, spec.stock, &spec.category)
    }
}

/// The products holding `skus`, locked until the transaction ends.
pub(crate) async fn lock_by_sku(tx: &mut Connection, skus: &[&str]) -> Result<Vec<Current>, sqlx::Error> {
    if skus.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = QueryBuilder::new(format!(
        "SELECT {COLUMNS}, deleted_at IS NOT NULL AS withdrawn FROM products WHERE sku IN ("
    ));
    let mut list = query.separated(", ");
    for sku in skus {
        list.push_bind(*sku);
    }
    query.push(") FOR UPDATE");
    query.build_query_as().fetch_all(tx).await
}

/// One row to write: the product's id, its new fields and its new version.
pub(crate) struct Row<'a> {
    pub(crate) id: Uuid,
    pub(crate) spec: &'a ProductSpec,
    pub(crate) version: i64,
}

/// Creates the products of `rows` and replaces those that exist (locked by the caller), in one
/// statement: an existing id takes every field, the new version and `now` as its update time.
pub(crate) async fn write(
    tx: &mut Connection,
    rows: &[Row<'_>],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut query = QueryBuilder::new(
        "INSERT INTO products (id, sku, name, description, price_cents, currency, stock, category, version, created_at, updated_at) ",
    );
    query.push_values(rows, |mut values, row| {
        values
            .push_bind(row.id)
            .push_bind(&row.spec.sku)
            .push_bind(&row.spec.name)
            .push_bind(&row.spec.description)
            .push_bind(row.spec.price_cents)
            .push_bind(&row.spec.currency)
            .push_bind(row.spec.stock)
            .push_bind(&row.spec.category)
            .push_bind(row.version)
            .push_bind(now)
            .push_bind(now);
    });
    query.push(
        " ON DUPLICATE KEY UPDATE name = VALUES(name), description = VALUES(description),
          price_cents = VALUES(price_cents), currency = VALUES(currency), stock = VALUES(stock),
          category = VALUES(category), version = VALUES(version), updated_at = VALUES(updated_at)",
    );
    // Not kept prepared: each batch size would be a statement of its own in the cache.
    query.build().persistent(false).execute(tx).await?;
    Ok(())
}
