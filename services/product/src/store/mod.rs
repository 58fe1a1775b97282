//! The product schema's queries; parameters are always bound.

pub(crate) mod imports;
pub(crate) mod indexing;
pub(crate) mod products;
pub(crate) mod reservations;

use sqlx::{MySql, QueryBuilder};
use uuid::Uuid;

/// Appends `(?, ?, …)`, one bound id each: the list of an `IN`.
fn push_ids(sql: &mut QueryBuilder<MySql>, ids: &[Uuid]) {
    sql.push("(");
    let mut list = sql.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    sql.push(")");
}
