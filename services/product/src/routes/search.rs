use axum::extract::State;
use common::{
    AppError, FieldError, Problem,
    http::{Json, Query},
    paging::{self, ListKey, Page, PageRequest},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    domain::{SearchText, Sort},
    state::AppState,
    store::products::{self, After, Product, Search},
};

const DEFAULT_LIMIT: u32 = 20;
const MAX_LIMIT: u32 = 100;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchParams {
    /// Words to find in the name and description.
    q: Option<String>,
    /// Only this category.
    category: Option<String>,
    /// Only prices from this many minor units.
    min_price_cents: Option<i64>,
    /// Only prices up to this many minor units.
    max_price_cents: Option<i64>,
    /// `relevance` (the default with `q`), `price_asc`, `price_desc`, `newest` (the default without).
    sort: Option<String>,
    /// 1 to 100, 20 by default.
    #[param(minimum = 1, maximum = 100, nullable = false)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page (with the same parameters).
    cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ProductPage {
    items: Vec<Product>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    next_cursor: Option<String>,
}

/// Search and browse the catalogue (anyone).
#[utoipa::path(
    get, path = "/product", tag = "product",
    params(SearchParams),
    responses(
        (status = 200, description = "A page of products", body = ProductPage),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter breaks a rule", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn search(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Result<Json<ProductPage>, AppError> {
    let mut errors = Vec::new();
    let text = match params.q.as_deref().map(SearchText::parse).transpose() {
        Ok(text) => text,
        Err(message) => {
            errors.push(FieldError::new("q", message));
            None
        }
    };
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.push(FieldError::new("limit", "must be from 1 to 100"));
    }
    let requested = params.sort.as_deref().map(str::parse::<Sort>).transpose().unwrap_or_else(|message| {
        errors.push(FieldError::new("sort", message));
        None
    });
    // Relevance needs words to be relevant to.
    let sort = match (requested, &text) {
        (Some(Sort::Relevance) | None, Some(_)) => Sort::Relevance,
        (Some(Sort::Relevance) | None, None) => Sort::Newest,
        (Some(other), _) => other,
    };
    for (field, value) in
        [("min_price_cents", params.min_price_cents), ("max_price_cents", params.max_price_cents)]
    {
        if value.is_some_and(|v| v < 0) {
            errors.push(FieldError::new(field, "must be 0 or more"));
        }
    }
    if let (Some(min), Some(max)) = (params.min_price_cents, params.max_price_cents)
        && min > max
    {
        errors.push(FieldError::new("max_price_cents", "must not be below min_price_cents"));
    }
    let category = params.category.as_deref().map(|c| c.trim().to_ascii_lowercase());
    if category.as_ref().is_some_and(|c| c.is_empty() || c.len() > 64) {
        errors.push(FieldError::new("category", "must be 1 to 64 characters"));
    }
    // A cursor continues the search it came from: the same words, filters and sort.
    let prices = [params.min_price_cents, params.max_price_cents].map(|p| p.map(|p| p.to_string()));
    let list = ListKey::new(
        "product.search",
        &[
            Some(sort.as_str()),
            text.as_ref().map(|t| t.as_str()),
            category.as_deref(),
            prices[0].as_deref(),
            prices[1].as_deref(),
        ],
    );
    let after = match params.cursor.as_deref().map(|c| paging::decode::<After>(&list, c)).transpose() {
        Ok(after) => after,
        Err(_) => {
            errors.push(FieldError::new("cursor", "is not a cursor of this search"));
            None
        }
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }

    let request = PageRequest::at(list, limit, after);
    let query = Search {
        text: text.as_ref(),
        category: category.as_deref(),
        min_price_cents: params.min_price_cents,
        max_price_cents: params.max_price_cents,
        sort,
        after: request.after().copied(),
        limit: request.fetch(),
    };
    let found = state.search.search(&query).await.unwrap_or_else(|error| {
        // The table can always answer, more slowly.
        tracing::warn!(error = format!("{error:#}"), "the search index failed; searching FULLTEXT");
        None
    });
    let (rows, hits) = match found {
        Some(hits) => {
            let ids: Vec<Uuid> = hits.iter().map(|hit| hit.id).collect();
            let mut rows: Vec<Product> = products::in_order(&state.pool, &ids)
                .await?
                .into_iter()
                .filter(|p| query.admits(p))
                .collect();
            rows.truncate(query.limit as usize);
            (rows, hits)
        }
        None => (products::search(&state.pool, query).await?, Vec::new()),
    };
    // The next page continues the index's order from the last hit shown: after its position
    // (past any hit the rows no longer admitted) and at its price as indexed.
    let indexed =
        |id: Uuid| hits.iter().position(|hit| hit.id == id).map(|at| (at as u32, hits[at].price_cents));
    // The index had more than the page, however many of its hits the rows dropped.
    let more = hits.len() > request.fetch() as usize;
    let Page { items, next_cursor } = request.page_unless_last(rows, more, |last| match sort {
        Sort::Relevance => {
            let skipped = match request.after() {
                Some(After::Offset { offset }) => *offset,
                _ => 0,
            };
            After::Offset { offset: skipped + indexed(last.id).map_or(limit, |(at, _)| at + 1) }
        }
        Sort::PriceAsc | Sort::PriceDesc => {
            let price_cents = indexed(last.id).map_or(last.price_cents, |(_, price)| price);
            After::Price { price_cents, id: last.id }
        }
        Sort::Newest => After::Id { id: last.id },
    })?;
    Ok(Json(ProductPage { items, next_cursor }))
}
