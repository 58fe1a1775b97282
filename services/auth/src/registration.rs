//! Creating an account: the row and its `user.registered` event commit together, so the user
//! service and the mailer learn of every account and of no account that does not exist.

use chrono::{DateTime, Utc};
use common::{db::UniqueWrite, rbac::Role};
use events::UserRegistered;
use messaging::Outbox;
use uuid::Uuid;

use crate::{
    domain::Email,
    error::AuthError,
    state::AppState,
    store::accounts::{self, NewAccount},
};

pub(crate) struct CreatedAccount {
    pub(crate) id: Uuid,
    pub(crate) created_at: DateTime<Utc>,
}

/// Stores the account and stages `user.registered`; `EmailTaken` if the email is in use.
pub(crate) async fn create_account(
    state: &AppState,
    email: &Email,
    name: &str,
    password_hash: &str,
    role: Role,
) -> Result<CreatedAccount, AuthError> {
    let id = Uuid::now_v7();
    let created_at = Utc::now();
    let mut tx = state.pool.begin().await.map_err(anyhow::Error::from)?;
    let account = NewAccount { id, email: email.as_str(), password_hash, role, created_at };
    accounts::insert(&mut *tx, account)
        .await
        .unless_taken()
        .map_err(|e| AuthError::Internal(e.into()))?
        .ok_or(AuthError::EmailTaken)?;
    let event = UserRegistered {
        user_id: id,
        email: email.to_string(),
        name: name.to_owned(),
        role: role.to_string(),
    };
    Outbox::stage(&mut tx, &event).await?;
    state.outbox.commit(tx).await.map_err(anyhow::Error::from)?;
    Ok(CreatedAccount { id, created_at })
}
