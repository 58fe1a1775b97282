//! The product service on the shared runtime: its routes and the stock half of the order saga.

use messaging::Subscriptions;
use runtime::{Assembly, Parts};
use sqlx::migrate::Migrator;

use crate::{
    config::ProductSettings,
    read_cache::{ChangeFollower, ReadCache},
    routes,
    search_index::{IndexFollower, SearchIndex},
    state::AppState,
    subscriptions::{self, StockKeeper},
};

/// The product service.
pub struct ProductService;

impl runtime::Service for ProductService {
    const NAME: &'static str = "product";
    const PORT: u16 = 8083;
    const MIGRATOR: Migrator = sqlx::migrate!("../../migrations/product");
    type Settings = ProductSettings;
    type Handlers = StockKeeper;

    fn subscriptions() -> Subscriptions<StockKeeper> {
        subscriptions::all()
    }

    async fn assemble(parts: Parts<'_>, settings: ProductSettings) -> anyhow::Result<Assembly<StockKeeper>> {
        let verifier = parts.jwks_verifier()?;
        let cache = ReadCache::new(settings.read_cache_entries);
        let follower = ChangeFollower { pool: parts.pool.clone(), cache: cache.clone() };
        let search = SearchIndex::new(settings.search_index);
        let indexer = IndexFollower { pool: parts.pool.clone(), index: search.clone() };
        let state = AppState { pool: parts.pool, outbox: parts.outbox, verifier, settings, cache, search };
        Ok(Assembly::new(routes::router(state), StockKeeper)
            .with_task(|stop| follower.run(stop))
            .with_task(|stop| indexer.run(stop)))
    }
}
