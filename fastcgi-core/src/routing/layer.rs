//! Tower layers around routes: [`Router::layer`], [`Router::route_layer`],
//! [`MethodRouter::layer`], and tower services as routes.

use tower_layer::Layer;
use tower_service::Service;

use super::{MethodRouter, Router, any};
use crate::handler::endpoint::Endpoint;
use crate::request::Body;
use crate::response::BoxError;
use crate::tower::{FromService, Route, from_service};

/// `endpoint` wrapped in `layer`, as an endpoint again.
fn wrap<L, B>(layer: &L, endpoint: Endpoint) -> Endpoint
where
    L: Layer<Route>,
    L::Service:
        Service<http::Request<Body>, Response = http::Response<B>> + Clone + Send + Sync + 'static,
    <L::Service as Service<http::Request<Body>>>::Future: Send,
    <L::Service as Service<http::Request<Body>>>::Error: Into<BoxError>,
    B: http_body::Body + Send + 'static,
    B::Error: Into<BoxError>,
{
    let wrapped = Endpoint::new(from_service(layer.layer(Route::new(endpoint.clone()))));
    // The layer changes how the route answers, not what its handler reads
    // and returns: the API document describes the handler.
    wrapped.described_as(&endpoint)
}

#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
impl Router {
    /// Wraps every route added so far, and the fallback (the default 404
    /// included), in a tower [`Layer`]: tower-http's timeouts, tracing,
    /// compression, CORS, request ids and body limits work unchanged, and
    /// so does any layer of your own. With the `tower` feature.
    ///
    /// ```
    /// use fastcgi::handler::from_fn;
    /// use fastcgi::routing::{Router, get};
    ///
    /// # fn add_routes(router: Router) -> Router { router }
    /// # #[derive(Clone)] struct TimeoutLayer;
    /// # impl<S> tower_layer::Layer<S> for TimeoutLayer { type Service = S; fn layer(&self, s: S) -> S { s } }
    /// let app = Router::new()
    ///     .route("/", get(from_fn(|_| async { "home" })))
    ///     // e.g. tower_http::timeout::TimeoutLayer
    ///     .layer(TimeoutLayer);
    /// ```
    ///
    /// Routing happens first: each route's handler is wrapped on its own,
    /// so a layer sees only the requests its route serves, and routes
    /// added after the call are not wrapped. Layers added later wrap the
    /// earlier ones (the last is outermost). Requests reach the layer as
    /// `http::Request<Body>`, built as [`from_service`](crate::tower::from_service)
    /// describes; what it adds to the extensions reaches the handler
    /// through [`Extension<T>`](crate::tower::Extension), for that request only
    /// ([`RequestParts::extensions`](crate::request::RequestParts::extensions)).
    /// Changes it makes to the
    /// method, URI or headers do not reach the handler, which reads the
    /// params the web server sent.
    pub fn layer<L, B>(self, layer: L) -> Self
    where
        L: Layer<Route>,
        L::Service: Service<http::Request<Body>, Response = http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as Service<http::Request<Body>>>::Future: Send,
        <L::Service as Service<http::Request<Body>>>::Error: Into<BoxError>,
        B: http_body::Body + Send + 'static,
        B::Error: Into<BoxError>,
    {
        self.map_endpoints(&|endpoint| wrap(&layer, endpoint), true)
    }

    /// Like [`layer`](Self::layer), but for the routes only, not the
    /// fallback: for authorization, which should not turn a 404 into a
    /// 401. With the `tower` feature.
    pub fn route_layer<L, B>(self, layer: L) -> Self
    where
        L: Layer<Route>,
        L::Service: Service<http::Request<Body>, Response = http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as Service<http::Request<Body>>>::Future: Send,
        <L::Service as Service<http::Request<Body>>>::Error: Into<BoxError>,
        B: http_body::Body + Send + 'static,
        B::Error: Into<BoxError>,
    {
        self.map_endpoints(&|endpoint| wrap(&layer, endpoint), false)
    }

    /// Routes every method on `pattern` to a tower service, built as
    /// [`from_service`](crate::tower::from_service) describes (its URI is
    /// `REQUEST_URI`, unchanged). With the `tower` feature.
    ///
    /// # Panics
    ///
    /// As [`route`](Self::route).
    pub fn route_service<S, B>(self, pattern: &str, service: S) -> Self
    where
        FromService<S>: crate::handler::Handler,
        S: Service<http::Request<Body>, Response = http::Response<B>>,
    {
        self.route(pattern, any(from_service(service)))
    }
}

#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
impl MethodRouter {
    /// Wraps every handler added so far, and the 405 answer, in a tower
    /// [`Layer`]; see [`Router::layer`]. With the `tower` feature.
    pub fn layer<L, B>(self, layer: L) -> Self
    where
        L: Layer<Route>,
        L::Service: Service<http::Request<Body>, Response = http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        <L::Service as Service<http::Request<Body>>>::Future: Send,
        <L::Service as Service<http::Request<Body>>>::Error: Into<BoxError>,
        B: http_body::Body + Send + 'static,
        B::Error: Into<BoxError>,
    {
        self.map_endpoints(&|endpoint| wrap(&layer, endpoint))
    }
}
