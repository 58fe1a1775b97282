//! What the order service consumes: the product service's answers to its orders (`saga`) and the
//! catalogue's changes (`catalogue`), applied to its own copy.

mod catalogue;
mod saga;

use events::{
    ProductCreated, ProductDeleted, ProductUpdated, ProductsImported, StockRejected, StockReserved,
};
use messaging::Subscriptions;

use crate::{payments::Payer, settle::Settlements};

/// What the order service consumes.
pub(crate) fn all() -> Subscriptions<OrderEvents> {
    Subscriptions::new()
        .on::<StockReserved>()
        .on::<StockRejected>()
        .on::<ProductCreated>()
        .on::<ProductUpdated>()
        .on::<ProductsImported>()
        .on::<ProductDeleted>()
}

/// The state the order service's handlers share: who in this process waits for a settlement,
/// and the payment provider, when orders are paid.
pub struct OrderEvents {
    pub(crate) settlements: Settlements,
    pub(crate) payer: Option<Payer>,
}
