//! Work a handler leaves to run after its response: PHP's
//! `fastcgi_finish_request()`, then more code.

use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::task::JoinSet;

use super::FromRequestParts;
use crate::output::RequestOutput;
use crate::request::RequestParts;

/// Runs work after the response is sent (PHP's `fastcgi_finish_request()`:
/// answer the client, then send the mail). The work starts once the
/// request has ended (its END_REQUEST is on its way to the web server,
/// which then completes the response to the client), runs as its own
/// task, and is not tied to the request: it goes on if the client leaves.
/// The server's graceful shutdown waits for it within its
/// [grace period](crate::server::Server::grace_period), then cancels what
/// is still running.
///
/// ```
/// use fastcgi::extract::AfterResponse;
/// use fastcgi::prelude::*;
///
/// #[fcgi_handler]
/// async fn signup(after: AfterResponse) -> &'static str {
///     after.spawn(async {
///         // send_welcome_mail().await;
///     });
///     "Thanks! Check your mail."
/// }
/// # let _ = signup;
/// ```
#[derive(Debug)]
pub struct AfterResponse {
    output: Option<RequestOutput>,
    tasks: Option<BackgroundTasks>,
}

impl AfterResponse {
    /// Runs `work` once this request's response has ended.
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        let output = self.output.clone();
        let task = async move {
            if let Some(output) = output {
                std::future::poll_fn(|cx| output.conn.poll_ended(cx, output.key)).await;
            }
            work.await;
        };
        match &self.tasks {
            Some(tasks) => tasks.spawn(task),
            // Outside a server (a handler called directly): nobody waits.
            None => drop(tokio::spawn(task)),
        }
    }
}

impl FromRequestParts for AfterResponse {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &RequestParts) -> Result<Self, Infallible> {
        Ok(AfterResponse {
            output: parts.output.clone(),
            tasks: parts.state.get::<BackgroundTasks>().cloned(),
        })
    }
}

/// The server's work after responses, which shutdown waits for.
#[derive(Clone, Default)]
pub(crate) struct BackgroundTasks {
    set: Arc<Mutex<JoinSet<()>>>,
}

impl std::fmt::Debug for BackgroundTasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackgroundTasks").finish_non_exhaustive()
    }
}

impl BackgroundTasks {
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let mut set = self.set.lock().unwrap_or_else(PoisonError::into_inner);
        // Finished ones are collected as new ones come, so the set holds
        // only what still runs.
        while set.try_join_next().is_some() {}
        set.spawn(task);
    }

    /// Waits up to `limit` for every task, then cancels what still runs.
    /// Returns how many were cancelled.
    pub(crate) async fn finish(&self, limit: Duration) -> usize {
        let mut set = std::mem::take(&mut *self.set.lock().unwrap_or_else(PoisonError::into_inner));
        let done =
            tokio::time::timeout(limit, async { while set.join_next().await.is_some() {} }).await;
        if done.is_ok() {
            return 0;
        }
        let cancelled = set.len();
        set.shutdown().await;
        cancelled
    }
}
