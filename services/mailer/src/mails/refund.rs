//! The refund notice: sent once a paid order's money went back.

use uuid::Uuid;

use super::{Mail, Recipient, escape_html, money};

pub(crate) fn refund(to: &Recipient, order: Uuid, amount_cents: i64, currency: &str) -> Mail {
    let amount = money(amount_cents, currency);
    Mail::to(
        to,
        format!("Your refund for shopper order {order}"),
        format!(
            "Hello {name},\n\nwe refunded {amount} for your cancelled order {order}. Your bank may take a few days to show it.\n\n— the shopper team\n",
            name = to.name
        ),
        format!(
            "<p>Hello {name},</p><p>we refunded {amount} for your cancelled order {order}. Your bank may take a few days to show it.</p><p>— the shopper team</p>",
            name = escape_html(&to.name),
            amount = escape_html(&amount)
        ),
    )
}
