use anyhow::anyhow;
use chrono::{DateTime, Utc};
use common::rbac::Role;
use sqlx::{FromRow, MySqlExecutor};
use uuid::Uuid;

/// Whether an account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Active,
    Disabled,
}

#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub(crate) id: Uuid,
    pub(crate) email: String,
    pub(crate) password_hash: String,
    pub(crate) role: Role,
    pub(crate) status: Status,
    pub(crate) created_at: DateTime<Utc>,
}

#[derive(FromRow)]
struct Row {
    id: Uuid,
    email: String,
    password_hash: String,
    role: String,
    status: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<Row> for Account {
    type Error = anyhow::Error;
    fn try_from(row: Row) -> anyhow::Result<Self> {
        Ok(Self {
            id: row.id,
            email: row.email,
            password_hash: row.password_hash,
            role: row.role.parse().map_err(|e: String| anyhow!(e))?,
            status: match row.status.as_str() {
                "active" => Status::Active,
                "disabled" => Status::Disabled,
                other => return Err(anyhow!("unknown account status `{other}`")),
            },
            created_at: row.created_at,
        })
    }
}

const COLUMNS: &str = "id, email, password_hash, role, status, created_at";

pub(crate) struct NewAccount<'a> {
    pub(crate) id: Uuid,
    pub(crate) email: &'a str,
    pub(crate) password_hash: &'a str,
    pub(crate) role: Role,
    pub(crate) created_at: DateTime<Utc>,
}

/// Fails with a unique violation when the email is taken.
pub(crate) async fn insert(db: impl MySqlExecutor<'_>, account: NewAccount<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO accounts (id, email, password_hash, role, status, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'active', ?, ?)",
    )
    .bind(account.id)
    .bind(account.email)
    .bind(account.password_hash)
    .bind(account.role.as_str())
    .bind(account.created_at)
    .bind(account.created_at)
    .execute(db)
    .await?;
    Ok(())
}

pub(crate) async fn find_by_email(
    db: impl MySqlExecutor<'_>,
    email: &str,
) -> anyhow::Result<Option<Account>> {
    let row: Option<Row> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM accounts WHERE email = ?")))
            .bind(email)
            .fetch_optional(db)
            .await?;
    row.map(Account::try_from).transpose()
}

pub(crate) async fn find_by_id(db: impl MySqlExecutor<'_>, id: Uuid) -> anyhow::Result<Option<Account>> {
    let row: Option<Row> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM accounts WHERE id = ?")))
            .bind(id)
            .fetch_optional(db)
            .await?;
    row.map(Account::try_from).transpose()
}

pub(crate) async fn set_role(db: impl MySqlExecutor<'_>, id: Uuid, role: Role) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET role = ?, updated_at = ? WHERE id = ?")
        .bind(role.as_str())
        .bind(Utc::now())
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Takes the email and role the user service decided; a unique violation means the email is taken.
pub(crate) async fn update_identity(
    db: impl MySqlExecutor<'_>,
    id: Uuid,
    email: &str,
    role: Role,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET email = ?, role = ?, updated_at = ? WHERE id = ?")
        .bind(email)
        .bind(role.as_str())
        .bind(Utc::now())
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// The account can no longer sign in.
pub(crate) async fn disable(db: impl MySqlExecutor<'_>, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE accounts SET status = 'disabled', updated_at = ? WHERE id = ?")
        .bind(Utc::now())
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
