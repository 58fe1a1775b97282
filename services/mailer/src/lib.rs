//! The mailer: sends, through SendGrid and once per event, the welcome mail of every new account,
//! the confirmation of every order paid (or confirmed where no payment is needed), its shipping
//! notice and its refund notice, to the address its directory holds from the user events. It
//! serves only health (and its OpenAPI document) and, on its admin port, metrics.

pub mod config;
mod directory;
mod mails;
mod routes;
mod sendgrid;
mod startup;
mod store;
mod subscriptions;

pub use config::MailerSettings;
pub use routes::openapi;
pub use startup::MailerService;
