//! The welcome mail's text.

use events::UserRegistered;

use super::{Mail, escape_html};

pub(crate) fn welcome(event: &UserRegistered) -> Mail {
    let name = event.name.trim();
    Mail {
        to_email: event.email.clone(),
        to_name: name.to_owned(),
        subject: "Welcome to shopper".into(),
        text: format!(
            "Hello {name},\n\nyour shopper account for {email} is ready. Happy shopping!\n\n— the shopper team\n",
            email = event.email
        ),
        html: format!(
            "<p>Hello {name},</p><p>your shopper account for {email} is ready. Happy shopping!</p><p>— the shopper team</p>",
            name = escape_html(name),
            email = escape_html(&event.email)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str) -> UserRegistered {
        UserRegistered {
            user_id: uuid::Uuid::nil(),
            email: "ada@example.com".into(),
            name: name.into(),
            role: "customer".into(),
        }
    }

    #[test]
    fn the_mail_greets_the_user_by_name_in_text_and_html() {
        let mail = welcome(&event("Ada"));
        assert_eq!(mail.to_email, "ada@example.com");
        assert!(mail.text.contains("Hello Ada,"));
        assert!(mail.html.contains("<p>Hello Ada,</p>"));
    }

    #[test]
    fn markup_in_a_name_is_escaped_in_the_html_part() {
        let mail = welcome(&event("<script>alert('x')</script>"));
        assert!(!mail.html.contains("<script>"));
        assert!(mail.html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    }
}
