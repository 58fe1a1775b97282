//! The mails the mailer sends, one module per mail: each turns one event (and the recipient the
//! directory knows) into a [`Mail`]. Anything a user typed is escaped before it enters HTML.

pub(crate) mod confirmation;
pub(crate) mod refund;
pub(crate) mod shipping;
pub(crate) mod welcome;

/// A mail ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mail {
    pub(crate) to_email: String,
    pub(crate) to_name: String,
    pub(crate) subject: String,
    pub(crate) text: String,
    pub(crate) html: String,
}

impl Mail {
    /// A mail to `to`.
    pub(crate) fn to(to: &Recipient, subject: String, text: String, html: String) -> Self {
        Self { to_email: to.email.clone(), to_name: to.name.clone(), subject, text, html }
    }
}

/// Who a mail goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recipient {
    pub(crate) email: String,
    pub(crate) name: String,
}

/// Text from users, escaped for HTML.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Currencies whose minor unit is the unit itself (ISO 4217 exponent 0).
const ZERO_DECIMAL: [&str; 8] = ["JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"];

/// An amount in minor units as a reader expects it: `$37.50`, `€4.00`, `£0.99`, `¥500`,
/// `12.30 CHF`.
pub(crate) fn money(minor: i64, currency: &str) -> String {
    let currency = currency.to_ascii_uppercase();
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    let amount = if ZERO_DECIMAL.contains(&currency.as_str()) {
        minor.to_string()
    } else {
        format!("{}.{:02}", minor / 100, minor % 100)
    };
    match currency.as_str() {
        "USD" => format!("{sign}${amount}"),
        "EUR" => format!("{sign}€{amount}"),
        "GBP" => format!("{sign}£{amount}"),
        "JPY" => format!("{sign}¥{amount}"),
        other => format!("{sign}{amount} {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_money() {
        assert_eq!(money(3750, "USD"), "$37.50");
        assert_eq!(money(5, "usd"), "$0.05");
        assert_eq!(money(400, "EUR"), "€4.00");
        assert_eq!(money(500, "JPY"), "¥500");
        assert_eq!(money(1230, "CHF"), "12.30 CHF");
        assert_eq!(money(-99, "GBP"), "-£0.99");
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(escape_html("<b>'&\"</b>"), "&lt;b&gt;&#39;&amp;&quot;&lt;/b&gt;");
    }
}
