use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use common::{
    AppError, Problem,
    db::is_unique_violation,
    http::{Json, Path},
    idempotency::{self, IdempotencyKey},
    rbac::{AuthUser, Permission},
};
use events::{ProductCreated, ProductDeleted, ProductUpdated};
use messaging::Outbox;
use uuid::Uuid;

use crate::{
    domain::{ProductInput, ProductSpec},
    state::AppState,
    store::products::{self, Product},
};

fn etag(product: &Product) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{}\"", product.version)).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// Whether an `If-None-Match`/`If-Match` list names this version (or `*`).
fn names(header: &HeaderValue, current: &HeaderValue) -> bool {
    header.to_str().is_ok_and(|list| {
        list.split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/") == current.to_str().unwrap_or_default())
    })
}

fn with_etag(status: StatusCode, product: Product) -> Response {
    let tag = etag(&product);
    (status, [(header::ETAG, tag)], Json(product)).into_response()
}

fn taken(error: sqlx::Error) -> AppError {
    if is_unique_violation(&error) {
        AppError::Conflict("another product has this sku".into())
    } else {
        AppError::Internal(error.into())
    }
}

/// Add a product (admins). With an `Idempotency-Key` (per admin), a retry returns the product the
/// first request created; the same key with a different product is a 422.
#[utoipa::path(
    post, path = "/product", tag = "product", security(("bearer" = [])),
    request_body = ProductInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters")),
    responses(
        (status = 201, description = "Created; `Location` and `ETag` set", body = Product),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The sku is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule, or the key was used for another product", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    Json(input): Json<ProductInput>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageCatalog)?;
    let key = IdempotencyKey::from_headers(&headers)?;
    let spec = ProductSpec::parse(input).map_err(AppError::Validation)?;
    if let Some(key) = &key
        && let Some(first) = replay(&state, user.id, key, &spec).await?
    {
        return Ok(created_response(first));
    }
    let id = Uuid::now_v7();
    let now = Utc::now();
    let mut tx = state.pool.begin().await?;
    // The key first: a concurrent request with the same key waits on its row and then replays,
    // instead of reaching the sku's unique index and answering 409.
    if let Some(key) = &key {
        match products::remember_key(&mut *tx, user.id, key, &spec.fingerprint(), id, now).await {
            Ok(()) => {}
            Err(error) if is_unique_violation(&error) => {
                drop(tx);
                let first = replay(&state, user.id, key, &spec).await?;
                return first.map(created_response).ok_or(AppError::NotFound);
            }
            Err(error) => return Err(anyhow::Error::from(error).into()),
        }
    }
    products::insert(&mut *tx, id, &spec, now).await.map_err(taken)?;
    let product = products::find(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    Outbox::stage(&mut tx, &created(&product)).await?;
    state.outbox.commit(tx).await?;
    Ok(created_response(product))
}

/// The product this admin already created with `key`, if any; a 422 if it was another product.
async fn replay(
    state: &AppState,
    principal: Uuid,
    key: &IdempotencyKey,
    spec: &ProductSpec,
) -> Result<Option<Product>, AppError> {
    let Some((id, fingerprint)) = products::find_by_key(&state.pool, principal, key).await? else {
        return Ok(None);
    };
    if fingerprint != spec.fingerprint() {
        return Err(idempotency::reused());
    }
    // Deleted since: the replay says so (404) rather than resurrect it.
    Ok(Some(products::find(&state.pool, id).await?.ok_or(AppError::NotFound)?))
}

fn created_response(product: Product) -> Response {
    let location = HeaderValue::from_str(&format!("/product/{}", product.id));
    let mut response = with_etag(StatusCode::CREATED, product);
    if let Ok(location) = location {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
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

/// One product; `If-None-Match` with its `ETag` answers 304.
#[utoipa::path(
    get, path = "/product/{id}", tag = "product",
    params(("id" = Uuid, Path, description = "The product's id")),
    responses(
        (status = 200, description = "The product, with `ETag`", body = Product),
        (status = 304, description = "Unchanged since the `ETag` sent"),
        (status = 404, description = "No such product, or deleted", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let product = products::find(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    let tag = etag(&product);
    if headers.get(header::IF_NONE_MATCH).is_some_and(|h| names(h, &tag)) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    Ok(with_etag(StatusCode::OK, product))
}

/// Replace a product (admins); with `If-Match`, only if it is still that version.
#[utoipa::path(
    put, path = "/product/{id}", tag = "product", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The product's id")),
    request_body = ProductInput,
    responses(
        (status = 200, description = "The new product, with its new `ETag`", body = Product),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product, or deleted", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The sku is taken", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since the `If-Match` version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn replace(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    Json(input): Json<ProductInput>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageCatalog)?;
    let spec = ProductSpec::parse(input).map_err(AppError::Validation)?;
    let mut tx = state.pool.begin().await?;
    let current = products::lock(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    if headers.get(header::IF_MATCH).is_some_and(|h| !names(h, &etag(&current))) {
        return Err(AppError::PreconditionFailed);
    }
    products::replace(&mut *tx, id, &spec, Utc::now()).await.map_err(taken)?;
    let p = products::find(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    let event = updated(&p);
    Outbox::stage(&mut tx, &event).await?;
    state.outbox.commit(tx).await?;
    Ok(with_etag(StatusCode::OK, p))
}

/// Withdraw a product (admins): 404 and out of search from then on.
#[utoipa::path(
    delete, path = "/product/{id}", tag = "product", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The product's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product, or deleted", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    user.require(Permission::ManageCatalog)?;
    let mut tx = state.pool.begin().await?;
    products::lock(&mut *tx, id).await?.ok_or(AppError::NotFound)?;
    products::soft_delete(&mut *tx, id, Utc::now()).await?;
    Outbox::stage(&mut tx, &ProductDeleted { product_id: id }).await?;
    state.outbox.commit(tx).await?;
    Ok(StatusCode::NO_CONTENT)
}
