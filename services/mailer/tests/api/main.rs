//! Black-box tests of the mailer: real RabbitMQ and MySQL/MariaDB, SendGrid played by wiremock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod order_mails;
mod sending;
