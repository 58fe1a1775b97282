use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use common::{
    AppError, Problem,
    http::{Json, Path},
    idempotency::IdempotencyKey,
    rbac::{AuthUser, Permission},
};
use uuid::Uuid;

use crate::{
    catalogue,
    domain::{ProductInput, ProductSpec},
    read_cache::Rendered,
    state::AppState,
    store::products::{self, Product},
};

fn etag(product: &Product) -> HeaderValue {
    version_tag(product.version)
}

fn version_tag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// Whether an `If-None-Match`/`If-Match` list names this version (or `*`).
fn names(header: &HeaderValue, current: &HeaderValue) -> bool {
    header.to_str().is_ok_and(|list| {
        list.split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/") == current.to_str().unwrap_or_default())
    })
}

/// A product as the read cache holds it, answered exactly as [`with_etag`] would.
fn rendered(held: &Rendered) -> Response {
    let tag = version_tag(held.version);
    let json = HeaderValue::from_static("application/json");
    (StatusCode::OK, [(header::ETAG, tag), (header::CONTENT_TYPE, json)], held.body.clone()).into_response()
}

fn with_etag(status: StatusCode, product: Product) -> Response {
    let tag = etag(&product);
    (status, [(header::ETAG, tag)], Json(product)).into_response()
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
    let product = catalogue::create(&state, user.id, key.as_ref(), &spec).await?;
    Ok(created_response(product))
}

fn created_response(product: Product) -> Response {
    let location = HeaderValue::from_str(&format!("/product/{}", product.id));
    let mut response = with_etag(StatusCode::CREATED, product);
    if let Ok(location) = location {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// One product; `If-None-Match` with its `ETag` answers 304. Served from the replica's read
/// cache when it holds the product (`read_cache`); a conditional request always asks the database.
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
    let conditional = headers.get(header::IF_NONE_MATCH);
    if conditional.is_none()
        && let Some(held) = state.cache.get(id)
    {
        return Ok(rendered(&held));
    }
    let product = products::find(&state.pool, id).await?.ok_or(AppError::NotFound)?;
    let tag = etag(&product);
    if conditional.is_some_and(|h| names(h, &tag)) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    let held = state.cache.keep(&product).map_err(|e| AppError::Internal(e.into()))?;
    Ok(rendered(&held))
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
    let if_match = headers.get(header::IF_MATCH);
    let still_matches = |current: &Product| if_match.is_none_or(|h| names(h, &etag(current)));
    let product = catalogue::replace(&state, id, &spec, still_matches).await?;
    Ok(with_etag(StatusCode::OK, product))
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
    catalogue::withdraw(&state, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
