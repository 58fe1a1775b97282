//! The user service: profiles created from `user.registered`, read and changed by their owner or
//! an admin, with phone and address encrypted at rest. Changes auth must know (email, role,
//! deletion) leave as events.

pub mod config;
mod domain;
mod editing;
mod pii;
mod profile;
mod routes;
mod startup;
mod state;
mod store;
mod subscriptions;

pub use config::UserSettings;
pub use pii::PiiKeys;
pub use routes::openapi;
pub use startup::UserService;
