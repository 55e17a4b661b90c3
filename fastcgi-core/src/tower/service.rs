//! Both directions between handlers and tower services:
//! [`from_service`] serves a tower service as a handler, [`into_service`]
//! makes a handler a tower service.

use std::convert::Infallible;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower_service::Service;

use super::convert::{from_http_request, from_http_response, into_http_request, service_failed};
use crate::handler::Handler;
use crate::handler::endpoint::Endpoint;
use crate::request::path_source::PathSource;
use crate::request::{Body, Request};
use crate::response::{BoxError, Response, ResponseBody};

/// Serves a tower [`Service`] over FastCGI: any service that takes
/// `http::Request<Body>` and returns `http::Response` with an
/// [`http_body::Body`], an axum `Router` for one.
///
/// ```no_run
/// use std::convert::Infallible;
/// use fastcgi::request::Body;
/// use fastcgi::server::Server;
/// use fastcgi::tower::from_service;
///
/// // Any `tower::Service`; here a hand-written one.
/// #[derive(Clone)]
/// struct Hello;
///
/// impl tower_service::Service<http::Request<Body>> for Hello {
///     type Response = http::Response<String>;
///     type Error = Infallible;
///     type Future = std::future::Ready<Result<Self::Response, Infallible>>;
///
///     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> {
///         std::task::Poll::Ready(Ok(()))
///     }
///
///     fn call(&mut self, request: http::Request<Body>) -> Self::Future {
///         std::future::ready(Ok(http::Response::new(format!("Hello from {}", request.uri().path()))))
///     }
/// }
///
/// #[tokio::main]
/// async fn main() -> Result<(), fastcgi::Error> {
///     Server::from_env()?.serve(from_service(Hello)).await
/// }
/// ```
///
/// Each request is built from the params, as a reverse proxy would pass
/// it on:
///
/// - the method from `REQUEST_METHOD`, the version from `SERVER_PROTOCOL`;
/// - the URI from `REQUEST_URI`, exactly as the client sent it (the
///   service decodes and matches it itself); choose another with
///   [`path_source`](FromService::path_source);
/// - the headers from `HTTP_*` (`HTTP_USER_AGENT` is `user-agent`),
///   `CONTENT_TYPE` and `CONTENT_LENGTH`;
/// - the body streamed from FCGI_STDIN as it arrives;
/// - in its extensions, the peer's [`RemoteAddr`](super::RemoteAddr) (from
///   `REMOTE_ADDR` and `REMOTE_PORT`), the
///   [`RequestParts`](crate::request::RequestParts) (every CGI
///   meta-variable (`DOCUMENT_ROOT`...), the abort signal, FCGI_STDERR),
///   and the request's own
///   [`extensions`](crate::request::RequestParts::extensions) (behind a
///   [`Router`](crate::routing::Router), its
///   [`PathParams`](crate::routing::PathParams)). With axum, take them as
///   `Extension<RemoteAddr>` and `Extension<RequestParts>`.
///
/// The response goes out as a CGI document: its status and headers, then
/// its body streamed chunk by chunk as the service produces it, with a
/// `Content-Length` when the body's size is known. A service that fails
/// (`Err`) gets a 500, with its error on FCGI_STDERR.
///
/// The service is cloned for each request and driven to readiness
/// (`poll_ready`) before it is called, as hyper does. It must be `Sync`,
/// since the server shares it between connections: box one as tower's
/// `BoxCloneSyncService` rather than `BoxCloneService`.
pub fn from_service<S>(service: S) -> FromService<S> {
    FromService {
        service,
        source: PathSource::RequestUri,
    }
}

/// The handler made by [`from_service`].
#[derive(Debug, Clone)]
pub struct FromService<S> {
    service: S,
    source: PathSource,
}

impl<S> FromService<S> {
    /// Builds the URI's path from another [`PathSource`] instead of
    /// `REQUEST_URI` (the default): the path percent-encoded again, then
    /// `QUERY_STRING`. With [`PathSource::ScriptNameAndPathInfo`] the
    /// service sees the path the web server resolved (dot segments, repeated
    /// slashes and internal rewrites applied), as the
    /// [`Router`](crate::routing::Router) does by default.
    pub fn path_source(mut self, source: PathSource) -> Self {
        self.source = source;
        self
    }
}

impl<S, B> Handler for FromService<S>
where
    S: Service<http::Request<Body>, Response = http::Response<B>> + Clone + Send + Sync + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    B: http_body::Body + Send + 'static,
    B::Error: Into<BoxError>,
{
    async fn call(&self, request: Request) -> Response {
        let request = match into_http_request(request, self.source) {
            Ok(request) => request,
            Err(answer) => return *answer,
        };
        let mut service = self.service.clone();
        if let Err(err) = poll_fn(|cx| service.poll_ready(cx)).await {
            return service_failed(err.into());
        }
        match service.call(request).await {
            Ok(response) => from_http_response(response),
            Err(err) => service_failed(err.into()),
        }
    }
}

/// A handler as a tower [`Service`]: what [`into_service`] makes.
///
/// It takes `http::Request`s with any [`http_body::Body`] and answers
/// `http::Response<ResponseBody>`, never failing. A request that came
/// from FastCGI (through [`from_service`] or a layered route) keeps its
/// CGI meta-variables, writer and streams; any other gets an environ made
/// from its method, URI and headers (`REQUEST_METHOD`, `REQUEST_URI`,
/// `SCRIPT_NAME` as the decoded path, `QUERY_STRING`, `HTTP_*`...).
/// Extensions a middleware added to the request reach the handler in
/// [`RequestParts::extensions`](crate::request::RequestParts::extensions),
/// where [`Extension<T>`](super::Extension) takes them.
pub struct HandlerService<H> {
    handler: Arc<H>,
}

impl<H> Clone for HandlerService<H> {
    fn clone(&self) -> Self {
        Self {
            handler: Arc::clone(&self.handler),
        }
    }
}

impl<H> std::fmt::Debug for HandlerService<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HandlerService")
    }
}

/// Makes `handler` a tower [`Service`], to wrap it in tower layers by
/// hand or to call it from other tower code.
///
/// ```
/// use fastcgi::handler::from_fn;
/// use fastcgi::tower::into_service;
///
/// let service = into_service(from_fn(|request: fastcgi::request::Request| async move {
///     format!("{}", request.environ().get("REQUEST_URI").unwrap_or("?"))
/// }));
/// ```
pub fn into_service<H: Handler>(handler: H) -> HandlerService<H> {
    HandlerService {
        handler: Arc::new(handler),
    }
}

type ResponseFuture = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<H, B> Service<http::Request<B>> for HandlerService<H>
where
    H: Handler,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
{
    type Response = http::Response<ResponseBody>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> ResponseFuture {
        let handler = Arc::clone(&self.handler);
        let request = from_http_request(request);
        Box::pin(async move { Ok(handler.call(request).await) })
    }
}

/// The handler of one route (or fallback) as a tower [`Service`]: what
/// [`Router::layer`](crate::routing::Router::layer) hands each layer to
/// wrap. See [`HandlerService`] for what it accepts.
#[derive(Clone, Debug)]
pub struct Route(HandlerService<Endpoint>);

impl Route {
    pub(crate) fn new(endpoint: Endpoint) -> Self {
        Route(into_service(endpoint))
    }
}

impl<B> Service<http::Request<B>> for Route
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
{
    type Response = http::Response<ResponseBody>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        <HandlerService<Endpoint> as Service<http::Request<B>>>::poll_ready(&mut self.0, cx)
    }

    fn call(&mut self, request: http::Request<B>) -> ResponseFuture {
        self.0.call(request)
    }
}
