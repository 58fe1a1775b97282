//! The mailer: consumes `user.registered` and sends a welcome mail through SendGrid, once per
//! event. It serves only health and metrics over HTTP.

pub mod config;
mod handler;
mod sendgrid;
mod startup;
mod store;
mod welcome;

pub use config::MailerConfig;
pub use startup::{App, MIGRATOR, SERVICE, migrate};
