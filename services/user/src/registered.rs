//! `user.registered` -> a new profile. Idempotent: the inbox catches redeliveries, and a profile
//! that exists already is left as it is.

use chrono::Utc;
use common::{db::is_unique_violation, rbac::Role};
use events::{Envelope, Event, UserRegistered};
use messaging::{Handler, HandlerError, HandlerFuture};
use sqlx::MySqlConnection;

use crate::store::profiles::{self, ProfileRow};

pub(crate) struct NewProfiles;

impl Handler for NewProfiles {
    fn event_types(&self) -> Vec<&'static str> {
        vec![UserRegistered::TYPE]
    }

    fn handle<'a>(&'a self, envelope: &'a Envelope, tx: &'a mut MySqlConnection) -> HandlerFuture<'a> {
        Box::pin(async move {
            let event: UserRegistered = envelope.decode()?;
            let role: Role = event.role.parse().map_err(HandlerError::Reject)?;
            let now = Utc::now();
            let row = ProfileRow {
                id: event.user_id,
                email: event.email,
                name: event.name,
                role: role.to_string(),
                phone_encrypted: None,
                address_encrypted: None,
                pii_key_id: None,
                created_at: now,
                updated_at: now,
            };
            match profiles::create(&mut *tx, &row).await {
                Ok(_) => Ok(()),
                // Another profile holds this email: only an email change racing this
                // registration does that. Park it for an operator rather than guess.
                Err(e) if is_unique_violation(&e) => {
                    Err(HandlerError::Reject(format!("another profile already has the email of {}", row.id)))
                }
                Err(e) => Err(e.into()),
            }
        })
    }
}
