//! `Json<T>`: a JSON request body in, any serde type out as JSON.

use std::ops::Deref;

use http::{HeaderValue, StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::body::buffer_body;
use super::{DEFAULT_BODY_LIMIT, FromRequest};
use crate::request::Request;
use crate::response::{IntoResponse, Response, ResponseBody, internal_error};

/// JSON in both directions.
///
/// As an argument: the body, read whole (up to
/// [`DEFAULT_BODY_LIMIT`]) and deserialized into `T`. A `CONTENT_TYPE` other
/// than `application/json` (or `*/*+json`) gets 415, a body that does not
/// fit `T` gets 400 with serde's explanation, a body over the limit 413.
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
        let bytes = buffer_body(request, DEFAULT_BODY_LIMIT)
            .await
            .map_err(JsonRejection::Body)?;
        serde_json::from_slice(&bytes)
            .map(Json)
            .map_err(|err| JsonRejection::Invalid(err.to_string()))
    }
}

/// Why a `Json<T>` argument could not be taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JsonRejection {
    /// The request's content type is not JSON: 415.
    #[error("expected a request with `Content-Type: application/json`, got {0:?}")]
    UnsupportedContentType(String),
    /// The body is not valid JSON for the expected type: 400.
    #[error("invalid JSON body: {0}")]
    Invalid(String),
    /// Reading the body failed (too large: 413; aborted: 400).
    #[error("could not read the request body")]
    Body(Response),
}

impl IntoResponse for JsonRejection {
    fn into_response(self) -> Response {
        match self {
            JsonRejection::UnsupportedContentType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("Unsupported Media Type: {self}\n"),
            )
                .into_response(),
            JsonRejection::Invalid(_) => {
                (StatusCode::BAD_REQUEST, format!("Bad Request: {self}\n")).into_response()
            }
            JsonRejection::Body(response) => response,
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
