//! Testing handlers through real FastCGI, without a socket.
//!
//! A [`TestClient`] serves a handler (or a whole [`Server`] with its
//! limits and state) over an in-memory stream and talks to it with the
//! [`client`](crate::client): every request goes through real records, the
//! server's multiplexing, aborts and error handling included, and the
//! response comes back parsed: CGI status and headers, body, the separate
//! `FCGI_STDERR` text, and the `FCGI_END_REQUEST` statuses.
//!
//! ```
//! use fastcgi::handler::from_fn;
//! use fastcgi::request::Request;
//! use fastcgi::response::{IntoResponse, StatusCode};
//! use fastcgi::testing::TestClient;
//!
//! async fn item(request: Request) -> impl IntoResponse {
//!     match request.environ().get("QUERY_STRING") {
//!         Some("id=3") => (StatusCode::OK, "item 3"),
//!         _ => (StatusCode::NOT_FOUND, "no such item"),
//!     }
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), fastcgi::client::ClientError> {
//!     let client = TestClient::new(from_fn(item));
//!
//!     let found = client.get("/items?id=3").header("Accept", "text/plain").send().await?;
//!     assert_eq!(found.status(), 200);
//!     assert_eq!(found.text(), "item 3");
//!
//!     let missing = client.get("/items?id=4").await?; // `.send()` is implied
//!     assert_eq!(missing.status(), 404);
//!     Ok(())
//! }
//! ```
//!
//! Streaming, aborts and dropped connections:
//!
//! ```
//! # use fastcgi::handler::from_fn;
//! # use fastcgi::testing::TestClient;
//! # use fastcgi::response::ResponseWriter;
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), fastcgi::client::ClientError> {
//! let client = TestClient::new(from_fn(|mut request: fastcgi::request::Request| async move {
//!     let Some(mut out) = request.take_writer() else { return };
//!     let _ = out.send_response(http::StatusCode::OK, "text/plain", "first\n", &[], true).await;
//!     request.parts().abort_signal().aborted().await; // until the client gives up
//! }));
//! let mut stream = client.get("/stream").start().await?;
//! assert_eq!(stream.next_chunk().await?.as_deref(), Some(&b"first\n"[..]));
//! stream.abort().await?; // FCGI_ABORT_REQUEST, then wait for FCGI_END_REQUEST
//! # Ok(()) }
//! ```
//!
//! # How it runs
//!
//! Each [`TestClient`] is one connection, a
//! [`MultiplexedConnection`] whose task runs on the test's runtime (so it
//! must be created inside one, e.g. in a `#[tokio::test]`); its clones
//! share that connection, [`new_connection`](TestClient::new_connection)
//! opens another to the same server. The server side of each connection is
//! a task on the same runtime, so handlers' timers, spawned tasks and
//! paused time (`start_paused`) behave as in the rest of the test.
//!
//! For a test that needs a real socket (limits, peers, shutdown, a web
//! server in front), [`TestServer`] runs a whole [`Server`] on its
//! listener on the test's runtime.

mod server_thread;
mod socket_server;

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;

use crate::client::{
    ClientError, ClientRequest, ClientResponse, MultiplexedConnection, RequestBody, ResponseStream,
};
use crate::handler::Handler;
use crate::protocol::{Params, Role};
use crate::server::Server;
use server_thread::InProcessServer;
pub use socket_server::TestServer;

/// Size of the in-memory pipe between client and server, each way.
const PIPE_BUFFER: usize = 256 * 1024;

/// A FastCGI client wired to a handler in the same process: see the
/// [module docs](self).
///
/// Cloning gives another handle on the same connection;
/// [`new_connection`](Self::new_connection) opens a new one to the same
/// server.
///
/// ```
/// use fastcgi::handler::from_fn;
/// use fastcgi::server::Server;
/// use fastcgi::testing::TestClient;
///
/// #[derive(Clone)]
/// struct Config { greeting: &'static str }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), fastcgi::client::ClientError> {
/// let handler = from_fn(|request: fastcgi::request::Request| async move {
///     let greeting = request.parts().state::<Config>().map_or("?", |c| c.greeting);
///     let body = request.environ().get("CONTENT_LENGTH").unwrap_or("0").to_owned();
///     format!("{greeting}, {body} bytes")
/// });
/// let client = TestClient::with_server(Server::new().with_state(Config { greeting: "hi" }), handler);
/// let response = client.post("/upload", "text/plain", "12345").send().await?;
/// assert_eq!(response.text(), "hi, 5 bytes");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TestClient {
    connection: MultiplexedConnection,
    server: Arc<InProcessServer>,
}

impl TestClient {
    /// Serves `handler` with a default [`Server::new`] and connects to it.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn new<H: Handler>(handler: H) -> Self {
        Self::with_server(Server::new(), handler)
    }

    /// Serves `handler` with `server`'s limits and state (e.g.
    /// `Server::new().with_state(pool)`) and connects to it. A listener
    /// the server may have is not used.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn with_server<H: Handler>(server: Server, handler: H) -> Self {
        let server = Arc::new(InProcessServer::start(server, handler));
        Self::connect(server)
    }

    fn connect(server: Arc<InProcessServer>) -> Self {
        let (client_io, server_io) = tokio::io::duplex(PIPE_BUFFER);
        server.serve(server_io);
        Self {
            connection: MultiplexedConnection::new(client_io),
            server,
        }
    }

    /// Opens another connection to the same server (same handler, limits
    /// and state), e.g. to test behaviour across connections.
    pub fn new_connection(&self) -> Self {
        Self::connect(Arc::clone(&self.server))
    }

    /// A `GET` request for `uri`, with the params nginx sends (see
    /// [`ClientRequest::new`]); finish it with `.send()`, `.start()` or `.await`.
    pub fn get(&self, uri: &str) -> TestRequest<'_> {
        self.request(ClientRequest::get(uri))
    }

    /// A `POST` request for `uri` with a body of `content_type`.
    pub fn post(
        &self,
        uri: &str,
        content_type: &str,
        body: impl Into<RequestBody>,
    ) -> TestRequest<'_> {
        self.request(ClientRequest::post(uri, content_type, body))
    }

    /// A request with any method (`PUT`, `DELETE`...) for `uri`.
    pub fn method(&self, method: &str, uri: &str) -> TestRequest<'_> {
        self.request(ClientRequest::new(method, uri))
    }

    /// A request you built: finish it with `.send()`, `.start()` or `.await`.
    pub fn request(&self, request: ClientRequest) -> TestRequest<'_> {
        TestRequest {
            client: self,
            request: Ok(request),
        }
    }

    /// Sends `request` and collects its response.
    ///
    /// # Errors
    ///
    /// As [`MultiplexedConnection::send`].
    pub async fn send(&self, request: ClientRequest) -> Result<ClientResponse, ClientError> {
        self.connection.send(request).await
    }

    /// Sends `request` and returns its response as a stream.
    ///
    /// # Errors
    ///
    /// As [`MultiplexedConnection::start`].
    pub async fn start(
        &self,
        request: ClientRequest,
    ) -> Result<ResponseStream<'static>, ClientError> {
        self.connection.start(request).await
    }

    /// Asks the server for its `FCGI_GET_VALUES` variables.
    ///
    /// # Errors
    ///
    /// When the connection is closed.
    pub async fn get_values(&self, names: &[&str]) -> Result<Params, ClientError> {
        self.connection.get_values(names).await
    }

    /// Drops this connection at once, as a web server does when it gives
    /// up: the server aborts the requests in flight on it (it trips their
    /// abort signals and cancels their handlers), and they fail here with
    /// [`ClientError::ConnectionClosed`], as do later requests on this
    /// connection. Other connections ([`new_connection`](Self::new_connection))
    /// are not affected.
    pub fn close(&self) {
        self.connection.close();
    }

    /// The underlying connection.
    pub fn connection(&self) -> &MultiplexedConnection {
        &self.connection
    }
}

/// A request being built on a [`TestClient`]: add params, headers, a
/// body; then [`send`](Self::send) it (or `.await` it) for the whole
/// response, or [`start`](Self::start) it for a stream.
///
/// Errors of the fallible builders ([`query`](Self::query),
/// [`json`](Self::json), [`form`](Self::form)) are reported by `send` and `start`.
///
/// ```
/// # use fastcgi::handler::from_fn;
/// # use fastcgi::testing::TestClient;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), fastcgi::client::ClientError> {
/// # let client = TestClient::new(from_fn(|r: fastcgi::request::Request| async move {
/// #     r.environ().get("QUERY_STRING").unwrap_or("").to_owned()
/// # }));
/// #[derive(serde::Serialize)]
/// struct Search<'a> { q: &'a str, page: u32 }
///
/// let response = client
///     .get("/search")
///     .query(&Search { q: "rust fastcgi", page: 2 })
///     .header("Accept-Language", "en")
///     .await?;
/// assert_eq!(response.text(), "q=rust+fastcgi&page=2");
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a request does nothing until it is sent with `.send()`, `.start()` or `.await`"]
pub struct TestRequest<'a> {
    client: &'a TestClient,
    request: Result<ClientRequest, ClientError>,
}

impl<'a> TestRequest<'a> {
    fn map(self, f: impl FnOnce(ClientRequest) -> ClientRequest) -> Self {
        Self {
            client: self.client,
            request: self.request.map(f),
        }
    }

    fn try_map(self, f: impl FnOnce(ClientRequest) -> Result<ClientRequest, ClientError>) -> Self {
        Self {
            client: self.client,
            request: self.request.and_then(f),
        }
    }

    /// Sets a param (CGI meta-variable): see [`ClientRequest::param`].
    pub fn param(self, name: &str, value: &str) -> Self {
        self.map(|r| r.param(name, value))
    }

    /// Sets an HTTP request header as nginx passes it (`User-Agent` →
    /// `HTTP_USER_AGENT`): see [`ClientRequest::header`].
    pub fn header(self, name: &str, value: &str) -> Self {
        self.map(|r| r.header(name, value))
    }

    /// Appends a serialized query to `QUERY_STRING`: see [`ClientRequest::query`].
    pub fn query<T: Serialize + ?Sized>(self, query: &T) -> Self {
        self.try_map(|r| r.query(query))
    }

    /// Sets the body (bytes, text, or a stream such as
    /// [`RequestBody::channel`]): see [`ClientRequest::body`].
    pub fn body(self, body: impl Into<RequestBody>) -> Self {
        self.map(|r| r.body(body))
    }

    /// Sets a JSON body: see [`ClientRequest::json`].
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        self.try_map(|r| r.json(value))
    }

    /// Sets a form body: see [`ClientRequest::form`].
    pub fn form<T: Serialize + ?Sized>(self, value: &T) -> Self {
        self.try_map(|r| r.form(value))
    }

    /// Sets the role.
    pub fn role(self, role: Role) -> Self {
        self.map(|r| r.role(role))
    }

    /// Sets the Filter role's data (`FCGI_DATA`): see [`ClientRequest::data`].
    pub fn data(self, data: impl Into<RequestBody>) -> Self {
        self.map(|r| r.data(data))
    }

    /// Sets `FCGI_KEEP_CONN` (default true). Without it the server closes
    /// this client's connection after answering.
    pub fn keep_conn(self, keep: bool) -> Self {
        self.map(|r| r.keep_conn(keep))
    }

    /// The request built so far.
    ///
    /// # Errors
    ///
    /// The error of a fallible builder.
    pub fn into_request(self) -> Result<ClientRequest, ClientError> {
        self.request
    }

    /// Sends the request and collects the whole response.
    ///
    /// # Errors
    ///
    /// A builder's error, or as [`MultiplexedConnection::send`].
    pub async fn send(self) -> Result<ClientResponse, ClientError> {
        self.client.send(self.request?).await
    }

    /// Sends the request and returns its response as a stream.
    ///
    /// # Errors
    ///
    /// A builder's error, or as [`MultiplexedConnection::start`].
    pub async fn start(self) -> Result<ResponseStream<'static>, ClientError> {
        self.client.start(self.request?).await
    }
}

impl<'a> IntoFuture for TestRequest<'a> {
    type Output = Result<ClientResponse, ClientError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    /// `.await` on a request sends it: the same as [`send`](TestRequest::send).
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
