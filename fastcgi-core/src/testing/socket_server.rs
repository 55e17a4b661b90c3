//! [`TestServer`]: a whole [`Server`] on a real socket, for tests that need
//! one (a web server in front, raw records, connection limits).

use crate::client::{ClientError, Connection};
use crate::error::Error;
use crate::handler::Handler;
use crate::server::{BindAddr, Server, ShutdownHandle};

/// A [`Server`] serving a handler on its real listening socket, on the
/// test's runtime, until [`stop`](Self::stop) (or until it is dropped,
/// which stops it at once). Signals are not handled: the test's process is
/// not the server's.
///
/// Use [`TestClient`](super::TestClient) to test a handler; use this to
/// test what needs a socket: limits, peers, shutdown, a web server in front.
///
/// ```
/// use fastcgi::client::ClientRequest;
/// use fastcgi::handler::from_fn;
/// use fastcgi::server::Server;
/// use fastcgi::testing::TestServer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = Server::bind("127.0.0.1:0")?.max_connections(8);
/// let app = TestServer::start(server, from_fn(|_| async { "hi" }));
/// let mut conn = app.connect().await?; // or connect to `app.addr()` yourself
/// assert_eq!(conn.send(ClientRequest::get("/")).await?.text(), "hi");
/// app.stop().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct TestServer {
    addr: String,
    shutdown: ShutdownHandle,
    task: Option<tokio::task::JoinHandle<Result<(), Error>>>,
}

impl TestServer {
    /// Starts serving `handler` with `server` (limits, state and its
    /// listener, e.g. `Server::bind("127.0.0.1:0")`).
    ///
    /// # Panics
    ///
    /// When `server` has no listener ([`Server::new`]), and outside a
    /// tokio runtime.
    pub fn start<H: Handler>(server: Server, handler: H) -> Self {
        let addr = match server.local_addr() {
            Some(BindAddr::Tcp(addr)) => addr.to_string(),
            Some(BindAddr::Unix(path)) => format!("unix:{}", path.display()),
            None => panic!(
                "TestServer::start needs a server with a listener: build it with Server::bind(\"127.0.0.1:0\")"
            ),
        };
        let shutdown = server.shutdown_handle();
        let task = tokio::spawn(server.handle_signals(false).serve(handler));
        Self {
            addr,
            shutdown,
            task: Some(task),
        }
    }

    /// Where it listens, as [`Connection::connect`] takes it:
    /// `127.0.0.1:PORT` or `unix:/path`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Opens a client connection to it.
    ///
    /// # Errors
    ///
    /// As [`Connection::connect`].
    pub async fn connect(&self) -> Result<Connection, ClientError> {
        Connection::connect(&self.addr).await
    }

    /// Starts a graceful shutdown and returns at once; see
    /// [`finished`](Self::finished) to wait for it.
    pub fn shutdown(&self) {
        self.shutdown.shutdown();
    }

    /// Waits until the server returns (after [`shutdown`](Self::shutdown)
    /// and its grace period), with what [`Server::serve`] returned. A panic
    /// in the server is resumed here.
    ///
    /// # Errors
    ///
    /// What [`Server::serve`] returned.
    pub async fn finished(mut self) -> Result<(), Error> {
        let Some(task) = self.task.take() else {
            return Ok(());
        };
        match task.await {
            Ok(served) => served,
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            // Cancelled: the runtime is shutting down.
            Err(_) => Ok(()),
        }
    }

    /// Shuts down gracefully and waits until the server returns.
    ///
    /// # Errors
    ///
    /// What [`Server::serve`] returned.
    pub async fn stop(self) -> Result<(), Error> {
        self.shutdown();
        self.finished().await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
