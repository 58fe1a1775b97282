use common::{FieldError, idempotency::Fingerprint};
use serde::Deserialize;
use utoipa::ToSchema;

use super::currencies;

/// A product as an admin sends it (POST, and PUT as a full replacement).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProductInput {
    /// Stock-keeping unit: 1 to 64 letters, digits, `.`, `_` or `-`; stored upper-case; unique.
    #[schema(example = "MUG-001")]
    sku: String,
    /// 1 to 200 characters.
    #[schema(example = "Enamel mug")]
    name: String,
    /// 1 to 5000 characters.
    description: String,
    /// Minor units, 0 or more.
    #[schema(example = 1250)]
    price_cents: i64,
    /// ISO 4217, `USD` by default.
    #[serde(default)]
    #[schema(example = "USD")]
    currency: Option<String>,
    /// Units on hand, 0 or more.
    #[schema(example = 40)]
    stock: i64,
    /// A slug: 1 to 64 of a-z, 0-9 and `-`; stored lower-case.
    #[schema(example = "kitchen")]
    category: String,
}

/// A product's checked, normalised fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProductSpec {
    pub(crate) sku: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) price_cents: i64,
    pub(crate) currency: String,
    pub(crate) stock: i64,
    pub(crate) category: String,
}

/// Prices and stock stay well inside what every client's numbers can hold.
const MAX_PRICE_CENTS: i64 = 100_000_000_000;
const MAX_STOCK: i64 = 1_000_000_000;

fn text(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.push(FieldError::new(field, "must not be empty"));
    } else if trimmed.chars().count() > max {
        errors.push(FieldError::new(field, format!("must be at most {max} characters")));
    } else if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        errors.push(FieldError::new(field, "must not contain control characters"));
    }
    trimmed.to_owned()
}

impl ProductSpec {
    /// Every field, so a reused `Idempotency-Key` with any other product is told apart.
    pub(crate) fn fingerprint(&self) -> [u8; 32] {
        Fingerprint::default()
            .field(&self.sku)
            .field(&self.name)
            .field(&self.description)
            .field(self.price_cents.to_be_bytes())
            .field(&self.currency)
            .field(self.stock.to_be_bytes())
            .field(&self.category)
            .finish()
    }

    pub(crate) fn parse(input: ProductInput) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let sku = input.sku.trim().to_ascii_uppercase();
        if sku.is_empty()
            || sku.len() > 64
            || !sku.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            errors.push(FieldError::new("sku", "must be 1 to 64 letters, digits, '.', '_' or '-'"));
        }
        let name = text("name", &input.name, 200, &mut errors);
        if name.contains('\n') {
            errors.push(FieldError::new("name", "must be one line"));
        }
        let description = text("description", &input.description, 5000, &mut errors);
        if !(0..=MAX_PRICE_CENTS).contains(&input.price_cents) {
            errors.push(FieldError::new("price_cents", "must be from 0 to 100000000000"));
        }
        let currency = input.currency.as_deref().unwrap_or("USD").trim().to_ascii_uppercase();
        if !currencies::is_active(&currency) {
            errors.push(FieldError::new("currency", "must be an ISO 4217 code, like USD"));
        }
        if !(0..=MAX_STOCK).contains(&input.stock) {
            errors.push(FieldError::new("stock", "must be from 0 to 1000000000"));
        }
        let category = input.category.trim().to_ascii_lowercase();
        if category.is_empty()
            || category.len() > 64
            || !category.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            errors.push(FieldError::new("category", "must be 1 to 64 of a-z, 0-9 and '-'"));
        }
        if errors.is_empty() {
            Ok(Self {
                sku,
                name,
                description,
                price_cents: input.price_cents,
                currency,
                stock: input.stock,
                category,
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ProductInput {
        ProductInput {
            sku: " mug-001 ".into(),
            name: "Enamel mug".into(),
            description: "Holds coffee.".into(),
            price_cents: 1250,
            currency: None,
            stock: 40,
            category: "Kitchen".into(),
        }
    }

    #[test]
    fn a_valid_product_is_normalised() {
        let spec = ProductSpec::parse(input()).unwrap();
        assert_eq!(
            (spec.sku.as_str(), spec.currency.as_str(), spec.category.as_str()),
            ("MUG-001", "USD", "kitchen")
        );
    }

    #[test]
    fn each_broken_rule_names_its_field() {
        let bad = ProductInput {
            sku: "mug 001".into(),
            name: "".into(),
            price_cents: -1,
            currency: Some("usdollar".into()),
            stock: -5,
            category: "kitchen & bath".into(),
            ..input()
        };
        let fields: Vec<String> = ProductSpec::parse(bad).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["sku", "name", "price_cents", "currency", "stock", "category"]);
    }
}
