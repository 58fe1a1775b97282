//! The user service alone, black-box: auth is replaced by the events it would publish and by a
//! local key publication; everything else is real (MariaDB, RabbitMQ).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod profiles;
