//! Triggering a graceful shutdown from anywhere.

use std::sync::Arc;

use tokio::sync::watch;

/// Stops a running [`Server`](crate::server::Server) gracefully: it stops
/// accepting, lets in-flight requests finish within the grace period, then
/// closes every connection and returns. Cloneable; trigger it from any task
/// or thread (simple-fastcgi's `shutdown()`).
///
/// ```
/// # async fn run() -> Result<(), fastcgi::Error> {
/// use fastcgi::server::Server;
/// # let handler = fastcgi::handler::from_fn(|_| async { "hi" });
/// let server = Server::bind("127.0.0.1:0")?;
/// let shutdown = server.shutdown_handle();
/// tokio::spawn(async move {
///     tokio::time::sleep(std::time::Duration::from_secs(1)).await;
///     shutdown.shutdown();
/// });
/// server.serve(handler).await
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ShutdownHandle {
    sender: Arc<watch::Sender<bool>>,
}

impl Default for ShutdownHandle {
    fn default() -> Self {
        Self::new()
    }
}

impl ShutdownHandle {
    /// A handle that has not been triggered.
    pub fn new() -> Self {
        Self {
            sender: Arc::new(watch::Sender::new(false)),
        }
    }

    /// Starts the graceful shutdown. Idempotent.
    pub fn shutdown(&self) {
        self.sender.send_replace(true);
    }

    /// Whether shutdown was triggered.
    pub fn is_shutdown(&self) -> bool {
        *self.sender.borrow()
    }

    /// Completes once shutdown is triggered.
    pub async fn wait(&self) {
        let mut receiver = self.sender.subscribe();
        // The sender lives as long as `self`, so this only ends by the
        // value turning true.
        let _ = receiver.wait_for(|triggered| *triggered).await;
    }
}
