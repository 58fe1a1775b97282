//! Request values parsed into types whose constructors are the only place their rules live.

mod address;
mod countries;
mod phone;

pub(crate) use address::{Address, AddressInput};
pub(crate) use identity::{Email, PersonName};
pub(crate) use phone::Phone;
