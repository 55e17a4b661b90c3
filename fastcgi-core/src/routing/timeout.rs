//! Time limits on routes: [`Router::timeout`] and [`MethodRouter::timeout`].

use std::time::Duration;

use super::{MethodRouter, Router};
use crate::handler::Timeout;
use crate::handler::endpoint::Endpoint;

impl Router {
    /// Cancels a request to any route added so far that runs longer than
    /// `limit` (see [`Timeout`]: 503 with `Request timed out` if nothing
    /// was sent, a line on FCGI_STDERR, counted in
    /// [`MetricsSnapshot::request_timeouts`](crate::server::MetricsSnapshot::request_timeouts)).
    /// Routes added after the call have no limit of their own; the
    /// fallbacks are not limited. [`Server::request_timeout`](crate::server::Server::request_timeout)
    /// limits every request, whatever its route.
    ///
    /// ```
    /// use std::time::Duration;
    /// use fastcgi::handler::from_fn;
    /// use fastcgi::routing::{Router, get};
    ///
    /// let app = Router::new()
    ///     .route("/report", get(from_fn(|_| async { "report" })))
    ///     .timeout(Duration::from_secs(60))
    ///     .route("/", get(from_fn(|_| async { "home" })));
    /// # let _ = app;
    /// ```
    pub fn timeout(self, limit: Duration) -> Self {
        self.map_endpoints(&|endpoint| limited(endpoint, limit), false)
    }
}

impl MethodRouter {
    /// Cancels a request to these handlers that runs longer than `limit`
    /// (see [`Router::timeout`]).
    pub fn timeout(self, limit: Duration) -> Self {
        self.map_endpoints(&|endpoint| limited(endpoint, limit))
    }
}

fn limited(endpoint: Endpoint, limit: Duration) -> Endpoint {
    Endpoint::new(Timeout::new(endpoint, limit))
}
