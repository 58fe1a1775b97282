//! Black-box tests of the auth service: the real router on a free port, a fresh schema per
//! test on the real MySQL/MariaDB server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod events;
mod http_stack;
mod login;
mod register;
mod session;
mod startup;
mod throttling;
mod token_attacks;
