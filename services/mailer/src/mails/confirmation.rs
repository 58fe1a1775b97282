//! The order confirmation: sent once an order is paid, or confirmed where no payment is needed.

use events::ReservedLine;
use uuid::Uuid;

use super::{Mail, Recipient, escape_html, money};

/// The confirmation of `order` with its `lines` and `total_cents` in `currency`.
pub(crate) fn confirmation(
    to: &Recipient,
    order: Uuid,
    lines: &[ReservedLine],
    total_cents: i64,
    currency: &str,
) -> Mail {
    let mut text_lines = String::new();
    let mut html_lines = String::new();
    for line in lines {
        let cost = money(line.unit_price_cents.saturating_mul(line.quantity), currency);
        text_lines.push_str(&format!("  {} x {}  {}\n", line.quantity, line.name, cost));
        html_lines.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            line.quantity,
            escape_html(&line.name),
            escape_html(&cost)
        ));
    }
    let total = money(total_cents, currency);
    Mail::to(
        to,
        format!("Your shopper order {order}"),
        format!(
            "Hello {name},\n\nthank you for your order {order}:\n\n{text_lines}\n  Total  {total}\n\nWe will tell you when it ships.\n\n— the shopper team\n",
            name = to.name
        ),
        format!(
            "<p>Hello {name},</p><p>thank you for your order {order}:</p><table>{html_lines}<tr><td></td><td>Total</td><td>{total}</td></tr></table><p>We will tell you when it ships.</p><p>— the shopper team</p>",
            name = escape_html(&to.name),
            total = escape_html(&total)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confirmation_lists_every_line_and_the_total_as_money() {
        let to = Recipient { email: "ada@example.com".into(), name: "Ada".into() };
        let lines = [
            ReservedLine {
                product_id: Uuid::nil(),
                name: "Enamel mug".into(),
                quantity: 2,
                unit_price_cents: 1250,
            },
            ReservedLine {
                product_id: Uuid::nil(),
                name: "<Tea> pot".into(),
                quantity: 1,
                unit_price_cents: 1250,
            },
        ];
        let mail = confirmation(&to, Uuid::nil(), &lines, 3750, "USD");
        assert!(mail.text.contains("2 x Enamel mug  $25.00"), "{}", mail.text);
        assert!(mail.text.contains("Total  $37.50"));
        assert!(mail.html.contains("&lt;Tea&gt; pot") && !mail.html.contains("<Tea>"));
    }
}
