//! The mailer: consumes `user.registered` and sends a welcome mail through SendGrid, once per
//! event. It serves only health (and its OpenAPI document) and, on its admin port, metrics.

pub mod config;
mod routes;
mod sendgrid;
mod startup;
mod store;
mod subscriptions;
mod welcome;

pub use config::MailerSettings;
pub use routes::openapi;
pub use startup::MailerService;
