//! The rules of orders, free of HTTP and SQL.

mod placement;
mod status;

pub(crate) use placement::{Lines, PlaceOrder};
pub(crate) use status::{Actor, Refusal, Status};
