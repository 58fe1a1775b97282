//! SQL only.

pub(crate) mod carts;
pub(crate) mod catalogue;
pub(crate) mod orders;
pub(crate) mod payments;
