use secrecy::{ExposeSecret, SecretString};

use super::common_passwords;

/// A password that meets the length rule and is not one of the most commonly used. It stays
/// secret: no `Debug` shows it.
pub(crate) struct Password(SecretString);

const MIN_CHARS: usize = 8;
const MAX_CHARS: usize = 128;

impl Password {
    pub(crate) fn parse(raw: SecretString) -> Result<Self, &'static str> {
        let chars = raw.expose_secret().chars().count();
        if chars < MIN_CHARS {
            return Err("must be at least 8 characters");
        }
        if chars > MAX_CHARS {
            return Err("must be at most 128 characters");
        }
        if common_passwords::is_common(raw.expose_secret()) {
            return Err("is one of the most commonly used passwords");
        }
        Ok(Self(raw))
    }

    pub(crate) fn into_secret(self) -> SecretString {
        self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<Password, &'static str> {
        Password::parse(SecretString::from(raw))
    }

    #[test]
    fn passwords_from_8_to_128_characters_are_accepted() {
        assert!(parse("zq8!vlm3").is_ok());
        assert!(parse(&"x".repeat(128)).is_ok());
    }

    #[test]
    fn shorter_or_longer_passwords_are_refused() {
        assert!(parse("1234567").is_err());
        assert!(parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn the_most_common_passwords_are_refused_in_any_letter_case() {
        assert_eq!(parse("password123").unwrap_err(), "is one of the most commonly used passwords");
        assert_eq!(parse("Baseball").unwrap_err(), "is one of the most commonly used passwords");
        assert!(parse("correct horse battery").is_ok());
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(parse("ääääääää").is_ok());
        assert!(parse("äääääää").is_err());
    }
}
