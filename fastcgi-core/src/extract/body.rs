//! Buffered bodies: bytes and text, and the Filter role's FCGI_DATA.

use bytes::Bytes;
use http::StatusCode;

use super::{DEFAULT_BODY_LIMIT, FromRequest};
use crate::request::{Body, BodyError, Request};
use crate::response::{IntoResponse, Response, ResponseBody, internal_error};

/// Reads the whole body under `limit`, mapping failures to responses:
/// 413 when too large, 400 when the request was aborted mid-body.
pub(crate) async fn buffer_body(request: &mut Request, limit: usize) -> Result<Bytes, Response> {
    let Some(body) = request.take_body() else {
        return Err(internal_error(&BodyError::AlreadyTaken));
    };
    body.to_bytes(limit).await.map_err(body_error_response)
}

pub(crate) fn body_error_response(err: BodyError) -> Response {
    match err {
        BodyError::TooLarge { .. } => (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Payload Too Large: {err}\n"),
        )
            .into_response(),
        BodyError::Aborted => {
            (StatusCode::BAD_REQUEST, format!("Bad Request: {err}\n")).into_response()
        }
        BodyError::TimedOut { .. } => (
            StatusCode::REQUEST_TIMEOUT,
            format!("Request Timeout: {err}\n"),
        )
            .into_response(),
        err => internal_error(&err),
    }
}

/// The whole body, read before the handler runs (up to
/// [`DEFAULT_BODY_LIMIT`]; 413 beyond).
impl FromRequest for Bytes {
    type Rejection = Response;

    async fn from_request(request: &mut Request) -> Result<Self, Response> {
        buffer_body(request, DEFAULT_BODY_LIMIT).await
    }
}

/// The whole body as bytes (see `Bytes`).
impl FromRequest for Vec<u8> {
    type Rejection = Response;

    async fn from_request(request: &mut Request) -> Result<Self, Response> {
        buffer_body(request, DEFAULT_BODY_LIMIT)
            .await
            .map(Vec::from)
    }
}

/// The whole body as UTF-8 text, read before the handler runs (up to
/// [`DEFAULT_BODY_LIMIT`]): 400 when it is not UTF-8, 413 when too large.
/// As a response, `text/plain; charset=utf-8`.
///
/// (A plain `String` argument is a CGI meta-variable, taken by name.)
///
/// ```
/// use fastcgi::extract::Text;
/// async fn shout(Text(body): Text) -> String {
///     body.to_uppercase()
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(pub String);

impl FromRequest for Text {
    type Rejection = Response;

    async fn from_request(request: &mut Request) -> Result<Self, Response> {
        let bytes = buffer_body(request, DEFAULT_BODY_LIMIT).await?;
        String::from_utf8(bytes.into()).map(Text).map_err(|_| {
            (
                StatusCode::BAD_REQUEST,
                "Bad Request: the request body is not valid UTF-8\n",
            )
                .into_response()
        })
    }
}

impl IntoResponse for Text {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

/// The Filter role's FCGI_DATA stream: the file the web server asks the
/// application to filter, streamed after the body. Its last-modified time
/// and length are the meta-variables `FCGI_DATA_LAST_MOD` and
/// `FCGI_DATA_LENGTH`. For other roles it is an empty stream.
#[derive(Debug)]
pub struct Data(pub Body);

impl FromRequest for Data {
    type Rejection = std::convert::Infallible;

    async fn from_request(request: &mut Request) -> Result<Self, Self::Rejection> {
        Ok(Data(request.take_data().unwrap_or_else(Body::empty)))
    }
}

impl From<Text> for ResponseBody {
    fn from(text: Text) -> Self {
        ResponseBody::full(text.0)
    }
}
