//! A status endpoint: the server's [`Metrics`] as JSON or in the
//! Prometheus text format.
//!
//! Mount [`StatusHandler`] where monitoring can reach it (and the public
//! cannot: restrict the location in the web server). Web servers and load
//! balancers that only need to know the app is alive can send
//! FCGI_GET_VALUES instead, which the server answers at any time without
//! running a handler.
//!
//! ```no_run
//! use fastcgi::server::Server;
//! use fastcgi::status::StatusHandler;
//!
//! # async fn run() -> Result<(), fastcgi::Error> {
//! let server = Server::from_env()?;
//! let status = StatusHandler::new(server.metrics());
//! server.serve(status).await
//! # }
//! ```

use http::{HeaderValue, header};

use crate::handler::Handler;
use crate::request::Request;
use crate::response::{IntoResponse, Response, ResponseBody};
use crate::server::Metrics;

/// Answers with a snapshot of the metrics: JSON by default, the Prometheus
/// text format when the query string has `format=prometheus` or the client
/// accepts `text/plain` but not JSON (as Prometheus's scraper does).
#[derive(Debug, Clone)]
pub struct StatusHandler {
    metrics: Metrics,
}

impl StatusHandler {
    /// Serves `metrics`.
    pub fn new(metrics: Metrics) -> Self {
        Self { metrics }
    }
}

fn wants_prometheus(request: &Request) -> bool {
    let environ = request.environ();
    let query_asks = environ
        .query_string()
        .split('&')
        .any(|pair| pair == "format=prometheus");
    let accept = environ.get("HTTP_ACCEPT").unwrap_or("");
    query_asks || (accept.contains("text/plain") && !accept.contains("json"))
}

impl Handler for StatusHandler {
    async fn call(&self, request: Request) -> Response {
        let snapshot = self.metrics.snapshot();
        if wants_prometheus(&request) {
            let mut response = Response::new(ResponseBody::full(snapshot.to_prometheus()));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            response
        } else {
            crate::extract::Json(snapshot).into_response()
        }
    }
}
