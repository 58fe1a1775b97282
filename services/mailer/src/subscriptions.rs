//! `user.registered` -> one welcome mail.
//!
//! SendGrid has no idempotency key, so exactly-once rests on the sent-mail log: the mail is
//! claimed (`sending`, committed) before the call and settled (`sent`, `retryable`, `rejected`)
//! after it. A redelivery finds the log and does not send again. One window remains: if the
//! process dies during the call, the row stays `sending` and nobody knows whether SendGrid took
//! the mail; the mailer then parks the message for an operator (who can search SendGrid's
//! activity by the `event_id` custom argument) rather than risk a second mail. A timeout is
//! retried, as SendGrid usually did not take a mail it did not answer for, but that retry can
//! duplicate a mail SendGrid accepted without answering in time.

use events::{Envelope, UserRegistered};
use messaging::{HandlerError, Handles, Subscriptions};
use sqlx::{MySqlConnection, MySqlPool};

use crate::{
    sendgrid::{MailClient, SendOutcome},
    store::{self, Claim},
    welcome,
};

/// What the mailer consumes.
pub(crate) fn all() -> Subscriptions<WelcomeMails> {
    Subscriptions::new().on::<UserRegistered>()
}

/// Sends each new account its welcome mail, once.
pub struct WelcomeMails {
    pub(crate) pool: MySqlPool,
    pub(crate) client: MailClient,
}

impl Handles<UserRegistered> for WelcomeMails {
    // The log lives on the pool, outside the runner's transaction: its records must survive a
    // rollback of that transaction, or a failed attempt would forget it had called SendGrid.
    async fn handle(
        &self,
        event: UserRegistered,
        envelope: &Envelope,
        _: &mut MySqlConnection,
    ) -> Result<(), HandlerError> {
        match store::claim(&self.pool, envelope.id, &event.email).await? {
            Claim::Settled => return Ok(()),
            Claim::Unknown => {
                return Err(HandlerError::Reject(
                    "an earlier send was interrupted; SendGrid may or may not have the mail".into(),
                ));
            }
            Claim::Send => {}
        }
        let mail = welcome::welcome(&event);
        match self.client.send(&mail, envelope.id).await {
            SendOutcome::Accepted { message_id } => {
                store::record(&self.pool, envelope.id, "sent", message_id.as_deref(), None).await?;
                tracing::info!(user = %event.user_id, provider_message_id = ?message_id, "welcome mail sent");
                Ok(())
            }
            SendOutcome::Transient { reason, retry_after } => {
                store::record(&self.pool, envelope.id, "retryable", None, Some(&reason)).await?;
                Err(HandlerError::Retry { reason, after: retry_after })
            }
            SendOutcome::Rejected { reason } => {
                store::record(&self.pool, envelope.id, "rejected", None, Some(&reason)).await?;
                Err(HandlerError::Reject(reason))
            }
        }
    }
}
