//! The product service alone, black-box: the order service is replaced by the events it would
//! publish, auth by a local key publication; MariaDB and RabbitMQ are real.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod catalogue;
mod import;
mod read_cache;
mod relevance;
mod search_index;
