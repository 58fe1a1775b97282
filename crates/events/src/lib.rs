//! The event contracts shopper's services exchange over RabbitMQ.
//!
//! Every message is an [`Envelope`] whose `payload` is one of the typed events below. Each event
//! names its type (also the routing key), its version, its producer and its consumers; the
//! catalogue in `docs/EVENTS.md` is generated from these definitions and a test keeps it current.
//! serde only: no I/O here.

mod catalogue;
mod envelope;
mod order;
mod product;
mod user;

pub use catalogue::{EventInfo, catalogue, render_markdown};
pub use envelope::{DecodeError, Envelope};
pub use order::{
    OrderCancelled, OrderConfirmed, OrderCreated, OrderLine, OrderPaid, OrderRefunded, OrderStatusChanged,
    RejectedLine, RejectionReason, ReservedLine, StockRejected, StockReserved,
};
pub use product::{ProductCreated, ProductDeleted, ProductUpdated, ProductsImported};
pub use user::{UserDeleted, UserRegistered, UserUpdateRejected, UserUpdated};

use serde::{Serialize, de::DeserializeOwned};

/// A typed event: its payload shape plus the facts that route and document it.
pub trait Event: Serialize + DeserializeOwned {
    /// The event type, also its routing key on `shopper.events` (e.g. `user.registered`).
    const TYPE: &'static str;
    /// The payload version; a breaking change gets a new version.
    const VERSION: u16;
    /// The service that publishes it.
    const PRODUCER: &'static str;
    /// The services that consume it.
    const CONSUMERS: &'static [&'static str];

    /// A representative instance, used to document the event and to test its round trip.
    fn example() -> Self;
}

/// The exchange every event is published to.
pub const EXCHANGE: &str = "shopper.events";
