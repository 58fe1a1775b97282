use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Event;

/// A product was added to the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductCreated {
    /// The product id.
    pub product_id: Uuid,
    /// Stock-keeping unit, unique.
    pub sku: String,
    /// Display name.
    pub name: String,
    /// Price in minor units.
    pub price_cents: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Units on hand.
    pub stock: i64,
    /// Category slug.
    pub category: String,
}

impl Event for ProductCreated {
    const TYPE: &'static str = "product.created";
    const VERSION: u16 = 1;
    const PRODUCER: &'static str = "product";
    const CONSUMERS: &'static [&'static str] = &["order"];
    fn example() -> Self {
        Self {
            product_id: Uuid::nil(),
            sku: "MUG-001".into(),
            name: "Enamel mug".into(),
            price_cents: 1250,
            currency: "USD".into(),
            stock: 40,
            category: "kitchen".into(),
        }
    }
}

/// A product was replaced; carries its new state and version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductUpdated {
    /// The product id.
    pub product_id: Uuid,
    /// Stock-keeping unit, unique.
    pub sku: String,
    /// Display name.
    pub name: String,
    /// Price in minor units.
    pub price_cents: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Units on hand.
    pub stock: i64,
    /// Category slug.
    pub category: String,
    /// The product's version after the change (its ETag).
    pub version: i64,
}

impl Event for ProductUpdated {
    const TYPE: &'static str = "product.updated";
    const VERSION: u16 = 1;
    const PRODUCER: &'static str = "product";
    const CONSUMERS: &'static [&'static str] = &["order"];
    fn example() -> Self {
        let ProductCreated { product_id, sku, name, price_cents, currency, stock, category } =
            ProductCreated::example();
        Self { product_id, sku, name, price_cents, currency, stock, category, version: 2 }
    }
}

/// A batch of products created or replaced by one catalogue import: each as `product.updated`
/// would carry it (a created one at version 1). One event per batch of lines, so a large import
/// is a few thousand messages, not one per product, and nothing queued behind it waits long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductsImported {
    /// The products as of their new version.
    pub products: Vec<ProductUpdated>,
}

impl Event for ProductsImported {
    const TYPE: &'static str = "product.imported";
    const VERSION: u16 = 1;
    const PRODUCER: &'static str = "product";
    const CONSUMERS: &'static [&'static str] = &["order"];
    fn example() -> Self {
        Self { products: vec![ProductUpdated::example()] }
    }
}

/// A product was withdrawn (soft delete).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDeleted {
    /// The product id.
    pub product_id: Uuid,
}

impl Event for ProductDeleted {
    const TYPE: &'static str = "product.deleted";
    const VERSION: u16 = 1;
    const PRODUCER: &'static str = "product";
    const CONSUMERS: &'static [&'static str] = &["order"];
    fn example() -> Self {
        Self { product_id: Uuid::nil() }
    }
}
