//! The shipping notice: sent once an order is shipped.

use uuid::Uuid;

use super::{Mail, Recipient, escape_html};

pub(crate) fn shipping(to: &Recipient, order: Uuid) -> Mail {
    Mail {
        to_email: to.email.clone(),
        to_name: to.name.clone(),
        subject: format!("Your shopper order {order} is on its way"),
        text: format!(
            "Hello {name},\n\nyour order {order} has shipped.\n\n— the shopper team\n",
            name = to.name
        ),
        html: format!(
            "<p>Hello {name},</p><p>your order {order} has shipped.</p><p>— the shopper team</p>",
            name = escape_html(&to.name)
        ),
    }
}
