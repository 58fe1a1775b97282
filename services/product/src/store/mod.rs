//! The product schema's queries; parameters are always bound.

pub(crate) mod imports;
pub(crate) mod products;
pub(crate) mod reservations;
