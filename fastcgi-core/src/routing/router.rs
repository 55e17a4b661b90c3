//! [`Router`]: many handlers behind one FastCGI app, by path and method.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::StatusCode;

use super::PathSource;
use super::method_router::{Choice, MethodRouter, without_body};
use super::pattern::Pattern;
use super::request_path::Segments;
use super::tree::{Captures, Found, Node};
use crate::extract::PathParams;
use crate::handler::Handler;
use crate::handler::endpoint::{BoxFuture, Endpoint};
use crate::request::Request;
use crate::response::{IntoResponse, Response, internal_error};

/// Dispatches requests to handlers by path and method: a [`Handler`] made
/// of handlers.
///
/// ```
/// use fastcgi::handler::from_fn;
/// use fastcgi::routing::{PathParams, Router, get};
/// use fastcgi::extract::FromRequestParts;
/// use fastcgi::request::Request;
/// use fastcgi::testing::TestClient;
///
/// async fn show(request: Request) -> String {
///     let params = PathParams::from_request_parts(request.parts()).await.unwrap_or_default();
///     format!("item {}", params.get("id").unwrap_or("?"))
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), fastcgi::client::ClientError> {
/// let api = Router::new().route("/version", get(from_fn(|_| async { "1" })));
/// let app = Router::new()
///     .route("/items/{id}", get(from_fn(show)).post(from_fn(|_| async { "created" })))
///     .nest("/api", api);
///
/// let client = TestClient::new(app); // or: Server::from_env()?.serve(app)
/// assert_eq!(client.get("/items/7").await?.text(), "item 7");
/// assert_eq!(client.get("/api/version").await?.text(), "1");
///
/// let missing = client.get("/nope").await?;
/// assert_eq!(missing.status(), 404);
/// assert_eq!(missing.text(), "Not Found: no route matches the path /nope\n");
///
/// let wrong = client.method("DELETE", "/items/7").await?;
/// assert_eq!(wrong.status(), 405);
/// assert_eq!(wrong.header("allow"), Some("GET, HEAD, POST"));
/// # Ok(()) }
/// ```
///
/// # Patterns
///
/// - `/items/new` matches that path exactly. A trailing slash counts:
///   `/items/` is another path.
/// - `/items/{id}` matches one non-empty segment, taken by the
///   [`Path`](super::Path) extractor by position or by name.
/// - `/files/{*path}` matches the rest of the path, one or more segments:
///   `/files/a/b.txt` gives `a/b.txt`, `/files/` gives the empty string,
///   `/files` does not match.
/// - Where several routes match a path, a literal segment wins over
///   `{param}`, which wins over `{*catch_all}`, segment by segment from the
///   left, falling back to the next choice when the rest of the path does
///   not match.
///
/// Patterns are compared with the decoded path, so write `/a b` or
/// `/café`, not `/a%20b`. Which path that is is the
/// [`path_source`](Self::path_source), `SCRIPT_NAME` + `PATH_INFO` by
/// default.
///
/// # Answers of its own
///
/// - No route matches: `404 Not Found`, naming the path, unless a
///   [`fallback`](Self::fallback) handles it.
/// - A route matches but has no handler for the method:
///   `405 Method Not Allowed` with an `Allow` header.
/// - The web server sent none of the variables the path source reads:
///   500, and the reason (what to add to the web server's configuration)
///   on FCGI_STDERR.
///
/// # Panics
///
/// The building methods panic on a malformed pattern or two routes that
/// match the same paths, with a message that says how to fix it: like a
/// typo in code, these are found the first time the app starts.
#[derive(Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
    nested_fallbacks: Vec<NestedFallback>,
    tree: Node,
    fallback: Option<Endpoint>,
    source: PathSource,
}

#[derive(Clone)]
struct Route {
    pattern: Pattern,
    names: Arc<[Arc<str>]>,
    methods: MethodRouter,
}

#[derive(Clone)]
struct NestedFallback {
    prefix: Pattern,
    names: Arc<[Arc<str>]>,
    endpoint: Endpoint,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let routes: Vec<(&str, String)> = self
            .routes
            .iter()
            .map(|r| (&*r.pattern.text, r.methods.allow()))
            .collect();
        f.debug_struct("Router")
            .field("routes", &routes)
            .field("fallback", &self.fallback.is_some())
            .field("path_source", &self.source)
            .finish()
    }
}

fn parse(text: &str) -> Pattern {
    Pattern::parse(text).unwrap_or_else(|err| panic!("{err}"))
}

impl Router {
    /// A router with no routes: every request gets 404.
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes requests whose path matches `pattern` to `methods`:
    /// [`get(handler)`](super::get), `get(a).post(b)`...
    ///
    /// Routing the same pattern again adds methods to it.
    ///
    /// # Panics
    ///
    /// When `pattern` is malformed, when another pattern matches exactly
    /// the same paths (`/items/{id}` and `/items/{name}`), or when a method
    /// gets a second handler.
    pub fn route(mut self, pattern: &str, methods: MethodRouter) -> Self {
        self.add_route(parse(pattern), methods);
        self
    }

    fn add_route(&mut self, pattern: Pattern, methods: MethodRouter) {
        let id = self.routes.len();
        match self.tree.insert_route(&pattern.parts, id) {
            Ok(()) => self.routes.push(Route {
                names: pattern.names().into(),
                pattern,
                methods,
            }),
            Err(existing) => {
                let route = &mut self.routes[existing];
                assert!(
                    route.pattern.text == pattern.text,
                    "the routes `{}` and `{}` match the same paths: keep one, and take its parameters by position or under one set of names",
                    route.pattern.text,
                    pattern.text
                );
                let merged = std::mem::take(&mut route.methods).merge(methods, &pattern.text);
                route.methods = merged;
            }
        }
    }

    /// Serves every path under `prefix` with `router`: its route `/x`
    /// becomes `prefix/x`, its route `/` the prefix itself, and its
    /// fallback (when it has one) answers every other path under the
    /// prefix. The prefix may have parameters (`/users/{user}`), which the
    /// nested handlers take with [`Path`](super::Path) along with their
    /// own.
    ///
    /// The nested router's layers stay on its routes; its path source is
    /// not used (this router's is).
    ///
    /// # Panics
    ///
    /// When `prefix` is malformed, is `/` (use [`merge`](Self::merge)) or
    /// ends with `/`, or when a nested route clashes with one of these.
    pub fn nest(mut self, prefix: &str, router: Router) -> Self {
        let prefix = parse(prefix);
        if let Err(err) = prefix.check_prefix() {
            panic!("{err}");
        }
        let under =
            |pattern: &Pattern| pattern.under(&prefix).unwrap_or_else(|err| panic!("{err}"));
        for route in router.routes {
            self.add_route(under(&route.pattern), route.methods);
        }
        for nested in router.nested_fallbacks {
            self.add_fallback(under(&nested.prefix), nested.endpoint);
        }
        if let Some(fallback) = router.fallback {
            self.add_fallback(prefix, fallback);
        }
        self
    }

    /// Adds `router`'s routes, nested routers and fallback to these, as if
    /// they had been added here.
    ///
    /// # Panics
    ///
    /// When the two clash: the same route, or a fallback each.
    pub fn merge(mut self, router: Router) -> Self {
        for route in router.routes {
            self.add_route(route.pattern, route.methods);
        }
        for nested in router.nested_fallbacks {
            self.add_fallback(nested.prefix, nested.endpoint);
        }
        if let Some(fallback) = router.fallback {
            assert!(
                self.fallback.is_none(),
                "both merged routers have a fallback: keep one"
            );
            self.fallback = Some(fallback);
        }
        self
    }

    fn add_fallback(&mut self, prefix: Pattern, endpoint: Endpoint) {
        let id = self.nested_fallbacks.len();
        if let Err(existing) = self.tree.insert_fallback(&prefix.parts, id) {
            panic!(
                "two nested routers with fallbacks at `{}` and `{}`: keep one fallback",
                self.nested_fallbacks[existing].prefix.text, prefix.text
            );
        }
        self.nested_fallbacks.push(NestedFallback {
            names: prefix.names().into(),
            prefix,
            endpoint,
        });
    }

    /// Serves the requests no route matches (instead of the default 404):
    /// a custom error page, a single-page app's `index.html`, a legacy app.
    /// It sees the request as it is.
    pub fn fallback<H: Handler>(mut self, handler: H) -> Self {
        self.fallback = Some(Endpoint::new(handler));
        self
    }

    /// Chooses which path of the request the routes match (default:
    /// [`PathSource::ScriptNameAndPathInfo`]); see [`PathSource`] for what
    /// nginx, lighttpd and Apache send.
    ///
    /// ```
    /// use fastcgi::routing::{PathSource, Router};
    ///
    /// // An app mounted at /app.fcgi, routing on the rest (PATH_INFO).
    /// let app = Router::new().path_source(PathSource::PathInfo);
    /// ```
    pub fn path_source(mut self, source: PathSource) -> Self {
        self.source = source;
        self
    }

    /// Applies `wrap` to every route's handlers and 405 answer, and with
    /// `fallbacks` to the fallbacks too (the default 404 included).
    pub(crate) fn map_endpoints(
        mut self,
        wrap: &dyn Fn(Endpoint) -> Endpoint,
        fallbacks: bool,
    ) -> Self {
        for route in &mut self.routes {
            route.methods = std::mem::take(&mut route.methods).map_endpoints(wrap);
        }
        if fallbacks {
            for nested in &mut self.nested_fallbacks {
                nested.endpoint = wrap(nested.endpoint.clone());
            }
            let fallback = self
                .fallback
                .take()
                .unwrap_or_else(|| Endpoint::new(NotFound));
            self.fallback = Some(wrap(fallback));
        }
        self
    }

    /// Each route's pattern and methods, in the order they were added.
    #[cfg(feature = "openapi")]
    pub(crate) fn routes(&self) -> impl Iterator<Item = (&Pattern, &MethodRouter)> {
        self.routes
            .iter()
            .map(|route| (&route.pattern, &route.methods))
    }

    /// Routes `request`: which endpoint serves it, with what parameters.
    fn resolve(&self, request: &Request) -> Resolved<'_> {
        let environ = request.environ();
        let path = match self.source.path(environ) {
            Ok(path) => path,
            Err(missing) => return Resolved::Answer(internal_error(&missing)),
        };
        let segments = Segments::normalize(&path);
        let mut captures = Captures::new();
        let method = environ.request_method().unwrap_or("");
        match self.tree.find(segments.as_slice(), &mut captures) {
            Some(Found::Route(id)) => {
                let route = &self.routes[id];
                let params = PathParams::capture(
                    &route.pattern.text,
                    &route.names,
                    segments.as_slice(),
                    &captures,
                );
                match route.methods.choose(method) {
                    Choice::Call(endpoint) => Resolved::Call {
                        endpoint,
                        params,
                        head: false,
                        miss: None,
                    },
                    Choice::HeadViaGet(endpoint) => Resolved::Call {
                        endpoint,
                        params,
                        head: true,
                        miss: None,
                    },
                    Choice::NotAllowed => Resolved::NotAllowed {
                        methods: &route.methods,
                        method: method.to_owned(),
                        path: segments.to_string(),
                    },
                }
            }
            Some(Found::Fallback(id)) => {
                let nested = &self.nested_fallbacks[id];
                let params = PathParams::capture(
                    &nested.prefix.text,
                    &nested.names,
                    segments.as_slice(),
                    &captures,
                );
                Resolved::Call {
                    endpoint: &nested.endpoint,
                    params,
                    head: false,
                    miss: None,
                }
            }
            None => {
                let miss = RouteMiss {
                    path: segments.to_string(),
                };
                match &self.fallback {
                    Some(endpoint) => Resolved::Call {
                        endpoint,
                        params: None,
                        head: false,
                        miss: Some(miss),
                    },
                    None => Resolved::Answer(miss.into_response()),
                }
            }
        }
    }
}

/// Where a request goes.
enum Resolved<'a> {
    Call {
        endpoint: &'a Endpoint,
        params: Option<PathParams>,
        head: bool,
        /// For a fallback: the miss it answers, which the default 404
        /// (wrapped in layers) reads.
        miss: Option<RouteMiss>,
    },
    NotAllowed {
        methods: &'a MethodRouter,
        method: String,
        path: String,
    },
    Answer(Response),
}

impl Handler for Router {
    /// Routes before any future exists, so that the request moves once,
    /// into the future of the handler that serves it.
    fn call(&self, mut request: Request) -> impl Future<Output = Response> + Send {
        match self.resolve(&request) {
            Resolved::Call {
                endpoint,
                params,
                head,
                miss,
            } => {
                if let Some(params) = params {
                    request.parts.extensions.insert(params);
                }
                if let Some(miss) = miss {
                    request.parts.extensions.insert(miss);
                }
                Routed::Call {
                    future: endpoint.handler.call_boxed(request),
                    head,
                }
            }
            Resolved::NotAllowed {
                methods,
                method,
                path,
            } => Routed::Call {
                future: Box::pin(methods.not_allowed(request, method, path)),
                head: false,
            },
            Resolved::Answer(response) => Routed::Answer(Some(response)),
        }
    }
}

/// The future of a routed request.
enum Routed<'a> {
    /// The handler's future; for HEAD served by GET, its body is dropped.
    Call { future: BoxFuture<'a>, head: bool },
    /// The router's own answer.
    Answer(Option<Response>),
}

impl Future for Routed<'_> {
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        match self.get_mut() {
            Routed::Call { future, head } => {
                let head = *head;
                future.as_mut().poll(cx).map(|response| {
                    if head {
                        without_body(response)
                    } else {
                        response
                    }
                })
            }
            Routed::Answer(response) => Poll::Ready(
                response
                    .take()
                    .unwrap_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
            ),
        }
    }
}

/// No route matched this path: the 404 answer.
#[derive(Debug, Clone)]
pub(crate) struct RouteMiss {
    path: String,
}

impl IntoResponse for RouteMiss {
    fn into_response(self) -> Response {
        (
            StatusCode::NOT_FOUND,
            format!("Not Found: no route matches the path {}\n", self.path),
        )
            .into_response()
    }
}

/// The default fallback as a handler layers (and `body_limit`) can wrap: answers 404 with
/// the [`RouteMiss`] the router put on the request.
#[derive(Debug, Clone, Copy)]
struct NotFound;

impl Handler for NotFound {
    async fn call(&self, request: Request) -> Response {
        match request.parts().extensions().get::<RouteMiss>() {
            Some(miss) => miss.clone().into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }
}
