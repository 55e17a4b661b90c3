//! The server side of a [`TestClient`](super::TestClient): each connection
//! the client opens is served by a task on the test's own runtime.

use std::sync::Arc;

use tokio::io::DuplexStream;

use crate::handler::Handler;
use crate::server::{Server, Shared, serve_shared};

/// Serves in-memory connections with one server's limits, state and
/// handler.
pub(crate) struct InProcessServer {
    serve: Box<dyn Fn(DuplexStream) + Send + Sync>,
}

impl std::fmt::Debug for InProcessServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InProcessServer")
    }
}

impl InProcessServer {
    pub(crate) fn start<H: Handler>(server: Server, handler: H) -> Self {
        let shared: Arc<Shared<H>> = server.shared(handler);
        Self {
            serve: Box::new(move |io| {
                tokio::spawn(serve_shared(Arc::clone(&shared), io));
            }),
        }
    }

    /// Serves `io` until the client closes it.
    pub(crate) fn serve(&self, io: DuplexStream) {
        (self.serve)(io);
    }
}
