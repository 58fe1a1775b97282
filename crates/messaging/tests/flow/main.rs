//! The messaging guarantees, on the real RabbitMQ and MySQL/MariaDB.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod consumer;
mod outbox;
