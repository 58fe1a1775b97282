use std::time::Duration;

use axum::{
    extract::{Request, State},
    http::{HeaderMap, header},
};
use common::{
    AppError, Problem,
    http::{Json, RequestDeadline},
    rbac::{AuthUser, Permission},
};
use tokio::time::Instant;

use crate::{
    domain::ProductInput,
    import::{self, Cut, Limits, Lines, Report, Stopped},
    state::AppState,
};

/// The longest line: a product at its largest (5,000 characters of description, each up to
/// four bytes, escaped) fits.
const IMPORT_LINE_BYTES: usize = 64 * 1024;
/// The longest an import may take; a client that stops sending is cut off sooner, by the idle
/// timeout.
const IMPORT_TIME: Duration = Duration::from_secs(3600);

const NDJSON: &str = "application/x-ndjson";

/// Load products in bulk (admins): NDJSON, one product per line, as `POST /product` takes it; a
/// line whose sku exists replaces that product, as `PUT` does. Read and applied as it arrives,
/// in batches of 1,000 lines, each batch in one transaction: lines applied before a cut-off
/// (body over 1 GiB, client gone) stay applied, and sending the same import again changes only
/// what differs.
#[utoipa::path(
    post, path = "/product/import", tag = "product", security(("bearer" = [])),
    request_body(content = Vec<ProductInput>, content_type = "application/x-ndjson", description = "One product per line (NDJSON: each item of this array as one line of JSON); at most 64 KiB per line and `PRODUCT_IMPORT_MAX_BYTES` (1 GiB) in all"),
    responses(
        (status = 200, description = "Counts, and the first 100 rejected lines with their numbers and reasons", body = Report),
        (status = 400, description = "The body broke off; the detail says how many lines were applied before", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over 1 GiB; the detail says how many lines were applied before", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `application/x-ndjson`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn import(
    State(state): State<AppState>,
    user: AuthUser,
    deadline: RequestDeadline,
    request: Request,
) -> Result<Json<Report>, AppError> {
    // Who asks, and what they send, before a byte of the body is read.
    user.require(Permission::ManageCatalog)?;
    let headers = request.headers();
    if !is_ndjson(headers) {
        return Err(AppError::NotMediaType(NDJSON));
    }
    let most = state.settings.import_max_bytes;
    if declared_length(headers).is_some_and(|length| length > most) {
        return Err(AppError::BodyTooLarge(format!("an import is at most {most} bytes; nothing was read")));
    }
    deadline.extend(Instant::now() + IMPORT_TIME);
    let limits = Limits { body_bytes: most, line_bytes: IMPORT_LINE_BYTES };
    match import::run(&state, Lines::new(request.into_body(), limits)).await {
        Ok(report) => {
            tracing::info!(
                created = report.created,
                updated = report.updated,
                unchanged = report.unchanged,
                rejected = report.rejected,
                "catalogue imported"
            );
            Ok(Json(report))
        }
        Err(Stopped::Cut(Cut::TooLarge, report)) => {
            Err(AppError::BodyTooLarge(format!("an import is at most {most} bytes; {}", applied(&report))))
        }
        Err(Stopped::Cut(Cut::Broken, report)) => {
            tracing::warn!(applied = applied(&report), "import body broke off");
            Err(AppError::BadRequest(format!("the body broke off; {}", applied(&report))))
        }
        Err(Stopped::Failed(error)) => Err(error),
    }
}

fn applied(report: &Report) -> String {
    format!(
        "applied before that: {} created, {} updated, {} unchanged, {} rejected",
        report.created, report.updated, report.unchanged, report.rejected
    )
}

fn is_ndjson(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(NDJSON))
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}
