//! The shipping notice: sent once an order is shipped.

use uuid::Uuid;

use super::{Mail, Recipient, escape_html};

pub(crate) fn shipping(to: &Recipient, order: Uuid) -> Mail {
    Mail::to(
        to,
        format!("Your shopper order {order} is on its way"),
        format!("Hello {name},\n\nyour order {order} has shipped.\n\n— the shopper team\n", name = to.name),
        format!(
            "<p>Hello {name},</p><p>your order {order} has shipped.</p><p>— the shopper team</p>",
            name = escape_html(&to.name)
        ),
    )
}
