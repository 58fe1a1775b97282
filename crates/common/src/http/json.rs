//! A `Json` extractor whose rejections are problem+json, with the statuses of the API contract:
//! malformed JSON or a wrong type 400, not JSON 415, too large 413.

use axum::{
    extract::{FromRequest, rejection::JsonRejection},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::AppError;

/// JSON in (with contract-conformant rejections) and JSON out.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType,
            JsonRejection::BytesRejection(e) if e.status() == http::StatusCode::PAYLOAD_TOO_LARGE => {
                AppError::PayloadTooLarge
            }
            // serde's message names the field and position, never server internals.
            JsonRejection::JsonDataError(e) => AppError::BadRequest(e.body_text()),
            JsonRejection::JsonSyntaxError(e) => AppError::BadRequest(e.body_text()),
            other => AppError::BadRequest(other.body_text()),
        }
    }
}
