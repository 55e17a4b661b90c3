//! `TypedHeader<T>`: a request header decoded by the `headers` crate from
//! the meta-variable it arrives as (`HTTP_USER_AGENT`, `CONTENT_TYPE`...).

use std::ops::Deref;

use http::{HeaderName, HeaderValue, StatusCode};

use super::FromRequestParts;
use crate::cgi::{HeaderVariable, header_variable};
use crate::request::RequestParts;
use crate::response::{IntoResponse, Response};

/// A request header, typed (feature `typed-header`, on the `headers`
/// crate, re-exported as [`headers`](crate::extract::headers)): `TypedHeader<UserAgent>`,
/// `TypedHeader<Authorization<Bearer>>`, `TypedHeader<IfModifiedSince>`...
///
/// A missing or malformed header answers 400 naming it; take
/// `Option<TypedHeader<T>>` when it is optional.
///
/// ```
/// use fastcgi::extract::TypedHeader;
/// use fastcgi::extract::headers::UserAgent;
/// use fastcgi::prelude::*;
///
/// #[fcgi_handler]
/// async fn show_agent(TypedHeader(agent): TypedHeader<UserAgent>) -> String {
///     agent.as_str().to_owned()
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypedHeader<T>(pub T);

impl<T> Deref for TypedHeader<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: headers::Header + Send> FromRequestParts for TypedHeader<T> {
    type Rejection = TypedHeaderRejection;

    async fn from_request_parts(parts: &RequestParts) -> Result<Self, TypedHeaderRejection> {
        let name = T::name();
        let missing = || TypedHeaderRejection {
            name: name.clone(),
            problem: Problem::Missing,
        };
        let variable = match header_variable(name.as_str()) {
            HeaderVariable::Own(variable) => variable.to_owned(),
            HeaderVariable::Http(variable) => String::from_utf8(variable).map_err(|_| missing())?,
            // Headers web servers do not pass on (hop-by-hop ones).
            HeaderVariable::Withheld => return Err(missing()),
        };
        let raw = parts.environ().get_bytes(&variable).ok_or_else(missing)?;
        let invalid = |err| TypedHeaderRejection {
            name: name.clone(),
            problem: Problem::Invalid(err),
        };
        let value = HeaderValue::from_bytes(raw).map_err(|_| invalid(headers::Error::invalid()))?;
        T::decode(&mut std::iter::once(&value))
            .map(TypedHeader)
            .map_err(invalid)
    }
}

/// A typed header that is missing or does not decode: 400, naming it.
#[derive(Debug)]
pub struct TypedHeaderRejection {
    name: HeaderName,
    problem: Problem,
}

#[derive(Debug)]
enum Problem {
    Missing,
    Invalid(headers::Error),
}

impl TypedHeaderRejection {
    /// The header's name.
    pub fn name(&self) -> &HeaderName {
        &self.name
    }

    /// Whether the header is missing (rather than malformed).
    pub fn is_missing(&self) -> bool {
        matches!(self.problem, Problem::Missing)
    }

    /// The status this rejection answers with: 400.
    pub fn status(&self) -> StatusCode {
        StatusCode::BAD_REQUEST
    }
}

impl std::fmt::Display for TypedHeaderRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.problem {
            Problem::Missing => write!(
                f,
                "the request has no `{}` header, which this resource requires",
                self.name
            ),
            Problem::Invalid(_) => write!(f, "the request's `{}` header is invalid", self.name),
        }
    }
}

impl std::error::Error for TypedHeaderRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            Problem::Invalid(err) => Some(err),
            Problem::Missing => None,
        }
    }
}

impl IntoResponse for TypedHeaderRejection {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, format!("Bad Request: {self}\n")).into_response()
    }
}
