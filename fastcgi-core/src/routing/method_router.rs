//! [`MethodRouter`]: which handler serves which request method on one route,
//! and the 405 answer for the others.

use std::fmt::Write as _;

use http::{HeaderValue, Method, StatusCode, header};

use crate::handler::Handler;
use crate::handler::endpoint::Endpoint;
use crate::request::Request;
use crate::response::{IntoResponse, Response, ResponseBody};

/// The methods with a slot of their own, in the order `Allow` lists them.
const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
];
const GET: usize = 0;
const HEAD: usize = 1;

fn slot(method: &str) -> Option<usize> {
    METHODS.iter().position(|m| *m == method)
}

/// Which handler serves which request method on one route; the others are
/// answered `405 Method Not Allowed` with an `Allow` header listing the
/// methods that are served.
///
/// Start one with [`get`], [`post`], [`put`], [`delete`], [`patch`],
/// [`head`], [`options`], [`any`] or [`on`], add more methods by chaining
/// the methods of the same names, and give it to
/// [`Router::route`](super::Router::route):
///
/// ```
/// use fastcgi::handler::from_fn;
/// use fastcgi::routing::{Router, get};
///
/// let list = from_fn(|_| async { "all items" });
/// let create = from_fn(|_| async { "created" });
/// let app = Router::new().route("/items", get(list).post(create));
/// ```
///
/// A `HEAD` request with no `HEAD` handler is served by the `GET` handler,
/// its body left out (its `Content-Length` kept), as RFC 9110 allows and
/// CGI requires. [`any`] serves every method without a handler of its
/// own. A `MethodRouter` is a [`Handler`] too, for an app with a single
/// path.
#[derive(Clone, Default)]
pub struct MethodRouter {
    slots: [Option<Endpoint>; METHODS.len()],
    other: Vec<(Method, Endpoint)>,
    any: Option<Endpoint>,
    /// The 405 answer once layers wrap it; the plain one otherwise.
    pub(crate) not_allowed: Option<Endpoint>,
}

impl std::fmt::Debug for MethodRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MethodRouter")
            .field("allow", &self.allow())
            .field("any", &self.any.is_some())
            .finish()
    }
}

/// What a request method gets from a [`MethodRouter`].
pub(crate) enum Choice<'a> {
    Call(&'a Endpoint),
    /// A HEAD request served by the GET handler, without its body.
    HeadViaGet(&'a Endpoint),
    NotAllowed,
}

macro_rules! method_fns {
    ($($name:ident $method:ident),* $(,)?) => {
        $(
            #[doc = concat!("Routes `", stringify!($method), "` requests to `handler`.")]
            ///
            /// # Panics
            ///
            /// When the method already has a handler here.
            pub fn $name<H: Handler>(self, handler: H) -> Self {
                self.on(Method::$method, handler)
            }
        )*
    };
}

macro_rules! method_router_fns {
    ($($name:ident $method:ident),* $(,)?) => {
        $(
            #[doc = concat!("A [`MethodRouter`] that routes `", stringify!($method), "` requests to `handler`; chain more methods onto it.")]
            pub fn $name<H: Handler>(handler: H) -> MethodRouter {
                MethodRouter::new().$name(handler)
            }
        )*
    };
}

method_router_fns!(
    get GET, head HEAD, post POST, put PUT, delete DELETE,
    patch PATCH, options OPTIONS, trace TRACE,
);

/// A [`MethodRouter`] that routes requests with `method` (any method,
/// including extension methods such as `PROPFIND`) to `handler`.
///
/// ```
/// use fastcgi::handler::from_fn;
/// use fastcgi::routing::{Router, on};
///
/// let props = from_fn(|_| async { "<multistatus/>" });
/// let method = http::Method::from_bytes(b"PROPFIND").unwrap();
/// let app = Router::new().route("/dav/{*path}", on(method, props));
/// ```
pub fn on<H: Handler>(method: Method, handler: H) -> MethodRouter {
    MethodRouter::new().on(method, handler)
}

/// A [`MethodRouter`] that routes every method to `handler`, except those
/// given a handler of their own.
pub fn any<H: Handler>(handler: H) -> MethodRouter {
    MethodRouter::new().any(handler)
}

impl MethodRouter {
    /// No handlers yet: every method is answered 405.
    pub fn new() -> Self {
        Self::default()
    }

    method_fns!(
        get GET, head HEAD, post POST, put PUT, delete DELETE,
        patch PATCH, options OPTIONS, trace TRACE,
    );

    /// Routes requests with `method` to `handler`.
    ///
    /// # Panics
    ///
    /// When the method already has a handler here.
    pub fn on<H: Handler>(self, method: Method, handler: H) -> Self {
        self.on_endpoint(method, Endpoint::new(handler))
    }

    pub(crate) fn on_endpoint(mut self, method: Method, endpoint: Endpoint) -> Self {
        let taken = match slot(method.as_str()) {
            Some(i) => self.slots[i].replace(endpoint).is_some(),
            None => match self.other.iter_mut().find(|(m, _)| *m == method) {
                Some((_, existing)) => {
                    *existing = endpoint;
                    true
                }
                None => {
                    self.other.push((method.clone(), endpoint));
                    false
                }
            },
        };
        assert!(
            !taken,
            "`{method}` is routed twice on the same route: give each method one handler"
        );
        self
    }

    /// Routes every method without a handler of its own to `handler`.
    ///
    /// # Panics
    ///
    /// When `any` already has a handler here.
    pub fn any<H: Handler>(mut self, handler: H) -> Self {
        assert!(
            self.any.is_none(),
            "`any` is routed twice on the same route: give it one handler"
        );
        self.any = Some(Endpoint::new(handler));
        self
    }

    /// Adds `other`'s methods to these (two `route` calls with the same
    /// path).
    pub(crate) fn merge(mut self, other: MethodRouter, path: &str) -> Self {
        for (i, endpoint) in other.slots.into_iter().enumerate() {
            if let Some(endpoint) = endpoint {
                assert!(
                    self.slots[i].is_none(),
                    "`{}` is routed twice on `{path}`: give each method one handler",
                    METHODS[i]
                );
                self.slots[i] = Some(endpoint);
            }
        }
        for (method, endpoint) in other.other {
            assert!(
                !self.other.iter().any(|(m, _)| *m == method),
                "`{method}` is routed twice on `{path}`: give each method one handler"
            );
            self.other.push((method, endpoint));
        }
        if let Some(any) = other.any {
            assert!(
                self.any.is_none(),
                "`any` is routed twice on `{path}`: give it one handler"
            );
            self.any = Some(any);
        }
        self.not_allowed = self.not_allowed.or(other.not_allowed);
        self
    }

    /// Applies `wrap` to every handler here and to the 405 answer.
    pub(crate) fn map_endpoints(mut self, wrap: &dyn Fn(Endpoint) -> Endpoint) -> Self {
        for endpoint in self.slots.iter_mut().flatten() {
            *endpoint = wrap(endpoint.clone());
        }
        for (_, endpoint) in &mut self.other {
            *endpoint = wrap(endpoint.clone());
        }
        if let Some(any) = &mut self.any {
            *any = wrap(any.clone());
        }
        let not_allowed = self
            .not_allowed
            .take()
            .unwrap_or_else(|| Endpoint::new(MethodNotAllowed));
        self.not_allowed = Some(wrap(not_allowed));
        self
    }

    /// The methods with a handler of their own (HEAD only when it has
    /// one: GET serves it otherwise), and the handler of every other
    /// method.
    #[cfg(feature = "openapi")]
    pub(crate) fn endpoints(&self) -> (Vec<(&str, &Endpoint)>, Option<&Endpoint>) {
        let mut endpoints: Vec<(&str, &Endpoint)> = METHODS
            .iter()
            .zip(&self.slots)
            .filter_map(|(method, slot)| Some((*method, slot.as_ref()?)))
            .collect();
        endpoints.extend(self.other.iter().map(|(m, e)| (m.as_str(), e)));
        (endpoints, self.any.as_ref())
    }

    /// What serves `method`.
    pub(crate) fn choose(&self, method: &str) -> Choice<'_> {
        let endpoint = match slot(method) {
            Some(i) => self.slots[i].as_ref(),
            None => self
                .other
                .iter()
                .find(|(m, _)| m.as_str() == method)
                .map(|(_, e)| e),
        };
        if let Some(endpoint) = endpoint {
            return Choice::Call(endpoint);
        }
        if method == "HEAD"
            && let Some(get) = &self.slots[GET]
        {
            return Choice::HeadViaGet(get);
        }
        match &self.any {
            Some(any) => Choice::Call(any),
            None => Choice::NotAllowed,
        }
    }

    /// The `Allow` header's value: the methods served, HEAD with GET.
    pub(crate) fn allow(&self) -> String {
        let mut allow = String::new();
        for (i, method) in METHODS.iter().enumerate() {
            let served = self.slots[i].is_some() || (i == HEAD && self.slots[GET].is_some());
            if served {
                if !allow.is_empty() {
                    allow.push_str(", ");
                }
                allow.push_str(method);
            }
        }
        for (method, _) in &self.other {
            if !allow.is_empty() {
                allow.push_str(", ");
            }
            allow.push_str(method.as_str());
        }
        allow
    }

    /// Answers a request for a method with no handler: the 405, through
    /// the layers wrapped around it.
    pub(crate) async fn not_allowed(
        &self,
        mut request: Request,
        method: String,
        path: String,
    ) -> Response {
        let miss = MethodMiss {
            allow: self.allow(),
            method,
            path,
        };
        match &self.not_allowed {
            Some(endpoint) => {
                request.parts.extensions.insert(miss);
                endpoint.call(request).await
            }
            None => miss.into_response(),
        }
    }
}

/// Serves a request by method alone, whatever its path.
impl Handler for MethodRouter {
    async fn call(&self, request: Request) -> Response {
        let method = request.environ().request_method().unwrap_or("").to_owned();
        match self.choose(&method) {
            Choice::Call(endpoint) => endpoint.call(request).await,
            Choice::HeadViaGet(get) => without_body(get.call(request).await),
            Choice::NotAllowed => {
                let path = super::PathSource::default()
                    .path(request.environ())
                    .map(|p| super::request_path::Segments::normalize(&p).to_string())
                    .unwrap_or_default();
                self.not_allowed(request, method, path).await
            }
        }
    }
}

/// A response to HEAD: the GET response's header, its length kept, no body.
pub(crate) fn without_body(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    if let Some(len) = body.size_hint()
        && len > 0
        && !parts.headers.contains_key(header::CONTENT_LENGTH)
    {
        parts
            .headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    Response::from_parts(parts, ResponseBody::empty())
}

/// Why a request got 405: what it asked for and what is served.
#[derive(Debug, Clone)]
pub(crate) struct MethodMiss {
    allow: String,
    method: String,
    path: String,
}

impl IntoResponse for MethodMiss {
    fn into_response(self) -> Response {
        let mut text = format!("Method Not Allowed: {} ", self.path);
        if self.allow.is_empty() {
            text.push_str("accepts no method");
        } else {
            let _ = write!(text, "accepts {}", self.allow);
        }
        let _ = writeln!(text, ", not {}", self.method);
        let mut response = (StatusCode::METHOD_NOT_ALLOWED, text).into_response();
        if let Ok(allow) = HeaderValue::from_str(&self.allow) {
            response.headers_mut().insert(header::ALLOW, allow);
        }
        response
    }
}

/// The default 405 answer, as a handler layers (and `body_limit`) can wrap: it reads the
/// [`MethodMiss`] the router put on the request.
#[derive(Debug, Clone, Copy)]
struct MethodNotAllowed;

impl Handler for MethodNotAllowed {
    async fn call(&self, request: Request) -> Response {
        match request.parts().extensions().get::<MethodMiss>() {
            Some(miss) => miss.clone().into_response(),
            None => StatusCode::METHOD_NOT_ALLOWED.into_response(),
        }
    }
}
