use chrono::{DateTime, Utc};
use common::idempotency::IdempotencyKey;
use serde::Serialize;
use sqlx::{FromRow, MySql, MySqlExecutor, QueryBuilder};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{ProductSpec, SearchText, Sort};

/// A product as stored, and as clients see it.
#[derive(Debug, Clone, FromRow, Serialize, ToSchema)]
pub(crate) struct Product {
    pub(crate) id: Uuid,
    pub(crate) sku: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) price_cents: i64,
    pub(crate) currency: String,
    pub(crate) stock: i64,
    pub(crate) category: String,
    /// Grows with every change; the `ETag`.
    pub(crate) version: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

pub(super) const COLUMNS: &str =
    "id, sku, name, description, price_cents, currency, stock, category, version, created_at, updated_at";

pub(crate) async fn insert(
    db: impl MySqlExecutor<'_>,
    id: Uuid,
    spec: &ProductSpec,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO products (id, sku, name, description, price_cents, currency, stock, category, version, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
    )
    .bind(id)
    .bind(&spec.sku)
    .bind(&spec.name)
    .bind(&spec.description)
    .bind(spec.price_cents)
    .bind(&spec.currency)
    .bind(spec.stock)
    .bind(&spec.category)
    .bind(now)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// A live (not deleted) product.
pub(crate) async fn find(db: impl MySqlExecutor<'_>, id: Uuid) -> Result<Option<Product>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM products WHERE id = ? AND deleted_at IS NULL"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// The same, locked until the transaction ends.
pub(crate) async fn lock(db: impl MySqlExecutor<'_>, id: Uuid) -> Result<Option<Product>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM products WHERE id = ? AND deleted_at IS NULL FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// These live products, in the order of `ids` (missing and deleted ones left out).
pub(crate) async fn in_order(db: impl MySqlExecutor<'_>, ids: &[Uuid]) -> Result<Vec<Product>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql =
        QueryBuilder::new(format!("SELECT {COLUMNS} FROM products WHERE deleted_at IS NULL AND id IN "));
    super::push_ids(&mut sql, ids);
    let mut found: std::collections::HashMap<Uuid, Product> =
        sql.build_query_as::<Product>().fetch_all(db).await?.into_iter().map(|p| (p.id, p)).collect();
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

/// Replaces every field and bumps the version; a unique violation means the SKU is taken.
pub(crate) async fn replace(
    db: impl MySqlExecutor<'_>,
    id: Uuid,
    spec: &ProductSpec,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE products SET sku = ?, name = ?, description = ?, price_cents = ?, currency = ?, stock = ?,
         category = ?, version = version + 1, updated_at = ? WHERE id = ?",
    )
    .bind(&spec.sku)
    .bind(&spec.name)
    .bind(&spec.description)
    .bind(spec.price_cents)
    .bind(&spec.currency)
    .bind(spec.stock)
    .bind(&spec.category)
    .bind(now)
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

pub(crate) async fn soft_delete(
    db: impl MySqlExecutor<'_>,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE products SET deleted_at = ?, version = version + 1, updated_at = ? WHERE id = ?")
        .bind(now)
        .bind(now)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Where a page starts: after this row in the chosen order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub(crate) enum After {
    /// Relevance has no stable key to seek on (scores are floats), so it pages by position.
    Offset {
        offset: u32,
    },
    Price {
        price_cents: i64,
        id: Uuid,
    },
    Id {
        id: Uuid,
    },
}

/// A search.
pub(crate) struct Search<'a> {
    pub(crate) text: Option<&'a SearchText>,
    pub(crate) category: Option<&'a str>,
    pub(crate) min_price_cents: Option<i64>,
    pub(crate) max_price_cents: Option<i64>,
    pub(crate) sort: Sort,
    pub(crate) after: Option<After>,
    pub(crate) limit: u32,
}

impl Search<'_> {
    /// Whether `product` passes the filters (not the words): what an index a moment behind the
    /// table found is checked again against the rows themselves.
    pub(crate) fn admits(&self, product: &Product) -> bool {
        self.category.is_none_or(|c| c == product.category)
            && self.min_price_cents.is_none_or(|min| product.price_cents >= min)
            && self.max_price_cents.is_none_or(|max| product.price_cents <= max)
    }
}

fn push_match(sql: &mut QueryBuilder<MySql>, text: &SearchText) {
    sql.push("MATCH(name, description) AGAINST (")
        .push_bind(text.as_str().to_owned())
        .push(" IN BOOLEAN MODE)");
}

/// Live products matching the search, in its order, from its position, `limit` of them.
pub(crate) async fn search(
    db: impl MySqlExecutor<'_>,
    search: Search<'_>,
) -> Result<Vec<Product>, sqlx::Error> {
    let mut sql = QueryBuilder::new(format!("SELECT {COLUMNS} FROM products WHERE deleted_at IS NULL"));
    if let Some(text) = search.text {
        sql.push(" AND ");
        push_match(&mut sql, text);
    }
    if let Some(category) = search.category {
        sql.push(" AND category = ").push_bind(category.to_owned());
    }
    if let Some(min) = search.min_price_cents {
        sql.push(" AND price_cents >= ").push_bind(min);
    }
    if let Some(max) = search.max_price_cents {
        sql.push(" AND price_cents <= ").push_bind(max);
    }
    let mut offset = 0;
    match search.after {
        Some(After::Price { price_cents, id }) => {
            let (cmp, tie) = if search.sort == Sort::PriceDesc { ("<", "<") } else { (">", ">") };
            sql.push(format_args!(" AND (price_cents {cmp} ")).push_bind(price_cents);
            sql.push(" OR (price_cents = ")
                .push_bind(price_cents)
                .push(format_args!(" AND id {tie} "))
                .push_bind(id)
                .push("))");
        }
        Some(After::Id { id }) => {
            sql.push(" AND id < ").push_bind(id);
        }
        Some(After::Offset { offset: skip }) => offset = skip,
        None => {}
    }
    match (search.sort, search.text) {
        (Sort::Relevance, Some(text)) => {
            // The product named exactly as asked first: InnoDB scores name and description as one
            // text, so a description repeating the words would otherwise outrank it.
            sql.push(" ORDER BY name = ").push_bind(text.phrase().to_owned()).push(" DESC, ");
            push_match(&mut sql, text);
            sql.push(" DESC, id ASC");
        }
        (Sort::PriceAsc, _) => {
            sql.push(" ORDER BY price_cents ASC, id ASC");
        }
        (Sort::PriceDesc, _) => {
            sql.push(" ORDER BY price_cents DESC, id DESC");
        }
        (Sort::Newest | Sort::Relevance, _) => {
            sql.push(" ORDER BY id DESC");
        }
    }
    sql.push(" LIMIT ").push_bind(search.limit).push(" OFFSET ").push_bind(offset);
    sql.build_query_as().fetch_all(db).await
}

/// Remembers that `principal` created `product` with `key` (fails with a unique violation if
/// the key was used before).
pub(crate) async fn remember_key(
    db: impl MySqlExecutor<'_>,
    principal: Uuid,
    key: &IdempotencyKey,
    fingerprint: &[u8; 32],
    product: Uuid,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO idempotency_keys (principal, idempotency_key, request_hash, resource_id, created_at)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(principal)
    .bind(key.as_str())
    .bind(&fingerprint[..])
    .bind(product)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// The product `principal` created with `key`, and the fingerprint of that request.
pub(crate) async fn find_by_key(
    db: impl MySqlExecutor<'_>,
    principal: Uuid,
    key: &IdempotencyKey,
) -> Result<Option<(Uuid, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT resource_id, request_hash FROM idempotency_keys WHERE principal = ? AND idempotency_key = ?",
    )
    .bind(principal)
    .bind(key.as_str())
    .fetch_optional(db)
    .await
}
