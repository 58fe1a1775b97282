//! The auth schema's queries; parameters are always bound.

pub(crate) mod accounts;
pub(crate) mod login_attempts;
pub(crate) mod refresh_tokens;
pub(crate) mod signing_keys;
