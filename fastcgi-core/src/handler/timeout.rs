//! A time limit on one handler: what [`Router::timeout`](crate::routing::Router::timeout)
//! and [`MethodRouter::timeout`](crate::routing::MethodRouter::timeout)
//! wrap routes in.

use std::time::Duration;

use http::{HeaderValue, StatusCode, header};

use super::{DescribeFn, Handler};
use crate::request::Request;
use crate::response::{Response, ResponseBody, ServerLog};

/// Marks the answer of a handler cancelled by its time limit, so the
/// server counts it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimedOut;

/// `handler`, cancelled after `limit`: a request over it is answered
/// `503 Service Unavailable` with the text body `Request timed out` (as
/// Go's `http.TimeoutHandler` answers), and a line on FCGI_STDERR names
/// the method, `REQUEST_URI` and the limit. A response the handler had
/// begun writing through its [`ResponseWriter`](crate::response::ResponseWriter)
/// is ended where it stands instead.
///
/// ```
/// use std::time::Duration;
/// use fastcgi::handler::{Timeout, from_fn};
///
/// let slow = Timeout::new(from_fn(|_| async { "done" }), Duration::from_secs(5));
/// # let _ = slow;
/// ```
#[derive(Debug, Clone)]
pub struct Timeout<H> {
    handler: H,
    limit: Duration,
}

impl<H: Handler> Timeout<H> {
    /// `handler` with at most `limit` per request.
    pub fn new(handler: H, limit: Duration) -> Self {
        Self { handler, limit }
    }
}

impl<H: Handler> Handler for Timeout<H> {
    async fn call(&self, request: Request) -> Response {
        let environ = request.environ();
        // Copied now: the request moves into the handler. Only routes with
        // a limit pay for it.
        let method = environ.request_method().unwrap_or("").to_owned();
        let uri = environ.get("REQUEST_URI").unwrap_or("").to_owned();
        match tokio::time::timeout(self.limit, self.handler.call(request)).await {
            Ok(response) => response,
            Err(_) => timed_out(&method, &uri, self.limit),
        }
    }

    fn describe_operation(&self) -> Option<DescribeFn> {
        self.handler.describe_operation()
    }
}

/// The 503 for a request over its route's limit.
fn timed_out(method: &str, uri: &str, limit: Duration) -> Response {
    tracing::warn!(
        method,
        uri,
        ?limit,
        "cancelling a request: it ran over its route's time limit"
    );
    let mut response = Response::new(ResponseBody::full("Request timed out\n"));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response.extensions_mut().insert(ServerLog(format!(
        "fastcgi: {method} {uri} timed out: it ran over its route's time limit of {limit:?} and was cancelled"
    )));
    response.extensions_mut().insert(TimedOut);
    response
}
