//! Request values parsed into types whose constructors are the only place their rules live.

mod email;
mod name;
mod password;

pub(crate) use email::Email;
pub(crate) use name::PersonName;
pub(crate) use password::Password;
