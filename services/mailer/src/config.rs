//! The mailer's own settings, read once from the environment (the shared ones are the
//! runtime's).

use std::time::Duration;

use common::config::{ConfigError, Env, FromEnv};
use secrecy::SecretString;

/// What only the mailer reads.
#[derive(Debug)]
pub struct MailerSettings {
    /// How to reach SendGrid.
    pub sendgrid: SendGridSettings,
}

/// SendGrid's address, key and the sender.
#[derive(Debug, Clone)]
pub struct SendGridSettings {
    /// `SENDGRID_BASE_URL`, `https://api.sendgrid.com` by default.
    pub base_url: String,
    /// `SENDGRID_API_KEY`; without one, mails are written to the log instead of sent.
    pub api_key: Option<SecretString>,
    /// `MAIL_FROM_EMAIL`.
    pub from_email: String,
    /// `MAIL_FROM_NAME`.
    pub from_name: String,
    /// `SENDGRID_TIMEOUT_SECS` (10): the longest a send may take.
    pub timeout: Duration,
}

impl FromEnv for MailerSettings {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let base_url = env.text("SENDGRID_BASE_URL")?.unwrap_or_else(|| "https://api.sendgrid.com".into());
        if reqwest::Url::parse(&base_url).map(|u| !matches!(u.scheme(), "http" | "https")).unwrap_or(true) {
            return Err(ConfigError::invalid("SENDGRID_BASE_URL", "expected an http(s) URL"));
        }
        let from_email = env.text("MAIL_FROM_EMAIL")?.unwrap_or_else(|| "welcome@shopper.example".into());
        if !from_email.contains('@') {
            return Err(ConfigError::invalid("MAIL_FROM_EMAIL", "expected an email address"));
        }
        Ok(Self {
            sendgrid: SendGridSettings {
                base_url: base_url.trim_end_matches('/').to_owned(),
                api_key: env.secret("SENDGRID_API_KEY")?,
                from_email,
                from_name: env.text("MAIL_FROM_NAME")?.unwrap_or_else(|| "shopper".into()),
                timeout: env.seconds_or("SENDGRID_TIMEOUT_SECS", Duration::from_secs(10))?,
            },
        })
    }
}
