use common::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::countries::is_assigned;

/// An address as a client sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddressInput {
    /// Street and number, 1 to 200 characters.
    line1: String,
    /// Optional second line, up to 200 characters.
    #[serde(default)]
    line2: Option<String>,
    /// 1 to 100 characters.
    city: String,
    /// 1 to 20 letters, digits, spaces or dashes.
    postal_code: String,
    /// ISO 3166-1 alpha-2, e.g. `DE`.
    #[schema(example = "DE")]
    country: String,
}

/// A checked postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub(crate) struct Address {
    line1: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line2: Option<String>,
    city: String,
    postal_code: String,
    country: String,
}

fn text(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.push(FieldError::new(field, "must not be empty"));
    } else if trimmed.chars().count() > max {
        errors.push(FieldError::new(field, format!("must be at most {max} characters")));
    } else if trimmed.chars().any(char::is_control) {
        errors.push(FieldError::new(field, "must not contain control characters"));
    }
    trimmed.to_owned()
}

impl Address {
    /// Checks every part; the errors name each field as `address.<part>`.
    pub(crate) fn parse(input: AddressInput) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let line1 = text("address.line1", &input.line1, 200, &mut errors);
        let line2 =
            input.line2.filter(|l| !l.trim().is_empty()).map(|l| text("address.line2", &l, 200, &mut errors));
        let city = text("address.city", &input.city, 100, &mut errors);
        let postal_code = text("address.postal_code", &input.postal_code, 20, &mut errors);
        if !postal_code.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-') {
            errors.push(FieldError::new(
                "address.postal_code",
                "may hold only letters, digits, spaces and dashes",
            ));
        }
        let country = input.country.trim().to_ascii_uppercase();
        if !is_assigned(&country) {
            errors.push(FieldError::new("address.country", "must be an ISO 3166-1 alpha-2 code, like DE"));
        }
        if errors.is_empty() { Ok(Self { line1, line2, city, postal_code, country }) } else { Err(errors) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(country: &str, postal_code: &str) -> AddressInput {
        AddressInput {
            line1: "Unter den Linden 1".into(),
            line2: None,
            city: "Berlin".into(),
            postal_code: postal_code.into(),
            country: country.into(),
        }
    }

    #[test]
    fn a_complete_address_is_accepted_with_an_upper_case_country() {
        let address = Address::parse(input("de", "10117")).unwrap();
        assert_eq!(address.country, "DE");
    }

    #[test]
    fn unknown_countries_and_odd_postal_codes_are_refused_by_field() {
        let errors = Address::parse(input("XX", "10117;")).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["address.postal_code", "address.country"]);
    }
}
