use std::{sync::Arc, time::Duration};

use axum::extract::FromRef;
use common::db::Pool;
use common::jwt::TokenVerifier;
use messaging::Outbox;

use crate::{payments::Payer, settle::Settlements};

/// What every handler may reach.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) pool: Pool,
    pub(crate) outbox: Outbox,
    pub(crate) verifier: Arc<TokenVerifier>,
    pub(crate) settlements: Settlements,
    /// How long `POST /order` waits for the saga.
    pub(crate) settle_wait: Duration,
    /// The payment provider, when orders are paid.
    pub(crate) payer: Option<Payer>,
}

impl FromRef<AppState> for Arc<TokenVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}
