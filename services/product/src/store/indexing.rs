//! What the search index reads of the catalogue (every live product once, then the changes), and
//! the change feed the read cache follows too.

use chrono::{DateTime, Utc};
use futures_util::Stream;
use sqlx::{FromRow, MySqlExecutor, QueryBuilder};
use uuid::Uuid;

/// The fields a product is found by, and its version.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct Indexable {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) category: String,
    pub(crate) price_cents: i64,
    pub(crate) version: i64,
    /// False once deleted: the index drops it.
    pub(crate) live: bool,
}

const INDEXABLE: &str =
    "SELECT id, name, description, category, price_cents, version, deleted_at IS NULL AS live FROM products";

/// One change: a product whose `updated_at` moved to `at`, now at `version`.
#[derive(Debug, Clone, Copy, FromRow)]
pub(crate) struct Change {
    pub(crate) id: Uuid,
    pub(crate) version: i64,
    #[sqlx(rename = "updated_at")]
    pub(crate) at: DateTime<Utc>,
}

/// Every live product, streamed in primary-key order.
pub(crate) fn all_live<'a>(
    db: impl MySqlExecutor<'a> + 'a,
) -> impl Stream<Item = Result<Indexable, sqlx::Error>> + 'a {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{INDEXABLE} WHERE deleted_at IS NULL"))).fetch(db)
}

/// The next `limit` changes after `after` (a change's time and id), in that order
/// (`ix_products_updated`, whose entries end with the primary key).
pub(crate) async fn changes_after(
    db: impl MySqlExecutor<'_>,
    after: (DateTime<Utc>, Uuid),
    limit: u32,
) -> Result<Vec<Change>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, version, updated_at FROM products
         WHERE updated_at > ? OR (updated_at = ? AND id > ?)
         ORDER BY updated_at, id LIMIT ?",
    )
    .bind(after.0)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// These products as they are now, deleted ones included.
pub(crate) async fn current(db: impl MySqlExecutor<'_>, ids: &[Uuid]) -> Result<Vec<Indexable>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = QueryBuilder::new(format!("{INDEXABLE} WHERE id IN "));
    super::push_ids(&mut sql, ids);
    sql.build_query_as().fetch_all(db).await
}
