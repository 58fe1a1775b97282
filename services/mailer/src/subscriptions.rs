//! What the mailer consumes: the user events keep its directory, and `user.registered`, the
//! order events and the refund each become one mail.
//!
//! SendGrid has no idempotency key, so exactly-once rests on the sent-mail log, keyed by the
//! event: the mail is claimed (`sending`, committed) before the call and settled (`sent`,
//! `retryable`, `rejected`) after it. A redelivery finds the log and does not send again. One
//! window remains: if the process dies during the call, the row stays `sending` and nobody knows
//! whether SendGrid took the mail; the mailer then parks the message for an operator (who can
//! search SendGrid's activity by the `event_id` custom argument) rather than risk a second mail.
//! A timeout is retried, as SendGrid usually did not take a mail it did not answer for, but that
//! retry can duplicate a mail SendGrid accepted without answering in time.

use common::db::{Connection, Pool};
use events::{
    Envelope, OrderConfirmed, OrderPaid, OrderRefunded, OrderStatusChanged, UserDeleted, UserRegistered,
    UserUpdated,
};
use messaging::{HandlerError, Handles, Subscriptions};
use uuid::Uuid;

use crate::{
    directory::{self, Entry},
    mails::{self, Mail, Recipient},
    sendgrid::{MailClient, SendOutcome},
    store::{self, Claim},
};

/// What the mailer consumes.
pub(crate) fn all() -> Subscriptions<Mailer> {
    Subscriptions::new()
        .on::<UserRegistered>()
        .on::<UserUpdated>()
        .on::<UserDeleted>()
        .on::<OrderConfirmed>()
        .on::<OrderPaid>()
        .on::<OrderStatusChanged>()
        .on::<OrderRefunded>()
}

/// Sends each mail once, to the address the directory holds.
pub struct Mailer {
    pub(crate) pool: Pool,
    pub(crate) client: MailClient,
}

impl Handles<UserRegistered> for Mailer {
    async fn handle(
        &self,
        event: UserRegistered,
        envelope: &Envelope,
        tx: &mut Connection,
    ) -> Result<(), HandlerError> {
        directory::register(tx, event.user_id, &event.email, event.name.trim()).await?;
        self.send_once(envelope, mails::welcome::welcome(&event)).await
    }
}

impl Handles<UserUpdated> for Mailer {
    async fn handle(
        &self,
        event: UserUpdated,
        _: &Envelope,
        tx: &mut Connection,
    ) -> Result<(), HandlerError> {
        Ok(directory::change_email(tx, event.user_id, &event.email).await?)
    }
}

impl Handles<UserDeleted> for Mailer {
    async fn handle(
        &self,
        event: UserDeleted,
        _: &Envelope,
        tx: &mut Connection,
    ) -> Result<(), HandlerError> {
        Ok(directory::forget(tx, event.user_id).await?)
    }
}

impl Handles<OrderConfirmed> for Mailer {
    async fn handle(
        &self,
        event: OrderConfirmed,
        envelope: &Envelope,
        _: &mut Connection,
    ) -> Result<(), HandlerError> {
        // An order to be paid is confirmed to the customer once it is paid (`order.paid`).
        if event.payment_required {
            return Ok(());
        }
        let Some(to) = self.recipient(event.user_id).await? else { return Ok(()) };
        let mail = mails::confirmation::confirmation(
            &to,
            event.order_id,
            &event.items,
            event.total_cents,
            &event.currency,
        );
        self.send_once(envelope, mail).await
    }
}

impl Handles<OrderPaid> for Mailer {
    async fn handle(
        &self,
        event: OrderPaid,
        envelope: &Envelope,
        _: &mut Connection,
    ) -> Result<(), HandlerError> {
        let Some(to) = self.recipient(event.user_id).await? else { return Ok(()) };
        let mail = mails::confirmation::confirmation(
            &to,
            event.order_id,
            &event.items,
            event.amount_cents,
            &event.currency,
        );
        self.send_once(envelope, mail).await
    }
}

impl Handles<OrderStatusChanged> for Mailer {
    async fn handle(
        &self,
        event: OrderStatusChanged,
        envelope: &Envelope,
        _: &mut Connection,
    ) -> Result<(), HandlerError> {
        if event.to != "shipped" {
            return Ok(());
        }
        let Some(to) = self.recipient(event.user_id).await? else { return Ok(()) };
        self.send_once(envelope, mails::shipping::shipping(&to, event.order_id)).await
    }
}

impl Handles<OrderRefunded> for Mailer {
    async fn handle(
        &self,
        event: OrderRefunded,
        envelope: &Envelope,
        _: &mut Connection,
    ) -> Result<(), HandlerError> {
        let Some(to) = self.recipient(event.user_id).await? else { return Ok(()) };
        self.send_once(
            envelope,
            mails::refund::refund(&to, event.order_id, event.amount_cents, &event.currency),
        )
        .await
    }
}

impl Mailer {
    /// Where a mail to `user` goes; `None` for a deleted account. An account not heard of yet is
    /// retried: its `user.registered` may be a moment behind the order event.
    async fn recipient(&self, user: Uuid) -> Result<Option<Recipient>, HandlerError> {
        match directory::lookup(&self.pool, user).await? {
            Entry::Known(recipient) => Ok(Some(recipient)),
            Entry::Forgotten => {
                tracing::info!(%user, "no mail: the account was deleted");
                Ok(None)
            }
            Entry::Unknown => {
                Err(HandlerError::Retry { reason: format!("no address for user {user} yet"), after: None })
            }
        }
    }

    // The log lives on the pool, outside the runner's transaction: its records must survive a
    // rollback of that transaction, or a failed attempt would forget it had called SendGrid.
    async fn send_once(&self, envelope: &Envelope, mail: Mail) -> Result<(), HandlerError> {
        match store::claim(&self.pool, envelope.id, &mail.to_email).await? {
            Claim::Settled => return Ok(()),
            Claim::Unknown => {
                return Err(HandlerError::Reject(
                    "an earlier send was interrupted; SendGrid may or may not have the mail".into(),
                ));
            }
            Claim::Send => {}
        }
        match self.client.send(&mail, envelope.id).await {
            SendOutcome::Accepted { message_id } => {
                store::record(&self.pool, envelope.id, "sent", message_id.as_deref(), None).await?;
                tracing::info!(event = %envelope.id, kind = %envelope.kind, provider_message_id = ?message_id, "mail sent");
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
