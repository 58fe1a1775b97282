//! Where an order's payment stands.

use serde::Serialize;
use utoipa::ToSchema;

/// An order's payment status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PaymentStatus {
    /// The service takes no payments (`PAYMENT_PROVIDER=none`): confirmed is ready to ship.
    NotRequired,
    /// Confirmed and priced; the customer has not paid yet.
    AwaitingPayment,
    Paid,
    /// The last attempt failed; the customer may try again until the window closes.
    Failed,
    /// No payment can be made any more: the window closed unpaid, or the order was cancelled
    /// before it was paid. The order is cancelled, its intent cancelled, its stock released.
    Expired,
    /// Paid, then cancelled: the money went back.
    Refunded,
}

impl PaymentStatus {
    pub(crate) const ALL: [PaymentStatus; 6] = [
        PaymentStatus::NotRequired,
        PaymentStatus::AwaitingPayment,
        PaymentStatus::Paid,
        PaymentStatus::Failed,
        PaymentStatus::Expired,
        PaymentStatus::Refunded,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::NotRequired => "not_required",
            PaymentStatus::AwaitingPayment => "awaiting_payment",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Expired => "expired",
            PaymentStatus::Refunded => "refunded",
        }
    }

    /// Whether an order in this payment status may ship.
    pub(crate) fn allows_shipping(self) -> bool {
        matches!(self, PaymentStatus::NotRequired | PaymentStatus::Paid)
    }

    /// Whether money is still expected for the order.
    pub(crate) fn is_open(self) -> bool {
        matches!(self, PaymentStatus::AwaitingPayment | PaymentStatus::Failed)
    }
}

impl TryFrom<String> for PaymentStatus {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        PaymentStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| format!("payment status {raw}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_paid_order_or_one_needing_no_payment_ships() {
        let shippable: Vec<_> = PaymentStatus::ALL.into_iter().filter(|s| s.allows_shipping()).collect();
        assert_eq!(shippable, [PaymentStatus::NotRequired, PaymentStatus::Paid]);
        for status in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::try_from(status.as_str().to_owned()), Ok(status));
        }
    }
}
