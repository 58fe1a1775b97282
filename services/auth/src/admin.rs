//! The administrator from `SHOPPER_ADMIN_EMAIL`/`SHOPPER_ADMIN_PASSWORD`: created when missing,
//! promoted when it exists with another role, left alone otherwise. Safe to run at every start.

use common::rbac::Role;

use crate::{config::AdminAccount, error::AuthError, registration, state::AppState, store::accounts};

/// The display name the administrator's profile starts with.
const ADMIN_NAME: &str = "Administrator";

pub(crate) async fn ensure(state: &AppState, admin: AdminAccount) -> anyhow::Result<()> {
    if let Some(existing) = accounts::find_by_email(&state.pool, admin.email.as_str()).await? {
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
    match registration::create_account(state, &admin.email, ADMIN_NAME, &hash, Role::Admin).await {
        Ok(account) => tracing::info!(account = %account.id, "created the configured administrator"),
        // Another instance created it a moment ago.
        Err(AuthError::EmailTaken) => {}
        Err(e) => return Err(anyhow::anyhow!("cannot create the administrator: {e}")),
    }
    Ok(())
}
