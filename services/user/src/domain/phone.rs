use serde::{Deserialize, Serialize};

/// A phone number in E.164 form: `+`, a country code that does not start with 0, 8 to 15 digits
/// in all. Spaces, dashes, dots and parentheses are accepted on input and dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Phone(String);

impl Phone {
    pub(crate) fn parse(raw: &str) -> Result<Self, &'static str> {
        let compact: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
        let Some(digits) = compact.strip_prefix('+') else {
            return Err("must be in E.164 form, like +14155550123");
        };
        let valid = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if valid { Ok(Self(compact)) } else { Err("must be in E.164 form, like +14155550123") }
    }

    #[cfg(test)]
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_numbers_are_accepted_and_compacted() {
        assert_eq!(Phone::parse("+1 (415) 555-0123").unwrap().as_str(), "+14155550123");
        assert_eq!(Phone::parse("+4930123456").unwrap().as_str(), "+4930123456");
    }

    #[test]
    fn other_forms_are_refused() {
        for raw in
            ["", "4155550123", "+0123456789", "+1234", "+1234567890123456", "+1415555abcd", "++14155550123"]
        {
            assert!(Phone::parse(raw).is_err(), "{raw:?}");
        }
    }
}
