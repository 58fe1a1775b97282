//! An order as clients see it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{PaymentStatus, Status};

/// An order with its lines and the history of its status.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Order {
    pub(crate) id: Uuid,
    /// Who placed it.
    pub(crate) user_id: Uuid,
    pub(crate) status: Status,
    pub(crate) items: Vec<OrderItem>,
    /// The sum of the lines at their reserved prices; `null` until the order is confirmed.
    pub(crate) total_cents: Option<i64>,
    /// ISO 4217 code of every price; `null` until the order is confirmed.
    pub(crate) currency: Option<String>,
    /// Why the order was rejected: `unknown`, `deleted`, `short`, `currency_mismatch` (from its
    /// first failing line) or `timeout` (no answer about its stock in time).
    pub(crate) rejection_reason: Option<String>,
    /// `not_required` (the service takes no payments), `awaiting_payment`, `paid`, `failed`,
    /// `expired` or `refunded`.
    pub(crate) payment_status: PaymentStatus,
    /// How to pay, once the order is confirmed and needs paying; `null` otherwise.
    pub(crate) payment: Option<PaymentView>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    /// Every status the order has had, oldest first.
    pub(crate) history: Vec<StatusChange>,
}

/// An order's payment as its client sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct PaymentView {
    /// `stripe`.
    pub(crate) provider: String,
    /// The PaymentIntent; `null` for the moment until Stripe has created it.
    pub(crate) intent_id: Option<String>,
    /// What the client confirms the intent with (Stripe.js); shown to the order's owner only.
    pub(crate) client_secret: Option<String>,
    pub(crate) amount_cents: i64,
    pub(crate) currency: String,
    /// When the order is cancelled if still unpaid.
    pub(crate) expires_at: DateTime<Utc>,
}

impl Order {
    /// Whether the order is confirmed and must be paid, but Stripe has not made its intent yet:
    /// the client cannot pay it until then.
    pub(crate) fn awaits_its_intent(&self) -> bool {
        self.payment_status.is_open() && self.payment.as_ref().is_some_and(|p| p.intent_id.is_none())
    }

    /// The order as `viewer` may see it: the payment's client secret is its owner's alone.
    pub(crate) fn shown_to(mut self, viewer: Uuid) -> Self {
        if viewer != self.user_id
            && let Some(payment) = &mut self.payment
        {
            payment.client_secret = None;
        }
        self
    }
}

/// One line of an order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct OrderItem {
    pub(crate) product_id: Uuid,
    pub(crate) quantity: i64,
    /// The product's name when it was reserved; `null` until then.
    pub(crate) name: Option<String>,
    /// The price per unit when it was reserved (the price snapshot); `null` until then.
    pub(crate) unit_price_cents: Option<i64>,
    /// Why this line could not be reserved, when it could not.
    pub(crate) rejection: Option<LineRejection>,
}

/// Why a line could not be reserved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct LineRejection {
    /// `unknown`, `deleted`, `short` or `currency_mismatch`.
    pub(crate) reason: String,
    /// Units on hand when it was refused.
    pub(crate) available: i64,
}

/// One step of an order's life.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct StatusChange {
    /// `null` for the first step.
    pub(crate) from: Option<Status>,
    pub(crate) to: Status,
    pub(crate) reason: Option<String>,
    pub(crate) at: DateTime<Utc>,
}
