//! The [`Handler`] trait: what the server calls for each request.
//!
//! `#[fcgi_handler]` implements it for annotated fns; [`from_fn`] adapts a
//! closure over the whole [`Request`]; implement it by hand for full
//! control.

mod describe;
pub(crate) mod endpoint;
pub(crate) mod timeout;

use std::future::Future;
use std::sync::Arc;

use crate::request::Request;
use crate::response::{IntoResponse, Response};

#[doc(hidden)]
pub use describe::__private as __describe;
pub use describe::{DescribeFn, Operation};
pub use timeout::Timeout;

/// Serves one request at a time; the server calls it once per request,
/// concurrently for concurrent requests.
///
/// ```
/// use fastcgi::handler::Handler;
/// use fastcgi::request::Request;
/// use fastcgi::response::{IntoResponse, Response};
///
/// struct Hello;
///
/// impl Handler for Hello {
///     async fn call(&self, request: Request) -> Response {
///         let name = request.environ().get("QUERY_STRING").unwrap_or("world");
///         format!("Hello, {name}!").into_response()
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a FastCGI handler",
    label = "not a handler",
    note = "annotate an async fn (or a plain fn) with `#[fcgi_handler]`, wrap a closure taking a `Request` in `handler::from_fn`, or implement `Handler` for `{Self}`"
)]
pub trait Handler: Send + Sync + 'static {
    /// Serves `request`, returning its response.
    fn call(&self, request: Request) -> impl Future<Output = Response> + Send;

    /// How this handler describes itself in an OpenAPI document (feature
    /// `openapi`): what it reads and answers, written into an
    /// [`Operation`]. `#[fcgi_handler]` generates it from the fn's
    /// arguments, return type and doc comment; by default a handler says
    /// nothing (`None`), which the document reports as a gap.
    fn describe_operation(&self) -> Option<DescribeFn> {
        None
    }
}

impl<H: Handler> Handler for Arc<H> {
    fn call(&self, request: Request) -> impl Future<Output = Response> + Send {
        (**self).call(request)
    }

    fn describe_operation(&self) -> Option<DescribeFn> {
        (**self).describe_operation()
    }
}

/// A handler from a closure that takes the whole [`Request`].
///
/// ```
/// use fastcgi::handler::from_fn;
/// use fastcgi::request::Request;
///
/// let echo_method = from_fn(|request: Request| async move {
///     request.environ().request_method().unwrap_or("?").to_owned()
/// });
/// ```
pub fn from_fn<F, Fut, R>(f: F) -> FromFn<F>
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send,
    R: IntoResponse,
{
    FromFn(f)
}

/// The handler made by [`from_fn`].
#[derive(Clone, Copy)]
pub struct FromFn<F>(F);

impl<F> std::fmt::Debug for FromFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FromFn")
    }
}

impl<F, Fut, R> Handler for FromFn<F>
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send,
    R: IntoResponse,
{
    async fn call(&self, request: Request) -> Response {
        (self.0)(request).await.into_response()
    }
}
