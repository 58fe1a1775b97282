//! The rules of orders, free of HTTP and SQL.

mod payment;
mod placement;
mod status;

pub(crate) use payment::PaymentStatus;
pub(crate) use placement::{
    LineInput, Lines, MAX_LINES, MAX_QUANTITY, PlaceOrder, Placement, checkout_fingerprint,
};
pub(crate) use status::{Actor, Refusal, Status};
