//! The `echo` example behind real web servers: nginx, lighttpd and Apache
//! httpd, each configured from its recipe in `examples/deploy/` (the very
//! text the README shows), started in the foreground as its own process with
//! everything (config, pid file, logs, temp files) in a temp directory.
//!
//! A test file declares `mod common; mod webserver;` and expands
//! [`web_tests!`] with how to start its deployment and what that server is
//! expected to do; the deployment is started once and shared by the file's
//! tests, which take turns (see [`Deployment::turn`]).

#![allow(dead_code, unused_imports, unused_macros)]

pub mod checks;
pub mod deployment;
pub mod http;
pub mod install;
pub mod ops;
pub mod process;
pub mod servers;

pub use checks::{Expect, Outcome, Param};
pub use deployment::{App, Deployment};

/// Expands to one `#[tokio::test]` per check in [`checks`], all sharing the
/// deployment `$start` (an expression: a future of
/// `Result<Option<Deployment>, String>`) and judged against `$expect`.
macro_rules! web_tests {
    ($start:expr, $expect:expr) => {
        /// The file's deployment, started by the first test that asks.
        async fn deployment() -> Option<&'static $crate::webserver::Deployment> {
            static CELL: tokio::sync::OnceCell<
                Result<Option<$crate::webserver::Deployment>, String>,
            > = tokio::sync::OnceCell::const_new();
            match CELL.get_or_init(|| $start).await {
                Ok(deployment) => deployment.as_ref(),
                Err(err) => panic!("the deployment did not start: {err}"),
            }
        }

        $crate::webserver::web_tests!(@each $expect;
            query_and_params,
            proxy_header_does_not_reach_the_app,
            large_body_round_trip,
            large_response,
            status_passes_through,
            redirects,
            streamed_output_arrives_early,
            stderr_reaches_error_log,
            panic_gives_500_then_serves,
            concurrent_requests,
            client_disconnect_mid_stream,
        );
        $crate::webserver::web_tests!(@ops $expect;
            request_timeout_answers_503,
            slow_request_is_logged_while_running,
            status_lists_requests_in_flight,
            access_log_line_per_request,
            sse_arrives_event_by_event,
            sse_stops_when_the_client_leaves,
            file_offload_sends_100_mib,
        );
    };
    (@each $expect:expr; $($check:ident,)*) => {
        $(
            #[tokio::test]
            async fn $check() {
                if let Some(deployment) = deployment().await {
                    $crate::webserver::checks::$check(deployment, &$expect).await;
                }
            }
        )*
    };
    (@ops $expect:expr; $($check:ident,)*) => {
        $(
            #[tokio::test]
            async fn $check() {
                if let Some(deployment) = deployment().await {
                    $crate::webserver::ops::$check(deployment, &$expect).await;
                }
            }
        )*
    };
}
pub(crate) use web_tests;
