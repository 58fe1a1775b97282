//! The mailer on the shared runtime: the welcome and order mails it sends, and the directory of
//! addresses it keeps from the user events. Over HTTP it serves only health and its OpenAPI
//! document.

use messaging::Subscriptions;
use runtime::{Assembly, Parts};
use sqlx::migrate::Migrator;

use crate::{
    MailerSettings, routes,
    sendgrid::MailClient,
    subscriptions::{self, Mailer},
};

/// The mailer.
pub struct MailerService;

impl runtime::Service for MailerService {
    const NAME: &'static str = "mailer";
    const PORT: u16 = 8085;
    const MIGRATOR: Migrator = sqlx::migrate!("../../migrations/mailer");
    type Settings = MailerSettings;
    type Handlers = Mailer;

    fn subscriptions() -> Subscriptions<Mailer> {
        subscriptions::all()
    }

    async fn assemble(parts: Parts<'_>, settings: MailerSettings) -> anyhow::Result<Assembly<Mailer>> {
        if settings.sendgrid.api_key.is_none() {
            tracing::warn!("SENDGRID_API_KEY is not set: mails are logged, not sent");
        }
        let client = MailClient::new(&settings.sendgrid, &parts.settings.http.client_tls)?;
        Ok(Assembly::new(routes::router(), Mailer { pool: parts.pool, client }))
    }
}
