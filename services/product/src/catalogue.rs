//! Changing the catalogue: every change and its event commit together, so every consumer hears
//! of every change and of none that did not happen. Creation is once per idempotency key.

use chrono::Utc;
use common::{
    AppError,
    db::UniqueWrite,
    idempotency::{self, IdempotencyKey},
};
use events::{ProductCreated, ProductDeleted, ProductUpdated};
use messaging::Outbox;
use uuid::Uuid;

use crate::{
    domain::ProductSpec,
    state::AppState,
    store::products::{self, Product},
};

fn sku_taken() -> AppError {
    AppError::Conflict("another product has this sku".into())
}

/// Adds `spec` for `admin`; with a key, a retry returns the product the first request created
/// and the same key with another product is a 422.
pub(crate) async fn create(
    state: &AppState,
    admin: Uuid,
    key: Option<&IdempotencyKey>,
    spec: &ProductSpec,
) -> Result<Product, AppError> {
    idempotency::create_once(key, |key| replay(state, admin, key, spec), || insert(state, admin, key, spec))
        .await
}

/// `None` when the key was taken meanwhile by a concurrent request.
async fn insert(
    state: &AppState,
    admin: Uuid,
    key: Option<&IdempotencyKey>,
    spec: &ProductSpec,
) -> Result<Option<Product>, AppError> {
    let (id, now) = (Uuid::now_v7(), Utc::now());
    let mut tx = state.pool.begin().await?;
    // The key first: a concurrent request with the same key waits on its row and then replays,
    // instead of reaching the sku's unique index and answering 409.
    if let Some(key) = key
        && products::remember_key(&mut *tx, admin, key, &spec.fingerprint(), id, now)
            .await
            .unless_taken()?
            .is_none()
    {
        return Ok(None);
    }
    products::insert(&mut *tx, id, spec, now).await.unless_taken()?.ok_or_else(sku_taken)?;
    let product = products::find(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    Outbox::stage(&mut tx, &created(&product)).await?;
    state.outbox.commit(tx).await?;
    state.search.nudge();
    Ok(Some(product))
}

/// The product this admin already created with `key`, if any; a 422 if it was another product.
async fn replay(
    state: &AppState,
    admin: Uuid,
    key: &IdempotencyKey,
    spec: &ProductSpec,
) -> Result<Option<Product>, AppError> {
    let recorded = products::find_by_key(&state.pool, admin, key).await?;
    let Some(id) = idempotency::replayed(recorded, &spec.fingerprint())? else {
        return Ok(None);
    };
    // Deleted since: the replay says so (404) rather than resurrect it.
    Ok(Some(products::find(&state.pool, id).await?.ok_or(AppError::NotFound)?))
}

/// Replaces product `id` with `spec` if `precondition` holds for its current version (else 412).
pub(crate) async fn replace(
    state: &AppState,
    id: Uuid,
    spec: &ProductSpec,
    precondition: impl FnOnce(&Product) -> bool,
) -> Result<Product, AppError> {
    let mut tx = state.pool.begin().await?;
    let current = products::lock(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    if !precondition(&current) {
        return Err(AppError::PreconditionFailed);
    }
    products::replace(&mut *tx, id, spec, Utc::now()).await.unless_taken()?.ok_or_else(sku_taken)?;
    let product = products::find(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    Outbox::stage(&mut tx, &updated(&product)).await?;
    state.outbox.commit(tx).await?;
    state.cache.forget(id);
    state.search.nudge();
    Ok(product)
}

/// Withdraws product `id`: 404 and out of search from then on.
pub(crate) async fn withdraw(state: &AppState, id: Uuid) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    products::lock(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    products::soft_delete(&mut *tx, id, Utc::now()).await?;
    Outbox::stage(&mut tx, &ProductDeleted { product_id: id }).await?;
    state.outbox.commit(tx).await?;
    state.cache.forget(id);
    state.search.nudge();
    Ok(())
}

fn created(p: &Product) -> ProductCreated {
    ProductCreated {
        product_id: p.id,
        sku: p.sku.clone(),
        name: p.name.clone(),
        price_cents: p.price_cents,
        currency: p.currency.clone(),
        stock: p.stock,
        category: p.category.clone(),
    }
}

fn updated(p: &Product) -> ProductUpdated {
    let ProductCreated { product_id, sku, name, price_cents, currency, stock, category } = created(p);
    ProductUpdated { product_id, sku, name, price_cents, currency, stock, category, version: p.version }
}
