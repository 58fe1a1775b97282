//! The auth service: accounts and passwords, access tokens (EdDSA JWTs) and rotating refresh
//! tokens, and the public keys every other service verifies tokens with.

mod admin;
pub mod config;
mod domain;
mod error;
mod keys;
mod passwords;
mod registration;
mod routes;
mod sessions;
mod startup;
mod state;
mod store;
mod subscriptions;
mod throttle;
mod tokens;

pub use config::AuthSettings;
pub use routes::openapi;
pub use startup::AuthService;
