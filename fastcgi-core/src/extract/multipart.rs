//! `Multipart`: a `multipart/form-data` body (file uploads), streamed field
//! by field with the `multer` crate, under a total and a per-field limit.

use bytes::Bytes;
use http::StatusCode;

use super::limit::human_size;
use super::rejection::reason;
use super::{AlreadyTaken, BodyLimit, FromRequest};
use crate::request::Request;
use crate::response::{IntoResponse, Response, internal_error};

/// A `multipart/form-data` body, read field by field as it arrives (feature
/// `multipart`, on the `multer` crate): uploads are never buffered whole.
///
/// The whole body is limited by the [`BodyLimit`] in force (2 MiB unless
/// the server or the route sets another; [`BodyLimit::unlimited`] lifts
/// it); each field by [`set_field_limit`](Self::set_field_limit) (no limit
/// of its own by default). Over either, reading fails with a
/// [`MultipartError`] that answers 413 and names the limit.
///
/// ```
/// use fastcgi::extract::Multipart;
/// use fastcgi::prelude::*;
///
/// #[fcgi_handler]
/// async fn upload(mut form: Multipart) -> Result<String, fastcgi::extract::MultipartError> {
///     form.set_field_limit(1024 * 1024);
///     let mut summary = String::new();
///     while let Some(mut field) = form.next_field().await? {
///         let name = field.name().unwrap_or("?").to_owned();
///         let mut len = 0;
///         while let Some(chunk) = field.chunk().await? {
///             len += chunk.len();
///         }
///         summary += &format!("{name}: {len} bytes\n");
///     }
///     Ok(summary)
/// }
/// ```
#[derive(Debug)]
pub struct Multipart {
    inner: multer::Multipart<'static>,
    field_limit: Option<usize>,
    limit: BodyLimit,
}

impl Multipart {
    /// Limits each field to `bytes` from now on.
    pub fn set_field_limit(&mut self, bytes: usize) {
        self.field_limit = Some(bytes);
    }

    /// The next field, or `None` after the last. The previous field must
    /// have been dropped.
    pub async fn next_field(&mut self) -> Result<Option<Field>, MultipartError> {
        let limit = self.limit;
        match self.inner.next_field().await {
            Ok(Some(inner)) => Ok(Some(Field {
                inner,
                limit: self.field_limit,
                read: 0,
                body_limit: limit,
            })),
            Ok(None) => Ok(None),
            Err(err) => Err(MultipartError::new(err, limit)),
        }
    }
}

impl FromRequest for Multipart {
    type Rejection = MultipartRejection;

    async fn from_request(request: &mut Request) -> Result<Self, MultipartRejection> {
        let content_type = request.environ().content_type().unwrap_or("").to_owned();
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("multipart/form-data") {
            return Err(MultipartRejection::UnsupportedContentType(content_type));
        }
        let boundary =
            multer::parse_boundary(&content_type).map_err(MultipartRejection::NoBoundary)?;
        let limit = BodyLimit::in_force(request.parts());
        let body = request
            .take_body()
            .ok_or(MultipartRejection::AlreadyTaken(AlreadyTaken::new("body")))?;
        let mut size = multer::SizeLimit::new();
        if let Some(bytes) = limit.bytes() {
            size = size.whole_stream(bytes as u64);
        }
        let constraints = multer::Constraints::new().size_limit(size);
        Ok(Multipart {
            inner: multer::Multipart::with_constraints(body, boundary, constraints),
            field_limit: None,
            limit,
        })
    }
}

/// One field of a [`Multipart`] body: its name, file name and content
/// type, and its content, streamed.
#[derive(Debug)]
pub struct Field {
    inner: multer::Field<'static>,
    limit: Option<usize>,
    read: usize,
    body_limit: BodyLimit,
}

impl Field {
    /// The field's name (`name=` in its Content-Disposition).
    pub fn name(&self) -> Option<&str> {
        self.inner.name()
    }

    /// The uploaded file's name, for a file field.
    pub fn file_name(&self) -> Option<&str> {
        self.inner.file_name()
    }

    /// The field's content type, as sent.
    pub fn content_type(&self) -> Option<&str> {
        self.inner.content_type().map(|mime| mime.as_ref())
    }

    /// The next chunk of the field's content, or `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, MultipartError> {
        let chunk = self
            .inner
            .chunk()
            .await
            .map_err(|err| MultipartError::new(err, self.body_limit))?;
        if let Some(chunk) = &chunk {
            self.read += chunk.len();
            if let Some(limit) = self.limit
                && self.read > limit
            {
                return Err(MultipartError::FieldTooLarge {
                    field: self.name().map(str::to_owned),
                    limit,
                });
            }
        }
        Ok(chunk)
    }

    /// The whole field, under the field limit.
    pub async fn bytes(mut self) -> Result<Bytes, MultipartError> {
        let mut all = bytes::BytesMut::new();
        while let Some(chunk) = self.chunk().await? {
            all.extend_from_slice(&chunk);
        }
        Ok(all.freeze())
    }

    /// The whole field as UTF-8 text, under the field limit.
    pub async fn text(self) -> Result<String, MultipartError> {
        let field = self.name().map(str::to_owned);
        let bytes = self.bytes().await?;
        String::from_utf8(bytes.into()).map_err(|_| MultipartError::NotUtf8 { field })
    }
}

/// Why a `Multipart` argument could not be taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MultipartRejection {
    /// The content type is not `multipart/form-data`: 415.
    #[error("expected a request with `Content-Type: multipart/form-data`, got {0:?}")]
    UnsupportedContentType(String),
    /// The content type has no usable boundary: 400.
    #[error("the multipart/form-data request has no valid boundary: {0}")]
    NoBoundary(#[source] multer::Error),
    /// Another argument took the body: 500.
    #[error(transparent)]
    AlreadyTaken(AlreadyTaken),
}

impl MultipartRejection {
    /// The status this rejection answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            MultipartRejection::UnsupportedContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            MultipartRejection::NoBoundary(_) => StatusCode::BAD_REQUEST,
            MultipartRejection::AlreadyTaken(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for MultipartRejection {
    fn into_response(self) -> Response {
        match self {
            MultipartRejection::AlreadyTaken(taken) => taken.into_response(),
            other => {
                let status = other.status();
                (status, format!("{}: {other}\n", reason(status))).into_response()
            }
        }
    }
}

/// Why reading a multipart body failed, keeping multer's cause. Return it
/// from the handler (`Result<_, MultipartError>`) to answer with it.
#[derive(Debug)]
#[non_exhaustive]
pub enum MultipartError {
    /// The whole body is over the [`BodyLimit`] in force: 413.
    TooLarge {
        /// The limit in force.
        limit: BodyLimit,
    },
    /// A field is over [`Multipart::set_field_limit`]: 413.
    FieldTooLarge {
        /// The field's name.
        field: Option<String>,
        /// The limit in bytes.
        limit: usize,
    },
    /// A field read as text is not UTF-8: 400.
    NotUtf8 {
        /// The field's name.
        field: Option<String>,
    },
    /// The body is not well-formed multipart, or ended early: 400.
    Invalid(multer::Error),
}

impl MultipartError {
    fn new(err: multer::Error, limit: BodyLimit) -> Self {
        match err {
            multer::Error::StreamSizeExceeded { .. } => MultipartError::TooLarge { limit },
            err => MultipartError::Invalid(err),
        }
    }

    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            MultipartError::TooLarge { .. } | MultipartError::FieldTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            MultipartError::NotUtf8 { .. } | MultipartError::Invalid(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl std::fmt::Display for MultipartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let field = |name: &Option<String>| match name {
            Some(name) => format!("`{name}`"),
            None => "without a name".to_owned(),
        };
        match self {
            MultipartError::TooLarge { limit } => write!(
                f,
                "the multipart body is larger than the limit of {}, {}",
                limit
                    .bytes()
                    .map_or_else(|| "memory".to_owned(), human_size),
                limit.advice()
            ),
            MultipartError::FieldTooLarge { field: name, limit } => write!(
                f,
                "the multipart field {} is larger than the limit of {}, set by the application with `Multipart::set_field_limit`",
                field(name),
                human_size(*limit)
            ),
            MultipartError::NotUtf8 { field: name } => {
                write!(f, "the multipart field {} is not valid UTF-8", field(name))
            }
            MultipartError::Invalid(err) => write!(f, "invalid multipart body: {err}"),
        }
    }
}

impl std::error::Error for MultipartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MultipartError::Invalid(err) => Some(err),
            _ => None,
        }
    }
}

impl IntoResponse for MultipartError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            return internal_error(&self);
        }
        (status, format!("{}: {self}\n", reason(status))).into_response()
    }
}
