//! Request values parsed into types whose constructors are the only place their rules live.

mod currencies;
mod product;
mod search;

pub(crate) use product::{ProductInput, ProductSpec};
pub(crate) use search::{SearchText, Sort};

/// What became of an order, once and for all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Every line was reserved.
    Reserved,
    /// Some line could not be, so none was.
    Rejected,
    /// Cancelled before it was reserved: a late `order.created` must not reserve it.
    Cancelled,
}

impl Decision {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Reserved => "reserved",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
        }
    }
}
