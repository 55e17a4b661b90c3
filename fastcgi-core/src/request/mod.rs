//! The request side: what the web server sent for one FastCGI request.
//!
//! A [`Request`] is the [`RequestParts`] (request id, role, the
//! [`Environ`] of CGI meta-variables, the [`AbortSignal`], application
//! state, per-request extensions) plus the streams that may still be arriving: the body (FCGI_STDIN)
//! and, for the Filter role, the filtered file (FCGI_DATA), each a [`Body`].

mod abort;
mod blocking_body;
pub(crate) mod body;
mod environ;
pub(crate) mod path_source;

use std::sync::Arc;

pub use abort::AbortSignal;
pub use blocking_body::BlockingBody;
pub use body::{Body, BodyError};
pub use environ::Environ;

use crate::protocol::Role;
use crate::response::ResponseWriter;

/// Everything about a request except its streams: cheap to borrow while
/// extractors run.
#[derive(Debug, Clone)]
pub struct RequestParts {
    pub(crate) request_id: u16,
    pub(crate) role: Role,
    pub(crate) keep_conn: bool,
    pub(crate) environ: Environ,
    pub(crate) abort: AbortSignal,
    pub(crate) state: Arc<http::Extensions>,
    /// Per-request values, kept apart from `state` so that carrying one
    /// (path parameters on every routed request) never copies the shared
    /// map. Empty costs nothing: an empty map does not allocate.
    pub(crate) extensions: http::Extensions,
    /// The connection's output, for [`Stderr`](crate::response::Stderr);
    /// `None` for a request built by hand.
    pub(crate) output: Option<crate::output::RequestOutput>,
}

impl RequestParts {
    /// Parts for a request built by hand (tests, or a handler calling
    /// another handler): a Responder request with id 1 and no state.
    pub fn new(environ: Environ) -> Self {
        Self {
            request_id: 1,
            role: Role::Responder,
            keep_conn: false,
            environ,
            abort: AbortSignal::new(),
            state: Arc::new(http::Extensions::new()),
            extensions: http::Extensions::new(),
            output: None,
        }
    }

    /// The FastCGI request id, unique among the requests active on one
    /// connection.
    pub fn request_id(&self) -> u16 {
        self.request_id
    }

    /// The role the web server asked for: Responder, Authorizer or Filter.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether the web server keeps the connection open for more requests
    /// (FCGI_KEEP_CONN).
    pub fn keep_conn(&self) -> bool {
        self.keep_conn
    }

    /// The CGI meta-variables.
    pub fn environ(&self) -> &Environ {
        &self.environ
    }

    /// The request's abort signal.
    pub fn abort_signal(&self) -> &AbortSignal {
        &self.abort
    }

    /// A handle on the request's FCGI_STDERR.
    pub fn stderr(&self) -> crate::response::Stderr {
        crate::response::Stderr::new(self.output.clone())
    }

    /// Application state registered with `Server::with_state`, by type:
    /// shared by every request. Values for this request alone are in
    /// [`extensions`](Self::extensions).
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.state.get::<T>()
    }

    /// Values for this request only: path parameters, what middleware
    /// inserted. Unlike [`state`](Self::state), nothing here is shared
    /// with other requests.
    ///
    /// ```
    /// use fastcgi::request::{Environ, RequestParts};
    ///
    /// #[derive(Clone)]
    /// struct RequestId(u64);
    ///
    /// let mut parts = RequestParts::new(Environ::default());
    /// parts.extensions_mut().insert(RequestId(7));
    /// assert_eq!(parts.extensions().get::<RequestId>().map(|id| id.0), Some(7));
    /// // Not application state, which every request shares.
    /// assert!(parts.state::<RequestId>().is_none());
    /// ```
    pub fn extensions(&self) -> &http::Extensions {
        &self.extensions
    }

    /// Values for this request only, to add to or take from: see
    /// [`extensions`](Self::extensions).
    pub fn extensions_mut(&mut self) -> &mut http::Extensions {
        &mut self.extensions
    }
}

/// One FastCGI request as the handler receives it.
#[derive(Debug)]
pub struct Request {
    pub(crate) parts: RequestParts,
    pub(crate) body: Option<Body>,
    pub(crate) data: Option<Body>,
    pub(crate) writer: Option<ResponseWriter>,
}

impl Request {
    /// A request built by hand, with a complete body: for tests and for
    /// handlers that call other handlers. Its response writer, if taken,
    /// writes nowhere; use the test client to see real output.
    pub fn new(parts: RequestParts, body: Body) -> Self {
        Self {
            parts,
            body: Some(body),
            data: None,
            writer: None,
        }
    }

    /// The parts: environ, role, abort signal, state, extensions.
    pub fn parts(&self) -> &RequestParts {
        &self.parts
    }

    /// The CGI meta-variables.
    pub fn environ(&self) -> &Environ {
        &self.parts.environ
    }

    /// Values for this request only (path parameters, what middleware
    /// inserted): see [`RequestParts::extensions`].
    pub fn extensions(&self) -> &http::Extensions {
        &self.parts.extensions
    }

    /// Values for this request only, to add to or take from: how a handler
    /// that wraps another passes it something, without rebuilding the
    /// request (which would lose its response writer and data stream).
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// use fastcgi::handler::{Handler, from_fn};
    /// use fastcgi::request::{Body, Environ, Request, RequestParts};
    /// use http::StatusCode;
    ///
    /// #[derive(Clone)]
    /// struct TraceId(u32);
    ///
    /// let inner = Arc::new(from_fn(|request: Request| async move {
    ///     match request.extensions().get::<TraceId>() {
    ///         Some(TraceId(7)) => StatusCode::NO_CONTENT,
    ///         _ => StatusCode::INTERNAL_SERVER_ERROR,
    ///     }
    /// }));
    /// let outer = from_fn(move |mut request: Request| {
    ///     request.extensions_mut().insert(TraceId(7));
    ///     let inner = Arc::clone(&inner);
    ///     async move { inner.call(request).await }
    /// });
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let request = Request::new(RequestParts::new(Environ::default()), Body::empty());
    /// assert_eq!(outer.call(request).await.status(), StatusCode::NO_CONTENT);
    /// # });
    /// ```
    pub fn extensions_mut(&mut self) -> &mut http::Extensions {
        &mut self.parts.extensions
    }

    /// Takes the body (FCGI_STDIN); `None` if something took it already.
    pub fn take_body(&mut self) -> Option<Body> {
        self.body.take()
    }

    /// Takes the Filter role's FCGI_DATA stream; `None` for other roles or
    /// when already taken.
    pub fn take_data(&mut self) -> Option<Body> {
        self.data.take()
    }

    /// Takes the low-level response writer; `None` when already taken or
    /// for a request built by hand.
    pub fn take_writer(&mut self) -> Option<ResponseWriter> {
        self.writer.take()
    }

    /// Splits the request into its parts and its body.
    pub fn into_parts(self) -> (RequestParts, Option<Body>) {
        (self.parts, self.body)
    }
}
