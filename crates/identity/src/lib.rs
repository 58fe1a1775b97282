//! The values that identify a shopper account. Auth and user both accept them from clients, so
//! their rules live here, once: an email is one mailbox however it is typed, a name is what a
//! person would write.

mod email;
mod name;

pub use email::Email;
pub use name::PersonName;
