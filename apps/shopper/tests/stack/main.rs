//! Across services, through the real broker: auth, user, product, order and mailer in one process, as the
//! `shopper` binary runs them, each test on its own schemas, exchange and queues.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod access_matrix;
mod checkout;
mod hardening;
mod order_access;
mod orders;
mod products;
mod reservations;
mod user_access;
mod user_flows;
mod welcome;
