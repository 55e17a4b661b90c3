//! `Form<T>`: an `application/x-www-form-urlencoded` body.

use std::ops::Deref;

use http::StatusCode;
use serde::de::DeserializeOwned;

use super::body::buffer_body;
use super::{DEFAULT_BODY_LIMIT, FromRequest};
use crate::request::Request;
use crate::response::{IntoResponse, Response};

/// An HTML form post: the body, read whole (up to [`DEFAULT_BODY_LIMIT`])
/// and deserialized from `application/x-www-form-urlencoded` into `T`.
/// Another content type gets 415, a body that does not fit `T` 400.
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
        let bytes = buffer_body(request, DEFAULT_BODY_LIMIT)
            .await
            .map_err(FormRejection::Body)?;
        serde_urlencoded::from_bytes(&bytes)
            .map(Form)
            .map_err(|err| FormRejection::Invalid(err.to_string()))
    }
}

/// Why a `Form<T>` argument could not be taken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormRejection {
    /// The content type is not `application/x-www-form-urlencoded`: 415.
    #[error("expected a request with `Content-Type: application/x-www-form-urlencoded`, got {0:?}")]
    UnsupportedContentType(String),
    /// The body does not fit the expected type: 400.
    #[error("invalid form body: {0}")]
    Invalid(String),
    /// Reading the body failed (too large: 413; aborted: 400).
    #[error("could not read the request body")]
    Body(Response),
}

impl IntoResponse for FormRejection {
    fn into_response(self) -> Response {
        match self {
            FormRejection::UnsupportedContentType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("Unsupported Media Type: {self}\n"),
            )
                .into_response(),
            FormRejection::Invalid(_) => {
                (StatusCode::BAD_REQUEST, format!("Bad Request: {self}\n")).into_response()
            }
            FormRejection::Body(response) => response,
        }
    }
}
