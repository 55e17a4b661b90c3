//! `Json<T>`: a JSON request body in, any serde type out as JSON.

use std::ops::Deref;

use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::body::buffer_body;
use super::rejection::reason;
use super::{BodyRejection, FromRequest};
use crate::request::Request;
use crate::response::{IntoResponse, Response, ResponseBody, internal_error};

/// JSON in both directions.
///
/// As an argument: the body, read whole (up to the
/// [`BodyLimit`](super::BodyLimit) in force) and deserialized into `T`. A
/// `CONTENT_TYPE` other than `application/json` (or `*/*+json`) gets 415,
/// a body that is not JSON 400 (with the line and column), JSON that does
/// not fit `T` 422 (with the path to the field at fault, as in
/// `items[2].name: invalid type`), a body over the limit 413. Take
/// `Result<Json<T>, JsonRejection>` to answer those yourself.
///
/// As a return value: `T` serialized, `Content-Type: application/json`.
///
/// ```
/// use fastcgi::extract::Json;
///
/// #[derive(serde::Deserialize, serde::Serialize)]
/// struct Item { name: String, n: u32 }
///
/// async fn double(Json(mut item): Json<Item>) -> Json<Item> {
///     item.n *= 2;
///     Json(item)
/// }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T> Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}

impl<T: DeserializeOwned + Send> FromRequest for Json<T> {
    type Rejection = JsonRejection;

    async fn from_request(request: &mut Request) -> Result<Self, JsonRejection> {
        let content_type = request.environ().content_type().unwrap_or("");
        if !is_json(content_type) {
            return Err(JsonRejection::UnsupportedContentType(
                content_type.to_owned(),
            ));
        }
        let bytes = buffer_body(request).await.map_err(JsonRejection::Body)?;
        parse(&bytes).map(Json)
    }
}

/// Deserializes `bytes`, telling syntax errors (with their position) from
/// data errors (with the path to the field at fault).
fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonRejection> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let source = err.into_inner();
        match source.classify() {
            serde_json::error::Category::Data => JsonRejection::Data { path, source },
            _ => JsonRejection::Syntax { source },
        }
    })?;
    // Trailing characters after the value.
    deserializer
        .end()
        .map_err(|source| JsonRejection::Syntax { source })?;
    Ok(value)
}

/// Why a `Json<T>` argument could not be taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JsonRejection {
    /// The request's content type is not JSON: 415.
    #[error("expected a request with `Content-Type: application/json`, got {0:?}")]
    UnsupportedContentType(String),
    /// The body is not JSON (or ends early): 400. serde_json's message
    /// names the line and column.
    #[error("the request body is not valid JSON: {source}")]
    Syntax {
        /// serde_json's error, with [`line`](serde_json::Error::line) and
        /// [`column`](serde_json::Error::column).
        source: serde_json::Error,
    },
    /// The body is JSON, but does not fit the expected type: 422, naming
    /// the field at fault.
    #[error("{}{source}", field_prefix(path))]
    Data {
        /// Where in the document: `items[2].name`; `.` for the whole value.
        path: String,
        /// serde's explanation.
        source: serde_json::Error,
    },
    /// Reading the body failed: see [`BodyRejection`].
    #[error(transparent)]
    Body(BodyRejection),
}

fn field_prefix(path: &str) -> String {
    if path == "." {
        String::new()
    } else {
        format!("{path}: ")
    }
}

impl JsonRejection {
    /// The status this rejection answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            JsonRejection::UnsupportedContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            JsonRejection::Syntax { .. } => StatusCode::BAD_REQUEST,
            JsonRejection::Data { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            JsonRejection::Body(body) => body.status(),
        }
    }
}

impl IntoResponse for JsonRejection {
    fn into_response(self) -> Response {
        match self {
            JsonRejection::Body(body) => body.into_response(),
            other => {
                let status = other.status();
                (status, format!("{}: {other}\n", reason(status))).into_response()
            }
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(bytes) => {
                let mut response = Response::new(ResponseBody::full(bytes));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    const { HeaderValue::from_static("application/json") },
                );
                response
            }
            Err(err) => internal_error(&format!("could not serialize the JSON response: {err}")),
        }
    }
}
