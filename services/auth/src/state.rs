use std::{sync::Arc, time::Duration};

use axum::extract::FromRef;
use common::db::Pool;
use common::jwt::{JwkSet, TokenIssuer, TokenVerifier};
use messaging::Outbox;

use crate::{passwords::PasswordHashing, throttle::Throttle};

/// What every handler may reach.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) pool: Pool,
    pub(crate) outbox: Outbox,
    pub(crate) passwords: Arc<PasswordHashing>,
    pub(crate) issuer: Arc<TokenIssuer>,
    pub(crate) verifier: Arc<TokenVerifier>,
    pub(crate) jwks: Arc<JwkSet>,
    pub(crate) refresh_ttl: Duration,
    pub(crate) throttle: Arc<Throttle>,
}

impl FromRef<AppState> for Arc<TokenVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}
