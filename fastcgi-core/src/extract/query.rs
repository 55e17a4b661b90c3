//! `Query<T>`: the query string, deserialized.

use std::ops::Deref;

use http::StatusCode;
use serde::de::DeserializeOwned;

use super::FromRequestParts;
use crate::request::RequestParts;
use crate::response::{IntoResponse, Response};

/// The query string (`QUERY_STRING`) deserialized into `T` with
/// `serde_urlencoded`. A query that does not fit `T` is answered with 400
/// and serde's explanation.
///
/// ```
/// use fastcgi::extract::Query;
///
/// #[derive(serde::Deserialize)]
/// struct Listing {
///     path: String,
///     #[serde(default)]
///     hidden: bool,
/// }
///
/// async fn list(Query(listing): Query<Listing>) -> String {
///     format!("{} {}", listing.path, listing.hidden)
/// }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Query<T>(pub T);

impl<T> Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> Query<T> {
    /// Deserializes a query string.
    pub fn parse(query: &str) -> Result<Self, QueryRejection> {
        deserialize_urlencoded(query.as_bytes())
            .map(Query)
            .map_err(|error| QueryRejection { error })
    }
}

impl<T: DeserializeOwned + Send> FromRequestParts for Query<T> {
    type Rejection = QueryRejection;

    async fn from_request_parts(parts: &RequestParts) -> Result<Self, QueryRejection> {
        Self::parse(parts.environ.query_string())
    }
}

/// A query string that did not deserialize: answered with 400, naming the
/// field at fault (`b: invalid digit found in string`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("invalid query string: {error}")]
pub struct QueryRejection {
    error: UrlencodedError,
}

impl QueryRejection {
    /// The field at fault, when there is one (a missing or unparsable
    /// field; not a malformed query as a whole).
    pub fn field(&self) -> Option<&str> {
        self.error.field()
    }

    /// The status this rejection answers with: 400.
    pub fn status(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }
}

impl IntoResponse for QueryRejection {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, format!("Bad Request: {self}\n")).into_response()
    }
}

/// An urlencoded query or form that does not fit the expected type, with
/// the field at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct UrlencodedError {
    field: Option<String>,
    source: serde_urlencoded::de::Error,
}

impl UrlencodedError {
    /// The field at fault, if serde names one.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

impl std::fmt::Display for UrlencodedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.source),
            None => write!(f, "{}", self.source),
        }
    }
}

impl std::error::Error for UrlencodedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Deserializes an urlencoded query or form, keeping the path to the field
/// at fault (serde_urlencoded alone says `invalid digit found in string`
/// without saying where).
pub(crate) fn deserialize_urlencoded<T: DeserializeOwned>(
    bytes: &[u8],
) -> Result<T, UrlencodedError> {
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(bytes));
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        UrlencodedError {
            field: (path != ".").then_some(path),
            source: err.into_inner(),
        }
    })
}
