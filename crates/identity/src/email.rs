use std::fmt;

use email_address::{EmailAddress, Options};

/// A syntactically valid email address, trimmed and lower-cased, so that one mailbox is one
/// account however it is typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

/// RFC 5321 caps a forward path at 254 characters.
const MAX_LEN: usize = 254;

/// A bare address with a dotted domain: no display name, no `[ip]` literal, no `user@localhost`.
const STRICT: Options =
    Options { minimum_sub_domains: 2, allow_domain_literal: false, allow_display_text: false };

impl Email {
    /// Trims, lower-cases and checks an address; the error says which rule it breaks.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let normalised = raw.trim().to_lowercase();
        if normalised.is_empty() {
            return Err("must not be empty");
        }
        if normalised.len() > MAX_LEN {
            return Err("must be at most 254 characters");
        }
        if EmailAddress::parse_with_options(&normalised, STRICT).is_err() {
            return Err("must be an email address like name@example.com");
        }
        Ok(Self(normalised))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for raw in [
            "",
            "   ",
            "ada",
            "ada@",
            "@example.com",
            "Ada <ada@example.com>",
            "a b@example.com",
            "ada@localhost",
            "ada@[127.0.0.1]",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn overlong_emails_are_refused() {
        let raw = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&raw).is_err());
    }
}
