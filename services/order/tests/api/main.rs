//! The order service alone, black-box: the product service is replaced by the answers it would
//! publish, auth by a local key publication; MariaDB and RabbitMQ are real.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cart;
mod helpers;
mod migrate;
mod payments;
mod placing;
