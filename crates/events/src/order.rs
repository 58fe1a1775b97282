//! The order saga's events: order asks, product answers, order follows up.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Event;

/// One line of an order as the customer asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The product asked for.
    pub product_id: Uuid,
    /// How many units.
    pub quantity: i64,
}

/// An order was placed and waits for its stock (`pending`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCreated {
    /// The order id.
    pub order_id: Uuid,
    /// Who placed it.
    pub user_id: Uuid,
    /// What to reserve, all or nothing.
    pub items: Vec<OrderLine>,
}

impl Event for OrderCreated {
    const TYPE: &'static str = "order.created";
    const VERSION: u16 = 1;
    const PRODUCER: &'static str = "order";
    const CONSUMERS: &'static [&'static str] = &["product"];
    fn example() -> Self {
        Self {
            order_id: Uuid::nil(),
            user_id: Uuid::nil(),
            items: vec![OrderLine { product_id: Uuid::nil(), quantity: 2 }],
        }
    }
}

/// One reserved line, priced by the product service, whose prices are authoritative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservedLine {
    /// The product reserved.
    pub product_id: Uuid,
    /// Its name when reserved.
    pub name: String,
    /// Units reserved.
    pub quantity: i64,
    /// Its price per unit when reserved, in minor units.
    pub unit_price_cents: i64,
}

/// Every line of an order was reserved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockReserved {
    /// The order id.
    pub order_id: Uuid,
    /// The lines with their price snapshot.
    pub items: Vec<ReservedLine>,
    /// ISO 4217 code of every price.
    pub currency: String,
}

impl Event for StockReserved {
    const TYPE: &'static str = "stock.reserved";
    const VERSION: u16 = 1;
    const PRODUCER: &'static str = "product";
    const CONSUMERS: &'static [&'static str] = &["order"];
    fn example() -> Self {
        Self {
            order_id: Uuid::nil(),
            items: vec![ReservedLine {
                product_id: Uuid::nil(),
                name: "Enamel mug".into(),
                quantity: 2,
                unit_price_cents: 1250,
            }],
            currency: "USD".into(),
        }
    }
}

/// Why a line could not be reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionReason {
    /// No such product.
    Unknown,
    /// The product was withdrawn.
    Deleted,
    /// Not enough units on hand.
    Short,
    /// The order's products are priced in different currencies.
    CurrencyMismatch,
}

/// A line that could not be reserved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedLine {
    /// The product asked for.
    pub product_id: Uuid,
    /// Why it failed.
    pub reason: RejectionReason,
    /// Units asked for.
    pub requested: i64,
    /// Units on hand when it failed (0 for unknown or deleted products).
    pub available: i64,
}

/// Some line could not be reserved, so nothing was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockRejected {
    /// The order id.
    pub order_id: Uuid,
    /// The lines that failed, each with its reason.
    pub lines: Vec<RejectedLine>,
}

impl Event for StockRejected {
    const TYPE: &'static str = "stock.rejected";
    const VERSION: u16 = 1;
    const PRODUCER: &'static str = "product";
    const CONSUMERS: &'static [&'static str] = &["order"];
    fn example() -> Self {
        Self {
            order_id: Uuid::nil(),
            lines: vec![RejectedLine {
                product_id: Uuid::nil(),
                reason: RejectionReason::Short,
                requested: 3,
                available: 1,
            }],
        }
    }
}

/// An order was cancelled; the product service releases whatever it reserved for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCancelled {
    /// The order id.
    pub order_id: Uuid,
    /// Who placed it.
    pub user_id: Uuid,
}

impl Event for OrderCancelled {
    const TYPE: &'static str = "order.cancelled";
    const VERSION: u16 = 1;
    const PRODUCER: &'static str = "order";
    const CONSUMERS: &'static [&'static str] = &["product"];
    fn example() -> Self {
        Self { order_id: Uuid::nil(), user_id: Uuid::nil() }
    }
}

/// An order moved from one status to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderStatusChanged {
    /// The order id.
    pub order_id: Uuid,
    /// Who placed it.
    pub user_id: Uuid,
    /// The status before.
    pub from: String,
    /// The status after.
    pub to: String,
    /// When it changed.
    pub changed_at: DateTime<Utc>,
}

impl Event for OrderStatusChanged {
    const TYPE: &'static str = "order.status_changed";
    const VERSION: u16 = 1;
    const PRODUCER: &'static str = "order";
    const CONSUMERS: &'static [&'static str] = &["mailer"];
    fn example() -> Self {
        Self {
            order_id: Uuid::nil(),
            user_id: Uuid::nil(),
            from: "pending".into(),
            to: "confirmed".into(),
            changed_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }
}

/// The customer paid for a confirmed order, through the payment provider; it may ship.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPaid {
    /// The order id.
    pub order_id: Uuid,
    /// Who placed (and paid for) it.
    pub user_id: Uuid,
    /// The lines as reserved and charged.
    pub items: Vec<ReservedLine>,
    /// What was charged, in minor units.
    pub amount_cents: i64,
    /// ISO 4217.
    pub currency: String,
    /// When the provider reported the payment.
    pub paid_at: DateTime<Utc>,
}

impl Event for OrderPaid {
    const TYPE: &'static str = "order.paid";
    const VERSION: u16 = 1;
    const PRODUCER: &'static str = "order";
    const CONSUMERS: &'static [&'static str] = &["mailer"];
    fn example() -> Self {
        let StockReserved { items, currency, .. } = StockReserved::example();
        Self {
            order_id: Uuid::nil(),
            user_id: Uuid::nil(),
            items,
            amount_cents: 2500,
            currency,
            paid_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }
}

/// A paid order was cancelled and its payment went back in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRefunded {
    /// The order id.
    pub order_id: Uuid,
    /// Who placed it.
    pub user_id: Uuid,
    /// What went back, in minor units.
    pub amount_cents: i64,
    /// ISO 4217.
    pub currency: String,
    /// When the provider accepted the refund.
    pub refunded_at: DateTime<Utc>,
}

impl Event for OrderRefunded {
    const TYPE: &'static str = "order.refunded";
    const VERSION: u16 = 1;
    const PRODUCER: &'static str = "order";
    const CONSUMERS: &'static [&'static str] = &["mailer"];
    fn example() -> Self {
        Self {
            order_id: Uuid::nil(),
            user_id: Uuid::nil(),
            amount_cents: 2500,
            currency: "USD".into(),
            refunded_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }
}

/// The product service reserved and priced an order: it is confirmed. Carries what a
/// confirmation shows, so nobody has to ask the order service for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderConfirmed {
    /// The order id.
    pub order_id: Uuid,
    /// Who placed it.
    pub user_id: Uuid,
    /// The lines as reserved and priced.
    pub items: Vec<ReservedLine>,
    /// The sum of the lines, in minor units.
    pub total_cents: i64,
    /// ISO 4217.
    pub currency: String,
    /// Whether it must be paid before it ships (`order.paid` follows) or needs no payment.
    pub payment_required: bool,
    /// When it was confirmed.
    pub confirmed_at: DateTime<Utc>,
}

impl Event for OrderConfirmed {
    const TYPE: &'static str = "order.confirmed";
    const VERSION: u16 = 1;
    const PRODUCER: &'static str = "order";
    const CONSUMERS: &'static [&'static str] = &["mailer"];
    fn example() -> Self {
        let StockReserved { items, currency, .. } = StockReserved::example();
        Self {
            order_id: Uuid::nil(),
            user_id: Uuid::nil(),
            items,
            total_cents: 2500,
            currency,
            payment_required: false,
            confirmed_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }
}
