//! Buffered bodies: bytes and text, and the Filter role's FCGI_DATA.

use bytes::Bytes;
use http::StatusCode;

use super::rejection::reason;
use super::{BodyLimit, BodyRejection, FromRequest, LeavesBody};
use crate::request::{Body, Request};
use crate::response::{IntoResponse, Response, ResponseBody};

/// Reads the whole body under the [`BodyLimit`] in force.
pub(crate) async fn buffer_body(request: &mut Request) -> Result<Bytes, BodyRejection> {
    let limit = BodyLimit::in_force(&request.parts);
    let Some(body) = request.take_body() else {
        return Err(BodyRejection::AlreadyTaken);
    };
    body.to_bytes(limit.bytes().unwrap_or(usize::MAX))
        .await
        .map_err(|err| BodyRejection::from_body_error(err, limit))
}

/// The whole body, read before the handler runs (up to the [`BodyLimit`]
/// in force; 413 beyond).
impl FromRequest for Bytes {
    type Rejection = BodyRejection;

    async fn from_request(request: &mut Request) -> Result<Self, BodyRejection> {
        buffer_body(request).await
    }
}

/// The whole body as bytes (see `Bytes`).
impl FromRequest for Vec<u8> {
    type Rejection = BodyRejection;

    async fn from_request(request: &mut Request) -> Result<Self, BodyRejection> {
        buffer_body(request).await.map(Vec::from)
    }
}

/// The whole body as UTF-8 text, read before the handler runs (up to the
/// [`BodyLimit`] in force): 400 when it is not UTF-8, 413 when too large.
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
    type Rejection = TextRejection;

    async fn from_request(request: &mut Request) -> Result<Self, TextRejection> {
        let bytes = buffer_body(request).await.map_err(TextRejection::Body)?;
        String::from_utf8(bytes.into())
            .map(Text)
            .map_err(|err| TextRejection::NotUtf8(err.utf8_error()))
    }
}

/// Why a `Text` argument could not be taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TextRejection {
    /// The body is not UTF-8: 400.
    #[error("the request body is not valid UTF-8: {0}")]
    NotUtf8(#[source] std::str::Utf8Error),
    /// Reading the body failed: see [`BodyRejection`].
    #[error(transparent)]
    Body(BodyRejection),
}

impl TextRejection {
    /// The status this rejection answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            TextRejection::NotUtf8(_) => StatusCode::BAD_REQUEST,
            TextRejection::Body(body) => body.status(),
        }
    }
}

impl IntoResponse for TextRejection {
    fn into_response(self) -> Response {
        match self {
            TextRejection::Body(body) => body.into_response(),
            other => {
                let status = other.status();
                (status, format!("{}: {other}\n", reason(status))).into_response()
            }
        }
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

impl FromRequest<LeavesBody> for Data {
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
