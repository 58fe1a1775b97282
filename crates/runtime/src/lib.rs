//! The runtime every shopper service runs on.
//!
//! A service says what is its own: its name and port ([`Service`]), its settings, its router
//! and handler state ([`Service::assemble`]) and the events it consumes
//! ([`Service::subscriptions`]). The runtime does the rest, the same way for every service:
//!
//! - [`settings`]: the settings every service shares (HTTP, database, broker, consumer, tokens,
//!   the JWKS address), parsed once next to the service's own.
//! - [`build`]: the pool (migrated unless the deployment migrates separately), the outbox and
//!   its relay, the consumer bound to the subscriptions, health and readiness, the HTTP stack,
//!   the public and admin listeners.
//! - [`Built::run`]: serving until shutdown, then the drain order: requests drain, the consumer
//!   and background tasks stop, the relay flushes what they staged, the pool closes.
//! - [`migrate()`]: the one-shot `migrate` command: schema, migrations, and the queues declared
//!   from the subscriptions alone, without building the service.
//! - [`cli::main`]: the whole `main` of a service binary.

mod assembly;
pub mod cli;
mod lifecycle;
mod migrate;
mod service;
pub mod settings;
mod workers;

pub use assembly::{Assembly, Parts, build};
pub use lifecycle::Built;
pub use migrate::migrate;
pub use service::Service;
pub use settings::{Config, SharedSettings};
