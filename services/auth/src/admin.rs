//! The administrator from `SHOPPER_ADMIN_EMAIL`/`SHOPPER_ADMIN_PASSWORD`: created when missing,
//! promoted when it exists with another role, left alone otherwise. Safe to run at every start.

use chrono::Utc;
use common::{db::is_unique_violation, rbac::Role};
use uuid::Uuid;

use crate::{
    config::AdminAccount,
    state::AppState,
    store::accounts::{self, NewAccount},
};

pub(crate) async fn ensure(state: &AppState, admin: AdminAccount) -> anyhow::Result<()> {
    let email = admin.email.as_str();
    if let Some(existing) = accounts::find_by_email(&state.pool, email).await? {
        if existing.role != Role::Admin {
            accounts::set_role(&state.pool, existing.id, Role::Admin).await?;
            tracing::info!(account = %existing.id, "promoted the configured administrator");
        }
        return Ok(());
    }
    let hash = state
        .passwords
        .hash(admin.password.into_secret())
        .await
        .map_err(|e| anyhow::anyhow!("cannot hash the administrator's password: {e}"))?;
    let id = Uuid::now_v7();
    let account = NewAccount {
        id,
        email,
        password_hash: &hash,
        role: Role::Admin,
        created_at: Utc::now(),
    };
    match accounts::insert(&state.pool, account).await {
        Ok(()) => tracing::info!(account = %id, "created the configured administrator"),
        // Another instance created it a moment ago.
        Err(e) if is_unique_violation(&e) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
