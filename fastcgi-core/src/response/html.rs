use super::{IntoResponse, Response, ResponseBody};

/// An HTML response: `Content-Type: text/html; charset=utf-8`.
///
/// ```
/// use fastcgi::response::{Html, IntoResponse};
/// let response = Html("<h1>hi</h1>").into_response();
/// assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Html<T>(pub T);

impl<T: Into<ResponseBody>> IntoResponse for Html<T> {
    fn into_response(self) -> Response {
        let mut response = Response::new(self.0.into());
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            const { http::HeaderValue::from_static("text/html; charset=utf-8") },
        );
        response
    }
}
