//! [`IntoResponse`]: what a handler may return.

use std::borrow::Cow;
use std::convert::Infallible;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};

use super::{Response, ResponseBody};
use crate::cgi::{INTERNAL_ERROR_BODY, INTERNAL_ERROR_CONTENT_TYPE};

/// Turns a handler's return value into a [`Response`].
///
/// Implemented for text (`&'static str`, `String`: `text/plain;
/// charset=utf-8`), bytes (`Vec<u8>`, `Bytes`: `application/octet-stream`),
/// [`Json`](crate::extract::Json), [`Html`](super::Html),
/// [`StatusCode`], `(StatusCode, T)`, `(StatusCode, headers, T)`,
/// `(headers, T)`, [`Redirect`](super::Redirect),
/// [`StreamBody`](super::StreamBody), [`Ndjson`](super::Ndjson),
/// `Result<T, E>` where both are `IntoResponse`, `()` (an empty 200), and
/// [`Response`] itself.
///
/// Implement it for your own types to return them from handlers:
///
/// ```
/// use fastcgi::response::{IntoResponse, Response, StatusCode};
///
/// enum AppError { NotFound, Database(String) }
///
/// impl IntoResponse for AppError {
///     fn into_response(self) -> Response {
///         match self {
///             AppError::NotFound => (StatusCode::NOT_FOUND, "no such item").into_response(),
///             AppError::Database(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
///         }
///     }
/// }
/// assert_eq!(AppError::NotFound.into_response().status(), 404);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a FastCGI handler",
    label = "this type does not implement `IntoResponse`",
    note = "return text, bytes, `Json<T>`, `Html<T>`, `StatusCode`, `(StatusCode, T)`, `Redirect`, `StreamBody`, `Ndjson`, `Result<T, E>` or `Response`, or implement `IntoResponse` for `{Self}`"
)]
pub trait IntoResponse {
    /// Builds the response.
    fn into_response(self) -> Response;
}

/// A 500 response for an error the server knows how to explain; the
/// explanation goes to FCGI_STDERR when the response is written.
pub(crate) fn internal_error(err: &dyn std::fmt::Display) -> Response {
    let mut response = Response::new(ResponseBody::full(INTERNAL_ERROR_BODY));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(INTERNAL_ERROR_CONTENT_TYPE),
    );
    response.extensions_mut().insert(ServerLog(err.to_string()));
    response
}

/// A line the server writes to the request's FCGI_STDERR with the
/// response: why the response is an error, for the web server's log.
#[derive(Debug, Clone)]
pub(crate) struct ServerLog(pub(crate) String);

fn with_content_type(body: ResponseBody, content_type: HeaderValue) -> Response {
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
}

impl<B: Into<ResponseBody>> IntoResponse for http::Response<B> {
    fn into_response(self) -> Response {
        self.map(Into::into)
    }
}

impl IntoResponse for ResponseBody {
    fn into_response(self) -> Response {
        Response::new(self)
    }
}

impl IntoResponse for () {
    fn into_response(self) -> Response {
        Response::new(ResponseBody::empty())
    }
}

/// A 500, with the error on the request's FCGI_STDERR (the web server's
/// error log): lets blocking handlers return `std::io::Result<()>`.
impl IntoResponse for std::io::Error {
    fn into_response(self) -> Response {
        internal_error(&format!("I/O error: {self}"))
    }
}

impl IntoResponse for Infallible {
    fn into_response(self) -> Response {
        match self {}
    }
}

// Built at compile time: `from_static` checks every byte when it runs.
const fn text() -> HeaderValue {
    HeaderValue::from_static("text/plain; charset=utf-8")
}

const fn octets() -> HeaderValue {
    HeaderValue::from_static("application/octet-stream")
}

impl IntoResponse for &'static str {
    fn into_response(self) -> Response {
        with_content_type(ResponseBody::full(self), const { text() })
    }
}

impl IntoResponse for String {
    fn into_response(self) -> Response {
        with_content_type(ResponseBody::full(self), const { text() })
    }
}

impl IntoResponse for Cow<'static, str> {
    fn into_response(self) -> Response {
        match self {
            Cow::Borrowed(s) => s.into_response(),
            Cow::Owned(s) => s.into_response(),
        }
    }
}

impl IntoResponse for Vec<u8> {
    fn into_response(self) -> Response {
        with_content_type(ResponseBody::full(self), const { octets() })
    }
}

impl IntoResponse for Bytes {
    fn into_response(self) -> Response {
        with_content_type(ResponseBody::full(self), const { octets() })
    }
}

impl IntoResponse for &'static [u8] {
    fn into_response(self) -> Response {
        with_content_type(ResponseBody::full(self), const { octets() })
    }
}

/// A response with that status and no body.
impl IntoResponse for StatusCode {
    fn into_response(self) -> Response {
        let mut response = Response::new(ResponseBody::empty());
        *response.status_mut() = self;
        response
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    fn into_response(self) -> Response {
        match self {
            Ok(value) => value.into_response(),
            Err(err) => err.into_response(),
        }
    }
}

impl<T: IntoResponse> IntoResponse for (StatusCode, T) {
    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        *response.status_mut() = self.0;
        response
    }
}

impl<H: ResponseHeaders, T: IntoResponse> IntoResponse for (H, T) {
    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        match self.0.apply(response.headers_mut()) {
            Ok(()) => response,
            Err(err) => internal_error(&err),
        }
    }
}

impl<H: ResponseHeaders, T: IntoResponse> IntoResponse for (StatusCode, H, T) {
    fn into_response(self) -> Response {
        let mut response = (self.1, self.2).into_response();
        if response.extensions().get::<ServerLog>().is_none() {
            *response.status_mut() = self.0;
        }
        response
    }
}

/// Headers that can be added to a response in a tuple: a [`HeaderMap`], or
/// an array of `(name, value)` pairs given as strings or as typed
/// [`HeaderName`]/[`HeaderValue`]s.
///
/// Headers replace those of the same name that the body set (so a
/// `Content-Type` here wins). An invalid name or value (CR, LF, NUL...)
/// turns the response into a 500, with the reason on FCGI_STDERR.
///
/// ```
/// use fastcgi::response::{IntoResponse, StatusCode};
/// let response = (
///     StatusCode::CREATED,
///     [("location", "/items/7"), ("x-request", "7")],
///     "created",
/// )
///     .into_response();
/// assert_eq!(response.status(), 201);
/// assert_eq!(response.headers()["x-request"], "7");
/// ```
pub trait ResponseHeaders {
    /// Adds the headers to `headers`.
    fn apply(self, headers: &mut HeaderMap) -> Result<(), InvalidHeader>;
}

/// A header that cannot be sent.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "invalid response header {name:?}: header names are tokens and values may not contain CR, LF, NUL or other control characters"
)]
pub struct InvalidHeader {
    name: String,
}

impl InvalidHeader {
    #[cfg_attr(not(feature = "cookies"), allow(dead_code))]
    pub(crate) fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
        }
    }
}

impl ResponseHeaders for HeaderMap {
    fn apply(self, headers: &mut HeaderMap) -> Result<(), InvalidHeader> {
        let mut last = None;
        for (name, value) in self {
            // `None` names continue the previous name's values.
            if let Some(name) = name {
                headers.remove(&name);
                last = Some(name);
            }
            if let Some(name) = &last {
                headers.append(name.clone(), value);
            }
        }
        Ok(())
    }
}

impl<K, V, const N: usize> ResponseHeaders for [(K, V); N]
where
    K: TryInto<HeaderName> + AsRef<str>,
    V: TryInto<HeaderValue>,
{
    fn apply(self, headers: &mut HeaderMap) -> Result<(), InvalidHeader> {
        let mut set = Vec::with_capacity(N);
        for (name, value) in self {
            let shown = name.as_ref().to_owned();
            let invalid = || InvalidHeader {
                name: shown.clone(),
            };
            let name: HeaderName = name.try_into().map_err(|_| invalid())?;
            let value: HeaderValue = value.try_into().map_err(|_| invalid())?;
            set.push((name, value));
        }
        for (name, _) in &set {
            headers.remove(name);
        }
        for (name, value) in set {
            headers.append(name, value);
        }
        Ok(())
    }
}
