use std::sync::Arc;

use axum::extract::FromRef;
use common::db::Pool;
use common::jwt::TokenVerifier;
use messaging::Outbox;

use crate::PiiKeys;

/// What every handler may reach.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) pool: Pool,
    pub(crate) outbox: Outbox,
    pub(crate) keys: Arc<PiiKeys>,
    pub(crate) verifier: Arc<TokenVerifier>,
}

impl FromRef<AppState> for Arc<TokenVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}
