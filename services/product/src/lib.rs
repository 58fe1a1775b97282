//! The product service: the catalogue (admins change it, anyone reads and searches it) and the
//! stock half of the order saga.

pub mod config;
mod domain;
mod reservations;
mod routes;
mod startup;
mod state;
mod store;

pub use config::ProductConfig;
pub use routes::openapi;
pub use startup::{App, MIGRATOR, SERVICE, migrate};
