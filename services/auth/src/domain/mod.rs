//! Request values parsed into types whose constructors are the only place their rules live.

mod common_passwords;
mod password;

pub(crate) use identity::{Email, PersonName};
pub(crate) use password::Password;
