//! The SQL of the order service's copy of the catalogue.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, MySqlExecutor};
use uuid::Uuid;

/// A product as the order service knows it.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct Listed {
    pub(crate) product_id: Uuid,
    pub(crate) name: String,
    pub(crate) price_cents: i64,
    pub(crate) currency: String,
    pub(crate) stock_hint: i64,
    pub(crate) sold: bool,
}

/// A product's state in one event.
pub(crate) struct Listing<'a> {
    pub(crate) product_id: Uuid,
    pub(crate) name: &'a str,
    pub(crate) price_cents: i64,
    pub(crate) currency: &'a str,
    pub(crate) stock: i64,
    pub(crate) version: i64,
}

/// Records each of `listings` unless its row already holds that version or a later one, or the product
/// was deleted. Every column is guarded by the version read before this statement changes it:
/// MySQL assigns left to right, so `version` comes last.
pub(crate) async fn upsert(
    db: impl MySqlExecutor<'_>,
    listings: &[Listing<'_>],
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if listings.is_empty() {
        return Ok(());
    }
    let mut query = sqlx::QueryBuilder::new(
        "INSERT INTO catalogue (product_id, name, price_cents, currency, stock_hint, sold, version, updated_at) ",
    );
    query.push_values(listings, |mut row, listing| {
        row.push_bind(listing.product_id)
            .push_bind(listing.name)
            .push_bind(listing.price_cents)
            .push_bind(listing.currency)
            .push_bind(listing.stock)
            .push("TRUE")
            .push_bind(listing.version)
            .push_bind(at);
    });
    query.push(
        " ON DUPLICATE KEY UPDATE
           name = IF(sold AND VALUES(version) > version, VALUES(name), name),
           price_cents = IF(sold AND VALUES(version) > version, VALUES(price_cents), price_cents),
           currency = IF(sold AND VALUES(version) > version, VALUES(currency), currency),
           stock_hint = IF(sold AND VALUES(version) > version, VALUES(stock_hint), stock_hint),
           updated_at = IF(sold AND VALUES(version) > version, VALUES(updated_at), updated_at),
           version = IF(sold AND VALUES(version) > version, VALUES(version), version)",
    );
    query.build().execute(db).await?;
    Ok(())
}

/// Marks a product no longer sold, for good; a deletion that arrives before its creation leaves
/// a tombstone the creation cannot revive.
pub(crate) async fn withdraw(
    db: impl MySqlExecutor<'_>,
    product_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO catalogue (product_id, name, price_cents, currency, stock_hint, sold, version, updated_at)
         VALUES (?, '', 0, 'USD', 0, FALSE, 0, ?)
         ON DUPLICATE KEY UPDATE sold = FALSE, updated_at = VALUES(updated_at)",
    )
    .bind(product_id)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}

/// The products among `ids` the copy knows (sold or not).
pub(crate) async fn find_many(db: impl MySqlExecutor<'_>, ids: &[Uuid]) -> Result<Vec<Listed>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = sqlx::QueryBuilder::new(
        "SELECT product_id, name, price_cents, currency, stock_hint, sold FROM catalogue WHERE product_id IN (",
    );
    let mut list = query.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    query.push(")");
    query.build_query_as().fetch_all(db).await
}

/// One product, if the copy knows it.
pub(crate) async fn find(db: impl MySqlExecutor<'_>, id: Uuid) -> Result<Option<Listed>, sqlx::Error> {
    sqlx::query_as(
        "SELECT product_id, name, price_cents, currency, stock_hint, sold FROM catalogue WHERE product_id = ?",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}
