//! SQL only.

pub(crate) mod orders;
