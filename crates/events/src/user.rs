use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Event;

/// An account was created (auth, on register or admin bootstrap).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRegistered {
    /// The account id, also the profile id.
    pub user_id: Uuid,
    /// Normalised (trimmed, lower-case) email.
    pub email: String,
    /// Display name given at registration.
    pub name: String,
    /// `customer` or `admin`.
    pub role: String,
}

impl Event for UserRegistered {
    const TYPE: &'static str = "user.registered";
    const VERSION: u16 = 1;
    const PRODUCER: &'static str = "auth";
    const CONSUMERS: &'static [&'static str] = &["user", "mailer"];
    fn example() -> Self {
        Self {
            user_id: Uuid::nil(),
            email: "ada@example.com".into(),
            name: "Ada Lovelace".into(),
            role: "customer".into(),
        }
    }
}

/// A profile's email or role changed (user service); auth updates the credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdated {
    /// The account id.
    pub user_id: Uuid,
    /// The email after the change.
    pub email: String,
    /// The role after the change.
    pub role: String,
}

impl Event for UserUpdated {
    const TYPE: &'static str = "user.updated";
    const VERSION: u16 = 1;
    const PRODUCER: &'static str = "user";
    const CONSUMERS: &'static [&'static str] = &["auth", "mailer"];
    fn example() -> Self {
        Self { user_id: Uuid::nil(), email: "ada@example.com".into(), role: "admin".into() }
    }
}

/// A user was deleted (user service); auth disables the account and revokes its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDeleted {
    /// The account id.
    pub user_id: Uuid,
}

impl Event for UserDeleted {
    const TYPE: &'static str = "user.deleted";
    const VERSION: u16 = 1;
    const PRODUCER: &'static str = "user";
    const CONSUMERS: &'static [&'static str] = &["auth", "mailer"];
    fn example() -> Self {
        Self { user_id: Uuid::nil() }
    }
}

/// Auth could not apply a `user.updated`: the email belongs to another account there (an email
/// change raced a registration). Carries auth's values so the user service restores them and the
/// two agree again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdateRejected {
    /// The account id.
    pub user_id: Uuid,
    /// The email the update asked for, which auth refused.
    pub rejected_email: String,
    /// The email auth keeps.
    pub email: String,
    /// The role auth keeps.
    pub role: String,
}

impl Event for UserUpdateRejected {
    const TYPE: &'static str = "user.update_rejected";
    const VERSION: u16 = 1;
    const PRODUCER: &'static str = "auth";
    const CONSUMERS: &'static [&'static str] = &["user"];
    fn example() -> Self {
        Self {
            user_id: Uuid::nil(),
            rejected_email: "taken@example.com".into(),
            email: "ada@example.com".into(),
            role: "customer".into(),
        }
    }
}
