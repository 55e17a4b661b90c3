//! The path parameters a route captured: [`Path<T>`], typed with serde, and
//! [`PathParams`], by name.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use http::StatusCode;
use serde::de::DeserializeOwned;

use super::FromRequestParts;
use super::path_de::{DeError, PathDeserializer};
use crate::request::RequestParts;
use crate::response::{IntoResponse, Response, internal_error};

/// The parameters of the route that matched, deserialized into `T` with
/// serde: one value (`Path<u64>`), a tuple by position
/// (`Path<(String, u32)>`), or a struct by name.
///
/// ```
/// use fastcgi::routing::{Path, Router, get};
/// use fastcgi::handler::from_fn;
/// use fastcgi::request::Request;
/// use fastcgi::extract::FromRequestParts;
///
/// #[derive(serde::Deserialize)]
/// struct PostId {
///     user: String,
///     post: u32,
/// }
///
/// async fn show_post(request: Request) -> String {
///     match Path::<PostId>::from_request_parts(request.parts()).await {
///         Ok(Path(id)) => format!("post {} of {}", id.post, id.user),
///         Err(rejection) => rejection.to_string(),
///     }
/// }
///
/// let app = Router::new().route("/users/{user}/posts/{post}", get(from_fn(show_post)));
/// ```
///
/// With `#[fcgi_handler]`, take it as an argument:
/// `async fn show_post(Path(id): Path<PostId>)`, or
/// `Path((user, post)): Path<(String, u32)>`.
///
/// Values are percent-decoded; a catch-all (`{*path}`) gives the rest of
/// the path, segments joined with `/`.
///
/// # Rejections
///
/// - A value that does not parse (`/items/abc` for a `u64`), or that is
///   not UTF-8: 400, saying which parameter and why.
/// - A `T` that does not fit the route (two values for a route with one
///   parameter, a struct field the route does not have), or a handler that
///   is not behind a [`Router`](crate::routing::Router): 500, with the reason on
///   FCGI_STDERR, since the code, not the client, is at fault.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Path<T>(pub T);

impl<T> Deref for Path<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + Send> FromRequestParts for Path<T> {
    type Rejection = PathRejection;

    async fn from_request_parts(parts: &RequestParts) -> Result<Self, PathRejection> {
        let Some(params) = parts.extensions().get::<PathParams>() else {
            return Err(PathRejection {
                kind: Kind::NoParams,
            });
        };
        params.deserialize().map(Path)
    }
}

/// The parameters of the route that matched, by name: for handlers that
/// look them up at run time. Empty when the route has none.
///
/// ```
/// use fastcgi::routing::PathParams;
///
/// async fn show(params: PathParams) -> String {
///     format!("{} via {}", params.get("id").unwrap_or("?"), params.route())
/// }
/// ```
#[derive(Debug, Clone, Default)]
pub struct PathParams {
    route: Arc<str>,
    /// Every value, back to back (invalid UTF-8 replaced by U+FFFD): one
    /// allocation for all of them.
    text: String,
    params: Vec<PathParam>,
}

#[derive(Debug, Clone)]
struct PathParam {
    name: Arc<str>,
    /// Where the value ends in `text`; it starts where the previous ends.
    end: usize,
    utf8: bool,
}

impl PathParams {
    /// What a route captured from the normalized path's `segments`;
    /// `None` when it has no parameters.
    pub(crate) fn capture(
        route: &Arc<str>,
        names: &Arc<[Arc<str>]>,
        segments: &[&[u8]],
        captures: &[(usize, usize)],
    ) -> Option<Self> {
        if names.is_empty() {
            return None;
        }
        let mut bytes = Vec::new();
        let mut params = Vec::with_capacity(names.len());
        for (name, &(start, end)) in names.iter().zip(captures) {
            for (i, segment) in segments[start..end].iter().enumerate() {
                if i > 0 {
                    bytes.push(b'/');
                }
                bytes.extend_from_slice(segment);
            }
            params.push(PathParam {
                name: Arc::clone(name),
                end: bytes.len(),
                utf8: true,
            });
        }
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => {
                // Replace invalid UTF-8 value by value, marking those values.
                let bytes = err.into_bytes();
                let mut text = String::with_capacity(bytes.len());
                let mut start = 0;
                for param in &mut params {
                    let value = &bytes[start..param.end];
                    param.utf8 = std::str::from_utf8(value).is_ok();
                    text.push_str(&String::from_utf8_lossy(value));
                    start = param.end;
                    param.end = text.len();
                }
                text
            }
        };
        Some(Self {
            route: Arc::clone(route),
            text,
            params,
        })
    }

    /// The value of the parameter `name`, percent-decoded (invalid UTF-8
    /// replaced by U+FFFD; [`Path`] rejects it instead).
    pub fn get(&self, name: &str) -> Option<&str> {
        let index = self.params.iter().position(|p| &*p.name == name)?;
        Some(self.value(index))
    }

    /// Every (name, value), in the order of the route.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        (0..self.params.len()).map(|i| (self.name(i), self.value(i)))
    }

    /// How many parameters the route has.
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether the route has no parameters.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// The pattern of the route that matched, e.g. `/items/{id}`; empty
    /// when there are no parameters.
    pub fn route(&self) -> &str {
        &self.route
    }

    /// The name of parameter `index`.
    pub(crate) fn name(&self, index: usize) -> &str {
        &self.params[index].name
    }

    /// The value of parameter `index`.
    pub(crate) fn value(&self, index: usize) -> &str {
        let start = index
            .checked_sub(1)
            .map_or(0, |before| self.params[before].end);
        &self.text[start..self.params[index].end]
    }

    /// Whether the value of parameter `index` was valid UTF-8.
    pub(crate) fn is_utf8(&self, index: usize) -> bool {
        self.params[index].utf8
    }

    /// The parameters as a `T`: what [`Path<T>`] does.
    pub(crate) fn deserialize<T: DeserializeOwned>(&self) -> Result<T, PathRejection> {
        T::deserialize(PathDeserializer::new(self)).map_err(|err| {
            let kind = match err {
                DeError::Value { index, reason } => Kind::Invalid {
                    name: self.name(index).to_owned(),
                    value: self.value(index).to_owned(),
                    reason,
                },
                DeError::NotUtf8 { index } => Kind::NotUtf8 {
                    name: self.name(index).to_owned(),
                },
                DeError::Shape(reason) => Kind::Mismatch {
                    route: self.route.to_string(),
                    reason,
                },
            };
            PathRejection { kind }
        })
    }
}

impl FromRequestParts for PathParams {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &RequestParts) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions()
            .get::<PathParams>()
            .cloned()
            .unwrap_or_default())
    }
}

/// Why [`Path<T>`] could not be taken: 400 when the client's path has a
/// bad value, 500 when the handler's `T` does not fit its route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRejection {
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    NoParams,
    Invalid {
        name: String,
        value: String,
        reason: String,
    },
    NotUtf8 {
        name: String,
    },
    Mismatch {
        route: String,
        reason: String,
    },
}

impl PathRejection {
    /// Whether the client's path, rather than the code, is at fault.
    pub fn is_client_error(&self) -> bool {
        matches!(self.kind, Kind::Invalid { .. } | Kind::NotUtf8 { .. })
    }

    /// The status this rejection answers with: 400 or 500.
    pub fn status(&self) -> StatusCode {
        if self.is_client_error() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

impl fmt::Display for PathRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::NoParams => f.write_str(
                "Path<T> found no path parameters: serve this handler through a Router, on a route with parameters such as `/items/{id}`",
            ),
            Kind::Invalid {
                name,
                value,
                reason,
            } => write!(f, "the path parameter `{name}` is {value:?}: {reason}"),
            Kind::NotUtf8 { name } => write!(
                f,
                "the path parameter `{name}` is not valid UTF-8 once percent-decoded"
            ),
            Kind::Mismatch { route, reason } => write!(
                f,
                "the handler's Path<T> does not fit the route `{route}`: {reason}; make T match the route's parameters"
            ),
        }
    }
}

impl std::error::Error for PathRejection {}

impl IntoResponse for PathRejection {
    fn into_response(self) -> Response {
        if self.is_client_error() {
            (StatusCode::BAD_REQUEST, format!("Bad Request: {self}\n")).into_response()
        } else {
            internal_error(&self)
        }
    }
}
