//! What runs for one request once its params are complete: the handler,
//! then its response written to the request's output.

use std::sync::Arc;

use crate::handler::Handler;
use crate::handler::timeout::TimedOut;
use crate::output::RequestOutput;
use crate::request::Request;
use crate::response::{ResponseWriter, ServerLog};

/// Calls the handler and writes what it returns, unless the handler wrote
/// its response by hand through the writer. The connection task polls this
/// future in place and sends END_REQUEST when it completes.
pub(crate) async fn run_request<H: Handler>(
    handler: Arc<H>,
    request: Request,
    output: RequestOutput,
) -> RequestEnd {
    let response = handler.call(request).await;
    let end = RequestEnd {
        timed_out: response.extensions().get::<TimedOut>().is_some(),
    };
    let mut writer = ResponseWriter::new(output.clone());
    if let Some(ServerLog(line)) = response.extensions().get::<ServerLog>() {
        tracing::error!(request_id = output.key.request_id, "{line}");
        let line = format!("{line}\n");
        // A closed connection has nobody left to tell.
        let _ = writer.write_err(line.as_bytes()).await;
    }
    if output.conn.stdout_started(output.key) {
        // Written by hand through the writer: what the handler returned is
        // not sent (documented on `ResponseWriter`).
        return end;
    }
    if let Err(err) = writer.send_unstarted(response).await {
        tracing::debug!(request_id = output.key.request_id, error = %err, "response not sent");
    }
    end
}

/// How a request's handler ended, for the connection's counters.
pub(crate) struct RequestEnd {
    /// A route's own time limit answered it
    /// ([`Router::timeout`](crate::routing::Router::timeout)).
    pub(crate) timed_out: bool,
}
