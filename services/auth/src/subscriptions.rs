//! What the user service tells auth: `user.updated` (new email or role: the next token carries
//! them; an email another account holds is refused with `user.update_rejected`) and
//! `user.deleted` (the account is disabled and its sessions revoked, so login and refresh answer
//! 401).

use chrono::Utc;
use common::db::Connection;
use common::{db::UniqueWrite, rbac::Role};
use events::{Envelope, UserDeleted, UserUpdateRejected, UserUpdated};
use identity::Email;
use messaging::{HandlerError, Handles, Outbox, Subscriptions};

use crate::store::{accounts, refresh_tokens};

/// What auth consumes.
pub(crate) fn all() -> Subscriptions<AccountChanges> {
    Subscriptions::new().on::<UserUpdated>().on::<UserDeleted>()
}

/// Applies the user service's account changes to the accounts.
pub struct AccountChanges;

impl Handles<UserUpdated> for AccountChanges {
    async fn handle(
        &self,
        event: UserUpdated,
        _: &Envelope,
        tx: &mut Connection,
    ) -> Result<(), HandlerError> {
        let email = Email::parse(&event.email).map_err(|e| HandlerError::Reject(format!("email {e}")))?;
        let role: Role = event.role.parse().map_err(HandlerError::Reject)?;
        match accounts::update_identity(&mut *tx, event.user_id, email.as_str(), role).await.unless_taken()? {
            Some(()) => Ok(()),
            // The user service checks emails against its profiles, so only an email registered
            // here and not yet profiled there collides. Auth keeps its values and says so; the
            // user service restores them.
            None => reject_update(tx, event).await,
        }
    }
}

impl Handles<UserDeleted> for AccountChanges {
    async fn handle(
        &self,
        event: UserDeleted,
        _: &Envelope,
        tx: &mut Connection,
    ) -> Result<(), HandlerError> {
        accounts::disable(&mut *tx, event.user_id).await?;
        refresh_tokens::revoke_account(&mut *tx, event.user_id, Utc::now()).await?;
        tracing::info!(account = %event.user_id, "account disabled after deletion");
        Ok(())
    }
}

async fn reject_update(tx: &mut Connection, event: UserUpdated) -> Result<(), HandlerError> {
    let account = accounts::find_by_id(&mut *tx, event.user_id)
        .await?
        .ok_or_else(|| HandlerError::Reject(format!("no account {}", event.user_id)))?;
    tracing::warn!(account = %event.user_id, "email change refused: the email belongs to another account");
    let rejection = UserUpdateRejected {
        user_id: event.user_id,
        rejected_email: event.email,
        email: account.email,
        role: account.role.to_string(),
    };
    Outbox::stage(tx, &rejection).await?;
    Ok(())
}
