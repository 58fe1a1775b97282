use std::sync::Arc;

use axum::extract::FromRef;
use common::db::Pool;
use common::jwt::TokenVerifier;
use messaging::Outbox;

use crate::{config::ProductSettings, read_cache::ReadCache, search_index::SearchIndex};

/// What every handler may reach.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) pool: Pool,
    pub(crate) outbox: Outbox,
    pub(crate) verifier: Arc<TokenVerifier>,
    pub(crate) settings: ProductSettings,
    pub(crate) cache: ReadCache,
    pub(crate) search: SearchIndex,
}

impl FromRef<AppState> for Arc<TokenVerifier> {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}
