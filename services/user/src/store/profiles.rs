use chrono::{DateTime, Utc};
use sqlx::{FromRow, MySqlExecutor, QueryBuilder};
use uuid::Uuid;

/// A profile as stored: personal data sealed.
#[derive(Debug, Clone, FromRow)]
pub(crate) struct ProfileRow {
    pub(crate) id: Uuid,
    pub(crate) email: String,
    pub(crate) name: String,
    pub(crate) role: String,
    pub(crate) phone_encrypted: Option<Vec<u8>>,
    pub(crate) address_encrypted: Option<Vec<u8>>,
    pub(crate) pii_key_id: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, email, name, role, phone_encrypted, address_encrypted, pii_key_id, created_at, updated_at";

/// Creates the profile of a new account; nothing happens if it exists (a replayed event).
pub(crate) async fn create(db: impl MySqlExecutor<'_>, row: &ProfileRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO profiles (id, email, name, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE id = id",
    )
    .bind(row.id)
    .bind(&row.email)
    .bind(&row.name)
    .bind(&row.role)
    .bind(row.created_at)
    .bind(row.updated_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The profile, unless missing or deleted.
pub(crate) async fn find(db: impl MySqlExecutor<'_>, id: Uuid) -> Result<Option<ProfileRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM profiles WHERE id = ? AND deleted_at IS NULL"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// The same, locked until the transaction ends.
pub(crate) async fn lock(db: impl MySqlExecutor<'_>, id: Uuid) -> Result<Option<ProfileRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM profiles WHERE id = ? AND deleted_at IS NULL FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Writes every changeable column; a unique violation means the email is taken.
pub(crate) async fn update(db: impl MySqlExecutor<'_>, row: &ProfileRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE profiles SET email = ?, name = ?, role = ?, phone_encrypted = ?, address_encrypted = ?,
         pii_key_id = ?, updated_at = ? WHERE id = ?",
    )
    .bind(&row.email)
    .bind(&row.name)
    .bind(&row.role)
    .bind(&row.phone_encrypted)
    .bind(&row.address_encrypted)
    .bind(&row.pii_key_id)
    .bind(row.updated_at)
    .bind(row.id)
    .execute(db)
    .await?;
    Ok(())
}

/// Puts back the email and role auth kept, if the profile still has the email auth refused;
/// `true` if it did.
pub(crate) async fn restore_identity(
    db: impl MySqlExecutor<'_>,
    id: Uuid,
    refused_email: &str,
    email: &str,
    role: common::rbac::Role,
) -> Result<bool, sqlx::Error> {
    let result =
        sqlx::query("UPDATE profiles SET email = ?, role = ?, updated_at = ? WHERE id = ? AND email = ?")
            .bind(email)
            .bind(role.as_str())
            .bind(chrono::Utc::now())
            .bind(id)
            .bind(refused_email)
            .execute(db)
            .await?;
    Ok(result.rows_affected() == 1)
}

pub(crate) async fn soft_delete(
    db: impl MySqlExecutor<'_>,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE profiles SET deleted_at = ?, updated_at = ? WHERE id = ?")
        .bind(at)
        .bind(at)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// What a page of the list asks for.
pub(crate) struct ListQuery<'a> {
    pub(crate) after: Option<Uuid>,
    pub(crate) limit: u32,
    pub(crate) email_prefix: Option<&'a str>,
    pub(crate) name_prefix: Option<&'a str>,
}

/// Live profiles in id order (UUIDv7: creation order), after the cursor, `limit` of them.
pub(crate) async fn list(
    db: impl MySqlExecutor<'_>,
    query: ListQuery<'_>,
) -> Result<Vec<ProfileRow>, sqlx::Error> {
    let mut sql = QueryBuilder::new(format!("SELECT {COLUMNS} FROM profiles WHERE deleted_at IS NULL"));
    if let Some(after) = query.after {
        sql.push(" AND id > ").push_bind(after);
    }
    if let Some(prefix) = query.email_prefix {
        sql.push(" AND email LIKE ").push_bind(like_prefix(prefix));
    }
    if let Some(prefix) = query.name_prefix {
        sql.push(" AND name LIKE ").push_bind(like_prefix(prefix));
    }
    sql.push(" ORDER BY id LIMIT ").push_bind(query.limit);
    sql.build_query_as().fetch_all(db).await
}

/// `prefix%` with LIKE's own wildcards in the prefix escaped, so they match themselves.
fn like_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::like_prefix;

    #[test]
    fn wildcards_in_a_prefix_match_only_themselves() {
        assert_eq!(like_prefix("a_b%c\\"), "a\\_b\\%c\\\\%");
    }
}
