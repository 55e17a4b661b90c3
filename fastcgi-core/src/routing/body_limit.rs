//! `body_limit` on a [`Router`] or a [`MethodRouter`]: the [`BodyLimit`]
//! the buffering extractors of its routes read under, as axum's
//! `DefaultBodyLimit` layer sets it.

use std::future::Future;

use super::{MethodRouter, Router};
use crate::extract::{BodyLimit, RouteBodyLimit};
use crate::handler::Handler;
use crate::handler::endpoint::Endpoint;
use crate::request::Request;
use crate::response::Response;

/// A route's handler, told its body limit on the way in.
struct WithBodyLimit {
    limit: BodyLimit,
    inner: Endpoint,
}

impl Handler for WithBodyLimit {
    fn call(&self, mut request: Request) -> impl Future<Output = Response> + Send {
        // An inner router's limit, inserted later, replaces this one: the
        // narrowest setting wins.
        request.extensions_mut().insert(RouteBodyLimit(self.limit));
        self.inner.call(request)
    }
}

fn wrap(limit: BodyLimit) -> impl Fn(Endpoint) -> Endpoint {
    move |inner| Endpoint::new(WithBodyLimit { limit, inner })
}

impl Router {
    /// Sets the [`BodyLimit`] of the routes added so far (and of the
    /// fallback): how large a body `Bytes`, `Text`, `Json` and `Form` read
    /// whole before answering 413. It overrides the server's
    /// (`Server::body_limit`); a nested router's or a route's own
    /// `body_limit` overrides it.
    ///
    /// ```
    /// use fastcgi::extract::BodyLimit;
    /// use fastcgi::handler::from_fn;
    /// use fastcgi::routing::{Router, post};
    ///
    /// let uploads = Router::new()
    ///     .route("/uploads", post(from_fn(|_| async { "stored" })))
    ///     .body_limit(BodyLimit::max(100 * 1024 * 1024));
    /// # let _ = uploads;
    /// ```
    pub fn body_limit(self, limit: BodyLimit) -> Self {
        self.map_endpoints(&wrap(limit), true)
    }
}

impl MethodRouter {
    /// Sets the [`BodyLimit`] of this route's handlers, overriding the
    /// router's and the server's: `post(upload).body_limit(BodyLimit::max(64 << 20))`,
    /// or [`BodyLimit::unlimited()`] for a handler that bounds what it
    /// buffers itself.
    pub fn body_limit(self, limit: BodyLimit) -> Self {
        self.map_endpoints(&wrap(limit))
    }
}
