//! Changing and deleting a profile: each change commits with the event auth must hear of (a new
//! email or role, a deletion), so auth's copy never drifts from the profile.

use chrono::Utc;
use common::{AppError, db::UniqueWrite};
use events::{UserDeleted, UserUpdated};
use messaging::Outbox;
use uuid::Uuid;

use crate::{profile::Profile, state::AppState, store::profiles};

/// Applies `change` to profile `id` under its row lock; 409 if the new email is another user's.
pub(crate) async fn change(
    state: &AppState,
    id: Uuid,
    change: impl FnOnce(&mut Profile),
) -> Result<Profile, AppError> {
    let mut tx = state.pool.begin().await?;
    let row = profiles::lock(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    let mut profile = Profile::from_row(row, &state.keys)?;
    let (old_email, old_role) = (profile.email.clone(), profile.role);
    change(&mut profile);
    profile.updated_at = Utc::now();
    profiles::update(&mut *tx, &profile.to_row(&state.keys)?)
        .await
        .unless_taken()?
        .ok_or_else(|| AppError::Conflict("another user has this email".into()))?;
    // Auth keeps its own copy of these two: tell it, in the same transaction.
    if profile.email != old_email || profile.role != old_role {
        let event = UserUpdated { user_id: id, email: profile.email.clone(), role: profile.role.to_string() };
        Outbox::stage(&mut tx, &event).await?;
    }
    state.outbox.commit(tx).await?;
    Ok(profile)
}

/// Deletes profile `id` (soft): 404 for everyone from then on, and auth disables the account.
pub(crate) async fn delete(state: &AppState, id: Uuid) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    profiles::lock(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    profiles::soft_delete(&mut *tx, id, Utc::now()).await?;
    Outbox::stage(&mut tx, &UserDeleted { user_id: id }).await?;
    state.outbox.commit(tx).await?;
    Ok(())
}
