//! The abort signal of one request (simple-fastcgi's `aborted()`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// Tells a handler that its request was aborted: the web server sent
/// FCGI_ABORT_REQUEST, or closed the connection (which is what nginx,
/// Apache and lighttpd do when their client goes away).
///
/// Check it with [`is_aborted`](Self::is_aborted), or await
/// [`aborted`](Self::aborted) beside other work. A handler that ignores it
/// is cancelled anyway at its next `.await`; the signal is for handlers
/// that want to stop cleanly, or for blocking work that has no `.await`.
///
/// ```
/// use fastcgi::request::AbortSignal;
/// # async fn produce_next_record() {}
/// async fn stream_until_aborted(abort: AbortSignal) {
///     while !abort.is_aborted() {
///         tokio::select! {
///             _ = abort.aborted() => break,
///             _ = produce_next_record() => {}
///         }
///     }
/// }
/// ```
#[derive(Clone, Debug, Default)]
pub struct AbortSignal {
    inner: Arc<AbortInner>,
}

#[derive(Debug, Default)]
struct AbortInner {
    aborted: AtomicBool,
    notify: Notify,
}

impl AbortSignal {
    /// A signal that is not aborted; [`abort`](Self::abort) trips it.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the request has been aborted.
    pub fn is_aborted(&self) -> bool {
        self.inner.aborted.load(Ordering::Acquire)
    }

    /// Completes once the request is aborted (at once if it already is).
    pub async fn aborted(&self) {
        loop {
            let notified = self.inner.notify.notified();
            if self.is_aborted() {
                return;
            }
            notified.await;
        }
    }

    /// Trips the signal, waking every waiter. The server calls this; tests
    /// can too.
    pub fn abort(&self) {
        self.inner.aborted.store(true, Ordering::Release);
        self.inner.notify.notify_waiters();
    }
}
