//! The product service: the catalogue (admins change it, anyone reads and searches it) and the
//! stock half of the order saga.

mod catalogue;
mod config;
mod domain;
mod import;
mod read_cache;
mod routes;
mod search_index;
mod startup;
mod state;
mod store;
mod subscriptions;

pub use config::ProductSettings;
pub use routes::openapi;
pub use startup::ProductService;
