//! The mailer on the shared runtime: the welcome mails it sends for `user.registered`. Over HTTP
//! it serves only health and its OpenAPI document.

use messaging::Subscriptions;
use runtime::{Assembly, Parts};
use sqlx::migrate::Migrator;

use crate::{
    MailerSettings, routes,
    sendgrid::MailClient,
    subscriptions::{self, WelcomeMails},
};

/// The mailer.
pub struct MailerService;

impl runtime::Service for MailerService {
    const NAME: &'static str = "mailer";
    const PORT: u16 = 8085;
    const MIGRATOR: Migrator = sqlx::migrate!("../../migrations/mailer");
    type Settings = MailerSettings;
    type Handlers = WelcomeMails;

    fn subscriptions() -> Subscriptions<WelcomeMails> {
        subscriptions::all()
    }

    async fn assemble(parts: Parts<'_>, settings: MailerSettings) -> anyhow::Result<Assembly<WelcomeMails>> {
        if settings.sendgrid.api_key.is_none() {
            tracing::warn!("SENDGRID_API_KEY is not set: welcome mails are logged, not sent");
        }
        let client = MailClient::new(&settings.sendgrid, &parts.settings.http.client_tls)?;
        Ok(Assembly::new(routes::router(), WelcomeMails { pool: parts.pool, client }))
    }
}
