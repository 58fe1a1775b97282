//! What auth tells the user service: `user.registered` creates the profile (idempotent: the inbox
//! catches redeliveries, and a profile that exists already is left as it is);
//! `user.update_rejected` restores the email and role auth kept when it refused a change.

use chrono::Utc;
use common::db::Connection;
use common::{db::UniqueWrite, rbac::Role};
use events::{Envelope, UserRegistered, UserUpdateRejected};
use messaging::{HandlerError, Handles, Subscriptions};

use crate::store::profiles::{self, ProfileRow};

/// What the user service consumes.
pub(crate) fn all() -> Subscriptions<AccountEvents> {
    Subscriptions::new().on::<UserRegistered>().on::<UserUpdateRejected>()
}

/// Applies auth's account events to the profiles.
pub struct AccountEvents;

impl Handles<UserRegistered> for AccountEvents {
    async fn handle(
        &self,
        event: UserRegistered,
        _: &Envelope,
        tx: &mut Connection,
    ) -> Result<(), HandlerError> {
        create_profile(event, tx).await
    }
}

impl Handles<UserUpdateRejected> for AccountEvents {
    async fn handle(
        &self,
        event: UserUpdateRejected,
        _: &Envelope,
        tx: &mut Connection,
    ) -> Result<(), HandlerError> {
        restore_identity(event, tx).await
    }
}

async fn create_profile(event: UserRegistered, tx: &mut Connection) -> Result<(), HandlerError> {
    let role: Role = event.role.parse().map_err(HandlerError::Reject)?;
    let now = Utc::now();
    let row = ProfileRow {
        id: event.user_id,
        email: event.email,
        name: event.name,
        role: role.to_string(),
        phone_encrypted: None,
        address_encrypted: None,
        pii_key_id: None,
        created_at: now,
        updated_at: now,
    };
    match profiles::create(&mut *tx, &row).await.unless_taken()? {
        Some(_) => Ok(()),
        // Another profile holds this email: an email change raced this registration. Auth
        // refuses that change and `user.update_rejected` frees the email; retry until then.
        None => Err(HandlerError::Retry {
            reason: format!("another profile holds the email of {}", row.id),
            after: None,
        }),
    }
}

async fn restore_identity(event: UserUpdateRejected, tx: &mut Connection) -> Result<(), HandlerError> {
    let role: Role = event.role.parse().map_err(HandlerError::Reject)?;
    // Only undo the refused change itself: a later change of the same profile stands.
    let restored =
        profiles::restore_identity(&mut *tx, event.user_id, &event.rejected_email, &event.email, role)
            .await?;
    if restored {
        tracing::warn!(user = %event.user_id, "email change undone: auth refused it");
    }
    Ok(())
}
