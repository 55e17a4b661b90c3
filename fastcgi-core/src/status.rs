//! A status endpoint: the server's [`Metrics`] and the requests in flight
//! (PHP-FPM's `pm.status_path` with `?full`), as JSON or in the
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
use serde::Serialize;

use crate::handler::Handler;
use crate::request::Request;
use crate::response::{IntoResponse, Response, ResponseBody};
use crate::server::{InFlightRequest, Metrics, MetricsSnapshot};

/// Answers with a snapshot of the metrics: JSON by default, the Prometheus
/// text format when the query string has `format=prometheus` or the client
/// accepts `text/plain` but not JSON (as Prometheus's scraper does).
///
/// The JSON has every [`MetricsSnapshot`] field and `in_flight`, the
/// requests being served ([`Metrics::in_flight`]), each with
/// `request_id`, `peer`, `method`, `uri`, `elapsed_ms` and `state`
/// (PHP-FPM's `?full`):
///
/// ```json
/// {"uptime_seconds":42,"requests_total":7,"requests_active":1,"...":0,
///  "in_flight":[{"request_id":1,"peer":"127.0.0.1","method":"GET",
///    "uri":"/report?year=2025","elapsed_ms":5012,"state":"running"}]}
/// ```
///
/// The Prometheus text adds `fastcgi_request_duration_seconds`, a
/// histogram of request durations.
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
            let mut text = snapshot.to_prometheus();
            text.push_str(&self.metrics.duration_histogram_prometheus());
            let mut response = Response::new(ResponseBody::full(text));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            response
        } else {
            crate::extract::Json(Status {
                metrics: snapshot,
                in_flight: self.metrics.in_flight(),
            })
            .into_response()
        }
    }
}

#[derive(Serialize)]
struct Status {
    #[serde(flatten)]
    metrics: MetricsSnapshot,
    in_flight: Vec<InFlightRequest>,
}
