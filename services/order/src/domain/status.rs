//! The order state machine, in one place.
//!
//! ```text
//! pending ──▶ confirmed ──▶ shipped ──▶ delivered
//!    │  ╲          │
//!    │   ▶ rejected ▶ cancelled ◀── (pending too)
//! ```
//!
//! `pending -> confirmed | rejected` belongs to the saga: only the product service's answer (or
//! the pending-order timeout) makes it, because confirming without a reservation would sell stock
//! that is not there. Through the API, owners may cancel and admins drive the rest.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Status {
    /// Placed; its stock is being reserved.
    Pending,
    /// Every line reserved and priced.
    Confirmed,
    /// Not every line could be reserved (or no answer came in time); nothing is held.
    Rejected,
    /// Cancelled by its owner or an admin; whatever was reserved is released.
    Cancelled,
    /// On its way.
    Shipped,
    /// Arrived.
    Delivered,
}

/// Who asks for a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Actor {
    /// The product service's answer or the pending-order timeout.
    Saga,
    /// The customer who placed the order.
    Owner,
    /// Anyone allowed to manage orders.
    Admin,
    /// The payment window closing on a confirmed order nobody paid for.
    PaymentExpiry,
}

/// Why a change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The order cannot go from its status to the one asked for (409).
    Impossible,
    /// The change exists, but this actor may not make it (403).
    NotAllowed,
    /// Shipping an order whose payment is not in (409).
    Unpaid,
}

impl Status {
    /// Every status, for exhaustive tests and documentation.
    pub(crate) const ALL: [Status; 6] = [
        Status::Pending,
        Status::Confirmed,
        Status::Rejected,
        Status::Cancelled,
        Status::Shipped,
        Status::Delivered,
    ];

    /// The name stored and sent.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Confirmed => "confirmed",
            Status::Rejected => "rejected",
            Status::Cancelled => "cancelled",
            Status::Shipped => "shipped",
            Status::Delivered => "delivered",
        }
    }

    /// Whether the order can still change (a settled order has had the saga's answer).
    pub(crate) fn is_settled(self) -> bool {
        self != Status::Pending
    }

    /// Whether `actor` may move an order from `self` to `to`.
    pub(crate) fn change(self, to: Status, actor: Actor) -> Result<(), Refusal> {
        use Status::*;
        let by_saga = matches!((self, to), (Pending, Confirmed | Rejected));
        let by_people = matches!(
            (self, to),
            (Pending | Confirmed, Cancelled) | (Confirmed, Shipped) | (Shipped, Delivered)
        );
        match actor {
            Actor::Saga if by_saga => Ok(()),
            Actor::PaymentExpiry if (self, to) == (Confirmed, Cancelled) => Ok(()),
            Actor::Admin if by_people => Ok(()),
            Actor::Owner if by_people && to == Cancelled => Ok(()),
            // An owner asking for anything but a cancellation is refused for who they are,
            // whatever the order's status.
            Actor::Owner if to != Cancelled => Err(Refusal::NotAllowed),
            _ => Err(Refusal::Impossible),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL.into_iter().find(|status| status.as_str() == s).ok_or(())
    }
}

impl TryFrom<String> for Status {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse().map_err(|()| format!("{value:?} is not an order status"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn names_round_trip() {
        for status in Status::ALL {
            assert_eq!(status.as_str().parse::<Status>(), Ok(status));
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert!("Pending".parse::<Status>().is_err());
    }

    #[test]
    fn only_the_saga_confirms_or_rejects() {
        for to in [Confirmed, Rejected] {
            assert_eq!(Pending.change(to, Actor::Saga), Ok(()));
            assert_eq!(Pending.change(to, Actor::Admin), Err(Refusal::Impossible));
            assert_eq!(Pending.change(to, Actor::Owner), Err(Refusal::NotAllowed));
        }
        assert_eq!(Pending.change(Cancelled, Actor::Saga), Err(Refusal::Impossible));
    }

    #[test]
    fn the_payment_window_only_cancels_confirmed_orders() {
        for from in Status::ALL {
            for to in Status::ALL {
                let expected =
                    if (from, to) == (Confirmed, Cancelled) { Ok(()) } else { Err(Refusal::Impossible) };
                assert_eq!(from.change(to, Actor::PaymentExpiry), expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn every_pair_for_an_admin_is_allowed_or_impossible() {
        let allowed =
            [(Pending, Cancelled), (Confirmed, Cancelled), (Confirmed, Shipped), (Shipped, Delivered)];
        for from in Status::ALL {
            for to in Status::ALL {
                let expected = if allowed.contains(&(from, to)) { Ok(()) } else { Err(Refusal::Impossible) };
                assert_eq!(from.change(to, Actor::Admin), expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn owners_may_only_cancel() {
        for from in Status::ALL {
            for to in Status::ALL {
                let expected = match (from, to) {
                    (Pending | Confirmed, Cancelled) => Ok(()),
                    (_, Cancelled) => Err(Refusal::Impossible),
                    _ => Err(Refusal::NotAllowed),
                };
                assert_eq!(from.change(to, Actor::Owner), expected, "{from} -> {to}");
            }
        }
    }
}
