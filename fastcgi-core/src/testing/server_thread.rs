//! Runs a [`Server`]'s connections for a [`TestClient`](super::TestClient).
//!
//! `Server::serve_io` borrows the server for as long as the connection
//! lives, and `Server` is not `Sync` (its service action is a boxed
//! `FnMut`), so that future is not `Send` and cannot be `tokio::spawn`ed.
//! The connections therefore run on one helper thread per test server,
//! inside a `LocalSet` driven with the test's runtime handle: timers and
//! I/O registered by handlers belong to the test's runtime, and
//! `tokio::spawn` in a handler spawns onto it. When `serve_io` returns a
//! `Send` future, this becomes a plain `tokio::spawn` per connection.

use std::rc::Rc;
use std::sync::Arc;

use tokio::io::DuplexStream;
use tokio::sync::mpsc;

use crate::handler::Handler;
use crate::server::Server;

/// The helper thread's address: send it the server half of a new connection.
#[derive(Debug)]
pub(crate) struct ServerThread {
    connections: mpsc::UnboundedSender<DuplexStream>,
}

impl ServerThread {
    /// Starts the thread that serves the connections of `server` with `handler`.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, or when the OS refuses to start a thread.
    pub(crate) fn start<H: Handler>(server: Server, handler: H) -> Self {
        let runtime = tokio::runtime::Handle::current();
        let (connections, mut incoming) = mpsc::unbounded_channel::<DuplexStream>();
        let spawned = std::thread::Builder::new()
            .name("fastcgi-test-server".to_owned())
            .spawn(move || {
                let server = Rc::new(server);
                let handler = Arc::new(handler);
                let local = tokio::task::LocalSet::new();
                local.spawn_local(async move {
                    while let Some(io) = incoming.recv().await {
                        let server = Rc::clone(&server);
                        let handler = Arc::clone(&handler);
                        tokio::task::spawn_local(async move {
                            server.serve_io(io, handler).await;
                        });
                    }
                });
                // Completes once every TestClient of this server is gone
                // and each connection has ended.
                runtime.block_on(local);
            });
        if let Err(err) = spawned {
            panic!("fastcgi_core::testing could not start its server thread: {err}");
        }
        Self { connections }
    }

    /// Serves `io` as a new connection.
    pub(crate) fn serve(&self, io: DuplexStream) {
        // The thread only stops once every sender is gone; if it died
        // anyway, dropping `io` closes the connection and the client's
        // requests fail with a clear error.
        let _ = self.connections.send(io);
    }
}
