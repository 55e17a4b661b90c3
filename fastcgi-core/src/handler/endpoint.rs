//! Handlers of different types behind one type, so a router can hold them.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

#[cfg(feature = "openapi")]
use crate::handler::DescribeFn;
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

/// Any handler, shared: what a route calls, and (feature `openapi`) how
/// it describes itself, kept apart so that a tower layer wrapped around
/// the handler keeps its description.
#[derive(Clone)]
pub(crate) struct Endpoint {
    pub(crate) handler: Arc<dyn ErasedHandler>,
    #[cfg(feature = "openapi")]
    describe: Option<DescribeFn>,
}

impl Endpoint {
    pub(crate) fn new<H: Handler>(handler: H) -> Self {
        Endpoint {
            #[cfg(feature = "openapi")]
            describe: handler.describe_operation(),
            handler: Arc::new(handler),
        }
    }

    /// `self`, described as `original` is: for a layer's service around
    /// the original handler.
    #[cfg(feature = "tower")]
    #[cfg_attr(not(feature = "openapi"), allow(unused_mut, unused_variables))]
    pub(crate) fn described_as(mut self, original: &Endpoint) -> Self {
        #[cfg(feature = "openapi")]
        {
            self.describe = self.describe.or(original.describe);
        }
        self
    }
}

impl Handler for Endpoint {
    fn call(&self, request: Request) -> impl Future<Output = Response> + Send {
        self.handler.call_boxed(request)
    }

    #[cfg(feature = "openapi")]
    fn describe_operation(&self) -> Option<DescribeFn> {
        self.describe
    }
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Endpoint")
    }
}
