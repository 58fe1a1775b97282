//! RabbitMQ for shopper, with the guarantees the services rely on:
//!
//! - **Outbox**: a state change and its event commit in one database transaction
//!   ([`Outbox::stage`]); the [`relay`](OutboxRelay) publishes committed rows with publisher
//!   confirms and only then marks them sent. A broker outage or a crash delays events, never loses
//!   them.
//! - **Subscriptions** ([`Subscriptions`]): a service registers one typed handler per event type
//!   ([`Handles`]); the registration is the queue's binding and the dispatch, in one place.
//! - **Consumers** ([`Consumer`]): each message's id is recorded in `inbox` in the transaction of
//!   its effect, so a redelivery is acknowledged without repeating it; acknowledgement comes only
//!   after commit; failures retry with growing delays, then park on the service's dead-letter
//!   queue; unparseable messages park at once.
//! - **Broker** ([`Broker`]): one connection per process part, re-established with backoff
//!   forever; readiness reports it.
//!
//! Every schema that uses this crate has the `outbox` and `inbox` tables of `schema.sql`.

mod broker;
mod consumer;
mod handler;
mod headers;
mod outbox;
mod relay;
mod subscriptions;
mod topology;

pub use broker::{Broker, BrokerSettings};
pub use consumer::{Consumer, ConsumerSettings, declare_queues};
pub use handler::HandlerError;
pub use outbox::Outbox;
pub use relay::{OutboxRelay, RelaySettings};
pub use subscriptions::{Handles, Subscriptions};
pub use topology::{QueueNames, declare_exchange};

/// The DDL of the `outbox` and `inbox` tables, for a service's first messaging migration.
pub const SCHEMA_SQL: &str = include_str!("../schema.sql");

#[cfg(test)]
mod tests {
    use std::{fs, path::Path};

    /// sqlx migrations are files, so each service carries a copy of `schema.sql`; this keeps every
    /// copy identical to it.
    #[test]
    fn every_service_carries_the_messaging_tables_unchanged() {
        let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
        let mut services = 0;
        for service in fs::read_dir(&migrations).unwrap() {
            let service = service.unwrap().path();
            let copy = fs::read_dir(&service)
                .unwrap()
                .map(|file| file.unwrap().path())
                .find(|file| file.to_string_lossy().ends_with("_messaging.sql"))
                .unwrap_or_else(|| panic!("{} has no messaging migration", service.display()));
            let text = fs::read_to_string(&copy).unwrap();
            let body = text.split_once('\n').map_or("", |(_, rest)| rest);
            assert_eq!(body, super::SCHEMA_SQL, "{} differs from schema.sql", copy.display());
            services += 1;
        }
        assert!(services >= 5, "found {services} services");
    }
}
