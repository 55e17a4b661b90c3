//! Handlers of different types behind one type, so a router can hold them.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::handler::Handler;
use crate::request::Request;
use crate::response::Response;

/// A boxed response future borrowing its handler.
pub(crate) type BoxFuture<'a> = Pin<Box<dyn Future<Output = Response> + Send + 'a>>;

/// [`Handler`] with its future boxed, so that it can be a trait object.
pub(crate) trait ErasedHandler: Send + Sync + 'static {
    fn call_boxed(&self, request: Request) -> BoxFuture<'_>;
}

impl<H: Handler> ErasedHandler for H {
    fn call_boxed(&self, request: Request) -> BoxFuture<'_> {
        Box::pin(self.call(request))
    }
}

/// Any handler, shared: what a route calls.
#[derive(Clone)]
pub(crate) struct Endpoint(pub(crate) Arc<dyn ErasedHandler>);

impl Endpoint {
    pub(crate) fn new<H: Handler>(handler: H) -> Self {
        Endpoint(Arc::new(handler))
    }
}

impl Handler for Endpoint {
    fn call(&self, request: Request) -> impl Future<Output = Response> + Send {
        self.0.call_boxed(request)
    }
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Endpoint")
    }
}
