//! SendGrid v3 `POST /v3/mail/send`, and what each answer means for the mail.

use std::time::Duration;

use reqwest::{StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use uuid::Uuid;

use common::tls::ClientTls;

use crate::{config::SendGridSettings, mails::Mail};

/// What became of one send.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SendOutcome {
    /// SendGrid took it (2xx), with its message id when it gave one.
    Accepted { message_id: Option<String> },
    /// Worth trying again: 429, 5xx, a timeout or a network error.
    Transient { reason: String, retry_after: Option<Duration> },
    /// Any other 4xx: trying again would get the same answer.
    Rejected { reason: String },
}

/// Sends mail through SendGrid, or only logs it when no API key is configured.
pub(crate) struct MailClient {
    http: reqwest::Client,
    endpoint: String,
    api_key: Option<SecretString>,
    from_email: String,
    from_name: String,
}

impl MailClient {
    /// A client for `settings`, trusting `tls` (the platform's roots, plus `TLS_CA_FILE`'s: a
    /// SendGrid stand-in or an egress proxy with an internal CA). Peers are always verified.
    pub(crate) fn new(settings: &SendGridSettings, tls: &ClientTls) -> anyhow::Result<Self> {
        let http =
            tls.client_builder().timeout(settings.timeout).connect_timeout(Duration::from_secs(5)).build()?;
        Ok(Self {
            http,
            endpoint: format!("{}/v3/mail/send", settings.base_url),
            api_key: settings.api_key.clone(),
            from_email: settings.from_email.clone(),
            from_name: settings.from_name.clone(),
        })
    }

    pub(crate) async fn send(&self, mail: &Mail, event_id: Uuid) -> SendOutcome {
        let Some(api_key) = &self.api_key else {
            tracing::info!(to = %mail.to_email, subject = %mail.subject, text = %mail.text, "no SENDGRID_API_KEY: mail logged, not sent");
            return SendOutcome::Accepted { message_id: None };
        };
        let body = json!({
            "personalizations": [{ "to": [{ "email": mail.to_email, "name": mail.to_name }] }],
            "from": { "email": self.from_email, "name": self.from_name },
            "subject": mail.subject,
            "content": [
                { "type": "text/plain", "value": mail.text },
                { "type": "text/html", "value": mail.html },
            ],
            // Lets an operator find the mail of an event in SendGrid's activity feed.
            "custom_args": { "event_id": event_id.to_string() },
        });
        let response =
            self.http.post(&self.endpoint).bearer_auth(api_key.expose_secret()).json(&body).send().await;
        let response = match response {
            Ok(response) => response,
            Err(error) => {
                let kind = if error.is_timeout() { "timed out" } else { "network error" };
                return SendOutcome::Transient {
                    reason: format!("SendGrid {kind}: {error}"),
                    retry_after: None,
                };
            }
        };
        let status = response.status();
        if status.is_success() {
            let message_id =
                response.headers().get("x-message-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
            return SendOutcome::Accepted { message_id };
        }
        let retry_after = retry_after(response.headers());
        // SendGrid's error bodies name the field at fault; keep a bounded excerpt for the record.
        let detail: String = response.text().await.unwrap_or_default().chars().take(300).collect();
        let reason = format!("SendGrid answered {status}: {detail}");
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            SendOutcome::Transient { reason, retry_after }
        } else {
            SendOutcome::Rejected { reason }
        }
    }
}

/// `Retry-After` in seconds (SendGrid's form); an HTTP date is treated as absent.
fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim().parse::<u64>().ok().map(Duration::from_secs)
}
