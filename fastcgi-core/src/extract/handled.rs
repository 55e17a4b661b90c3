//! Rejections the handler handles itself: any extractor as `Option<T>`
//! (`None` instead of the rejection) or as `Result<T, T::Rejection>` (the
//! rejection, to answer as the handler sees fit).

use super::{FromRequest, FromRequestParts};
use crate::request::{Request, RequestParts};

/// `None` when `T` could not be taken, instead of answering with its
/// rejection. To tell the reasons apart, take `Result<T, T::Rejection>`.
impl<T: FromRequestParts + Send> FromRequestParts for Option<T> {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &RequestParts) -> Result<Self, Self::Rejection> {
        Ok(T::from_request_parts(parts).await.ok())
    }
}

/// `T`, or the rejection it would have answered with, for the handler to
/// answer as it sees fit (a JSON error body, a default...).
impl<T: FromRequestParts + Send> FromRequestParts for Result<T, T::Rejection>
where
    T::Rejection: Send,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &RequestParts) -> Result<Self, Self::Rejection> {
        Ok(T::from_request_parts(parts).await)
    }
}

/// `None` when `T` could not be taken, instead of answering with its
/// rejection. To tell the reasons apart, take `Result<T, T::Rejection>`.
/// Like `T`, it reads the body (if `T` does), so it comes last.
impl<M, T: FromRequest<M> + Send> FromRequest<M> for Option<T> {
    type Rejection = std::convert::Infallible;

    async fn from_request(request: &mut Request) -> Result<Self, Self::Rejection> {
        Ok(T::from_request(request).await.ok())
    }
}

/// `T`, or the rejection it would have answered with, for the handler to
/// answer as it sees fit:
///
/// ```
/// use fastcgi::extract::{Json, JsonRejection};
/// use fastcgi::response::StatusCode;
///
/// #[derive(serde::Deserialize)]
/// struct NewNote { text: String }
///
/// async fn create(note: Result<Json<NewNote>, JsonRejection>) -> (StatusCode, String) {
///     match note {
///         Ok(Json(note)) => (StatusCode::CREATED, note.text),
///         Err(rejection) => (rejection.status(), format!("{{\"error\":{:?}}}", rejection.to_string())),
///     }
/// }
/// ```
impl<M, T: FromRequest<M> + Send> FromRequest<M> for Result<T, T::Rejection>
where
    T::Rejection: Send,
{
    type Rejection = std::convert::Infallible;

    async fn from_request(request: &mut Request) -> Result<Self, Self::Rejection> {
        Ok(T::from_request(request).await)
    }
}
