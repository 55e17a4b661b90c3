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
        serde_urlencoded::from_str(query)
            .map(Query)
            .map_err(|err| QueryRejection {
                reason: err.to_string(),
            })
    }
}

impl<T: DeserializeOwned + Send> FromRequestParts for Query<T> {
    type Rejection = QueryRejection;

    async fn from_request_parts(parts: &RequestParts) -> Result<Self, QueryRejection> {
        Self::parse(parts.environ.query_string())
    }
}

/// A query string that did not deserialize: answered with 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid query string: {reason}")]
pub struct QueryRejection {
    reason: String,
}

impl IntoResponse for QueryRejection {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, format!("Bad Request: {self}\n")).into_response()
    }
}
