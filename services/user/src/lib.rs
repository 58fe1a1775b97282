//! The user service: profiles created from `user.registered`, read and changed by their owner or
//! an admin, with phone and address encrypted at rest. Changes auth must know (email, role,
//! deletion) leave as events.

mod account_events;
pub mod config;
mod domain;
mod pii;
mod profile;
mod routes;
mod startup;
mod state;
mod store;

pub use config::UserConfig;
pub use pii::PiiKeys;
pub use routes::openapi;
pub use startup::{App, MIGRATOR, SERVICE, migrate};
