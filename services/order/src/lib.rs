//! The order service: customers place and cancel orders, admins drive them to delivery, and the
//! saga with the product service settles each one exactly once, without overselling.

mod cart;
mod changing;
pub mod config;
mod domain;
mod lifecycle;
mod order;
mod payments;
mod placing;
mod routes;
mod settle;
mod startup;
mod state;
mod store;
mod subscriptions;
mod sweep;
mod timeout;

pub use config::OrderSettings;
pub use payments::signature::sign as stripe_signature;
pub use routes::openapi;
pub use startup::OrderService;
