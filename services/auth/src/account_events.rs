//! What the user service tells auth: `user.updated` (new email or role: the next token carries
//! them) and `user.deleted` (the account is disabled and its sessions revoked, so login and
//! refresh answer 401).

use chrono::Utc;
use common::{db::is_unique_violation, rbac::Role};
use events::{Envelope, Event, UserDeleted, UserUpdated};
use identity::Email;
use messaging::{Handler, HandlerError, HandlerFuture};
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
                    accounts::update_identity(&mut *tx, event.user_id, email.as_str(), role).await.map_err(
                        |e| {
                            if is_unique_violation(&e) {
                                // The user service checks emails against its profiles; only an email
                                // registered here but not yet profiled there can collide. Park it.
                                HandlerError::Reject(format!(
                                    "email of {} is taken by another account",
                                    event.user_id
                                ))
                            } else {
                                e.into()
                            }
                        },
                    )?;
                    Ok(())
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
