//! `Form<T>`: an `application/x-www-form-urlencoded` body.

use std::ops::Deref;

use http::StatusCode;
use serde::de::DeserializeOwned;

use super::body::buffer_body;
use super::query::{UrlencodedError, deserialize_urlencoded};
use super::rejection::reason;
use super::{BodyRejection, FromRequest};
use crate::request::Request;
use crate::response::{IntoResponse, Response};

/// An HTML form post: the body, read whole (up to the
/// [`BodyLimit`](super::BodyLimit) in force) and deserialized from
/// `application/x-www-form-urlencoded` into `T`. Another content type gets
/// 415, a body that does not fit `T` 422 naming the field, a body over the
/// limit 413.
///
/// ```
/// use fastcgi::extract::Form;
///
/// #[derive(serde::Deserialize)]
/// struct Login { user: String, password: String }
///
/// async fn login(Form(login): Form<Login>) -> String {
///     format!("hello {}", login.user)
/// }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Form<T>(pub T);

impl<T> Deref for Form<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + Send> FromRequest for Form<T> {
    type Rejection = FormRejection;

    async fn from_request(request: &mut Request) -> Result<Self, FormRejection> {
        let content_type = request.environ().content_type().unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(FormRejection::UnsupportedContentType(
                content_type.to_owned(),
            ));
        }
        let bytes = buffer_body(request).await.map_err(FormRejection::Body)?;
        deserialize_urlencoded(&bytes)
            .map(Form)
            .map_err(FormRejection::Invalid)
    }
}

/// Why a `Form<T>` argument could not be taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormRejection {
    /// The content type is not `application/x-www-form-urlencoded`: 415.
    #[error("expected a request with `Content-Type: application/x-www-form-urlencoded`, got {0:?}")]
    UnsupportedContentType(String),
    /// The body does not fit the expected type: 422, naming the field.
    #[error("invalid form body: {0}")]
    Invalid(UrlencodedError),
    /// Reading the body failed: see [`BodyRejection`].
    #[error(transparent)]
    Body(BodyRejection),
}

impl FormRejection {
    /// The status this rejection answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            FormRejection::UnsupportedContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            FormRejection::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            FormRejection::Body(body) => body.status(),
        }
    }
}

impl IntoResponse for FormRejection {
    fn into_response(self) -> Response {
        match self {
            FormRejection::Body(body) => body.into_response(),
            other => {
                let status = other.status();
                (status, format!("{}: {other}\n", reason(status))).into_response()
            }
        }
    }
}
