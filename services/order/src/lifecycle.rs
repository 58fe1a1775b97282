//! Every status change goes through here: checked against the state machine, recorded in the
//! history, and announced in the same transaction.

use chrono::Utc;
use common::db::Connection;
use events::{OrderCancelled, OrderStatusChanged};
use messaging::Outbox;
use uuid::Uuid;

use crate::{
    domain::{Actor, PaymentStatus, Refusal, Status},
    store::{
        orders::{self, Head},
        payments::{self, Action},
    },
};

/// The rejection reason of an order whose stock was not answered for in time.
pub(crate) const TIMED_OUT: &str = "timeout";

/// A change someone asks for.
pub(crate) struct Change<'a> {
    pub(crate) to: Status,
    pub(crate) actor: Actor,
    /// The user asking; `None` for the saga.
    pub(crate) by: Option<Uuid>,
    pub(crate) reason: Option<&'a str>,
}

/// Why a change did not happen.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ChangeError {
    #[error("refused: {0:?}")]
    Refused(Refusal),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl From<sqlx::Error> for ChangeError {
    fn from(error: sqlx::Error) -> Self {
        ChangeError::Failed(error.into())
    }
}

/// Moves `order` (locked by the caller's transaction) as `change` asks, or refuses.
///
/// Stages `order.status_changed`, and `order.cancelled` whenever the order leaves with stock that
/// may be held for it: a cancellation, or a timeout while the reservation may still be coming.
/// The product service releases what it holds for the order once, and reserves nothing for an
/// order cancelled before its `order.created` arrives.
pub(crate) async fn apply(
    tx: &mut Connection,
    order: &Head,
    change: Change<'_>,
) -> Result<Status, ChangeError> {
    order.status.change(change.to, change.actor).map_err(ChangeError::Refused)?;
    if change.to == Status::Shipped && !order.payment_status.allows_shipping() {
        return Err(ChangeError::Refused(Refusal::Unpaid));
    }
    let now = Utc::now();
    orders::set_status(tx, order, change.to, change.reason, change.by, now).await?;
    Outbox::stage(
        tx,
        &OrderStatusChanged {
            order_id: order.id,
            user_id: order.user_id,
            from: order.status.to_string(),
            to: change.to.to_string(),
            changed_at: now,
        },
    )
    .await?;
    let may_hold_stock =
        change.to == Status::Cancelled || (change.to == Status::Rejected && change.reason == Some(TIMED_OUT));
    if may_hold_stock {
        Outbox::stage(tx, &OrderCancelled { order_id: order.id, user_id: order.user_id }).await?;
    }
    if change.to == Status::Cancelled {
        // Money taken goes back; an intent still open is closed, so nobody pays for it later, and
        // the order says no payment can be made any more. A payment that reaches Stripe before
        // the intent's cancellation does is refunded when its webhook comes.
        match order.payment_status {
            PaymentStatus::Paid => payments::schedule(tx, order.id, Action::Refund, now).await?,
            status if status.is_open() => {
                payments::schedule(tx, order.id, Action::CancelIntent, now).await?;
                payments::set_status(tx, order.id, PaymentStatus::Expired).await?;
            }
            _ => {}
        }
    }
    tracing::info!(order = %order.id, from = %order.status, to = %change.to, "order status changed");
    Ok(change.to)
}
