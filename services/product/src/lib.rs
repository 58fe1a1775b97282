//! The product service: the catalogue (admins change it, anyone reads and searches it) and the
//! stock half of the order saga.

mod catalogue;
mod domain;
mod routes;
mod startup;
mod state;
mod store;
mod subscriptions;

pub use routes::openapi;
pub use startup::ProductService;
