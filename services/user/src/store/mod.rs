//! The user schema's queries; parameters are always bound.

pub(crate) mod profiles;
