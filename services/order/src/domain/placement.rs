//! What a customer asks for, checked at the edge: the lines of a new order and the optional
//! `Idempotency-Key` that makes asking twice safe.

use std::collections::HashSet;

use common::{FieldError, idempotency::Fingerprint};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Lines one order may hold.
pub(crate) const MAX_LINES: usize = 100;
/// Units one line may ask for.
pub(crate) const MAX_QUANTITY: i64 = 1000;

/// The body of `POST /order`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlaceOrder {
    /// 1 to 100 lines, each product at most once.
    pub(crate) items: Vec<LineInput>,
}

/// One line as asked for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LineInput {
    pub(crate) product_id: Uuid,
    /// 1 to 1000.
    pub(crate) quantity: i64,
}

/// A line that passed the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) product_id: Uuid,
    pub(crate) quantity: i64,
}

/// The lines of an order that can be placed, in the order they were asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lines(Vec<Line>);

impl Lines {
    /// Checks every rule and reports every broken one, by field path.
    pub(crate) fn parse(input: PlaceOrder) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        if input.items.is_empty() || input.items.len() > MAX_LINES {
            errors.push(FieldError::new("items", format!("must hold 1 to {MAX_LINES} lines")));
        }
        let mut seen = HashSet::new();
        for (index, line) in input.items.iter().enumerate() {
            if !(1..=MAX_QUANTITY).contains(&line.quantity) {
                errors.push(FieldError::new(
                    format!("items[{index}].quantity"),
                    format!("must be from 1 to {MAX_QUANTITY}"),
                ));
            }
            if !seen.insert(line.product_id) {
                errors.push(FieldError::new(
                    format!("items[{index}].product_id"),
                    "names a product an earlier line already holds",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self(
            input
                .items
                .into_iter()
                .map(|l| Line { product_id: l.product_id, quantity: l.quantity })
                .collect(),
        ))
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Line> {
        self.0.iter()
    }

    /// SHA-256 of the lines as asked for: the same request hashes the same, any change does not.
    pub(crate) fn fingerprint(&self) -> [u8; 32] {
        self.0
            .iter()
            .fold(Fingerprint::default(), |print, line| {
                print.field(line.product_id.as_bytes()).field(line.quantity.to_be_bytes())
            })
            .finish()
    }
}

/// An order about to be placed, and the request it comes from: `POST /order` with these lines, or
/// a cart's checkout. An idempotency key names the request, so a checkout retried after the cart
/// changed (its units taken out by the first attempt's success) still replays the first order.
pub(crate) struct Placement<'a> {
    pub(crate) lines: &'a Lines,
    pub(crate) fingerprint: [u8; 32],
    pub(crate) from_cart: bool,
}

impl<'a> Placement<'a> {
    /// `POST /order` with `lines`.
    pub(crate) fn order(lines: &'a Lines) -> Self {
        Self { lines, fingerprint: lines.fingerprint(), from_cart: false }
    }

    /// The checkout of a cart that holds `lines`.
    pub(crate) fn checkout(lines: &'a Lines) -> Self {
        Self { lines, fingerprint: checkout_fingerprint(), from_cart: true }
    }
}

/// The fingerprint of every checkout: the request has no body, whatever the cart holds.
pub(crate) fn checkout_fingerprint() -> [u8; 32] {
    Fingerprint::default().field("POST /cart/checkout").finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(lines: &[(Uuid, i64)]) -> PlaceOrder {
        PlaceOrder {
            items: lines.iter().map(|&(product_id, quantity)| LineInput { product_id, quantity }).collect(),
        }
    }

    fn fields(result: Result<Lines, Vec<FieldError>>) -> Vec<String> {
        result.unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn an_order_needs_1_to_100_lines() {
        assert_eq!(fields(Lines::parse(order(&[]))), ["items"]);
        let many: Vec<_> = (0..101).map(|_| (Uuid::now_v7(), 1)).collect();
        assert_eq!(fields(Lines::parse(order(&many))), ["items"]);
        assert!(Lines::parse(order(&many[..100])).is_ok());
    }

    #[test]
    fn quantities_run_from_1_to_1000() {
        let id = Uuid::now_v7;
        assert_eq!(
            fields(Lines::parse(order(&[(id(), 0), (id(), 1001), (id(), -3)]))),
            ["items[0].quantity", "items[1].quantity", "items[2].quantity"]
        );
        assert!(Lines::parse(order(&[(id(), 1), (id(), 1000)])).is_ok());
    }

    #[test]
    fn a_product_appears_once() {
        let id = Uuid::now_v7();
        assert_eq!(fields(Lines::parse(order(&[(id, 1), (id, 2)]))), ["items[1].product_id"]);
    }

    #[test]
    fn the_fingerprint_changes_with_any_line() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let print = |lines: &[(Uuid, i64)]| Lines::parse(order(lines)).unwrap().fingerprint();
        assert_eq!(print(&[(a, 1), (b, 2)]), print(&[(a, 1), (b, 2)]));
        assert_ne!(print(&[(a, 1), (b, 2)]), print(&[(a, 1), (b, 3)]));
        assert_ne!(print(&[(a, 1), (b, 2)]), print(&[(b, 2), (a, 1)]));
        assert_ne!(print(&[(a, 1)]), print(&[(a, 1), (b, 2)]));
    }
}
