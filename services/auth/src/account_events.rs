//! What the user service tells auth: `user.updated` (new email or role: the next token carries
//! them; an email another account holds is refused with `user.update_rejected`) and
//! `user.deleted` (the account is disabled and its sessions revoked, so login and refresh answer
//! 401).

use chrono::Utc;
use common::{db::is_unique_violation, rbac::Role};
use events::{Envelope, Event, UserDeleted, UserUpdateRejected, UserUpdated};
use identity::Email;
use messaging::{Handler, HandlerError, HandlerFuture, Outbox};
use sqlx::MySqlConnection;

use crate::store::{accounts, refresh_tokens};

pub(crate) struct AccountChanges;

impl Handler for AccountChanges {
    fn event_types(&self) -> Vec<&'static str> {
        vec![UserUpdated::TYPE, UserDeleted::TYPE]
    }

    fn handle<'a>(&'a self, envelope: &'a Envelope, tx: &'a mut MySqlConnection) -> HandlerFuture<'a> {
        Box::pin(async move {
            match envelope.kind.as_str() {
                UserUpdated::TYPE => {
                    let event: UserUpdated = envelope.decode()?;
                    let email =
                        Email::parse(&event.email).map_err(|e| HandlerError::Reject(format!("email {e}")))?;
                    let role: Role = event.role.parse().map_err(HandlerError::Reject)?;
                    match accounts::update_identity(&mut *tx, event.user_id, email.as_str(), role).await {
                        Ok(()) => Ok(()),
                        // The user service checks emails against its profiles, so only an email
                        // registered here and not yet profiled there collides. Auth keeps its
                        // values and says so; the user service restores them.
                        Err(e) if is_unique_violation(&e) => reject_update(tx, event).await,
                        Err(e) => Err(e.into()),
                    }
                }
                UserDeleted::TYPE => {
                    let event: UserDeleted = envelope.decode()?;
                    accounts::disable(&mut *tx, event.user_id).await?;
                    refresh_tokens::revoke_account(&mut *tx, event.user_id, Utc::now()).await?;
                    tracing::info!(account = %event.user_id, "account disabled after deletion");
                    Ok(())
                }
                other => Err(HandlerError::Reject(format!("auth does not handle {other}"))),
            }
        })
    }
}

async fn reject_update(tx: &mut MySqlConnection, event: UserUpdated) -> Result<(), HandlerError> {
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
