//! A FastCGI client: the side nginx, Apache or lighttpd play. It connects
//! to an application, sends requests as records, and reads the responses
//! back, parsing the CGI header block.
//!
//! - [`ClientRequest`]: role, params (the [`get`](ClientRequest::get) and
//!   [`post`](ClientRequest::post) builders fill in what nginx's
//!   `fastcgi_params` sends), keep-connection flag, body and Filter data,
//!   each as bytes or a stream ([`RequestBody`]).
//! - [`Connection`]: one request at a time, driven by the caller's task
//!   with no task, channel or lock per request: the fast path for
//!   keep-alive traffic and load generators.
//! - [`MultiplexedConnection`]: many requests in flight on one connection,
//!   routed by request id by a background task.
//! - [`ResponseStream`]: a response as it arrives, as raw
//!   [`ResponseEvent`]s or as the parsed [`ResponseHead`] then body chunks;
//!   [`ClientResponse`]: all of it collected, with the status and headers
//!   from the CGI header block, the body, the `FCGI_STDERR` text and the
//!   `FCGI_END_REQUEST` statuses.
//! - [`ClientError`]: what went wrong and what to do about it. Nothing the
//!   application sends makes the client panic.
//!
//! To test handlers without a socket, use [`testing::TestClient`](crate::testing::TestClient),
//! which runs this client against a server over an in-memory stream.
//!
//! # Example
//!
//! ```no_run
//! use fastcgi::client::{ClientRequest, Connection};
//!
//! # async fn run() -> Result<(), fastcgi::client::ClientError> {
//! let mut conn = Connection::connect("127.0.0.1:9000").await?;
//! let response = conn
//!     .send(ClientRequest::get("/items?id=3").header("Accept", "application/json"))
//!     .await?;
//! println!("{} {:?}", response.status(), response.text());
//! if !response.stderr().is_empty() {
//!     eprintln!("the app logged: {}", response.stderr_text());
//! }
//!
//! // A big upload, streamed as the application reads it.
//! let (writer, body) = fastcgi::client::RequestBody::channel();
//! let upload = ClientRequest::post("/upload", "application/octet-stream", body);
//! let mut stream = conn.start(upload).await?;
//! tokio::spawn(async move {
//!     for _ in 0..100 {
//!         if writer.send(vec![0u8; 64 * 1024]).await.is_err() {
//!             break;
//!         }
//!     }
//! });
//! let head = stream.head().await?;
//! println!("{}", head.status());
//! # Ok(()) }
//! ```
//!
//! The same with a test server in the process, runnable:
//!
//! ```
//! # async fn run() -> Result<(), fastcgi::client::ClientError> {
//! use fastcgi::client::{ClientRequest, Connection};
//! use fastcgi::handler::from_fn;
//! use fastcgi::server::Server;
//!
//! let (client_io, server_io) = tokio::io::duplex(64 * 1024);
//! let hello = from_fn(|request: fastcgi::request::Request| async move {
//!     format!("hello {}", request.environ().get("QUERY_STRING").unwrap_or(""))
//! });
//! let server = Server::new();
//! let client = async {
//!     let mut conn = Connection::new(client_io);
//!     conn.send(ClientRequest::get("/?world")).await
//!     // Dropping `conn` closes the connection, which ends `serve_io`.
//! };
//! let ((), response) = tokio::join!(server.serve_io(server_io, hello), client);
//! let response = response?;
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.text(), "hello world");
//! # Ok(()) }
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(run()).unwrap();
//! ```

mod body;
mod connection;
mod error;
mod inbox;
mod multiplexed;
mod request;
mod response;
mod stream;
mod transport;
mod wire;

pub use crate::cgi::MAX_HEADER_BLOCK_LEN;
pub use body::{BodyClosed, BodyWriter, RequestBody};
pub use connection::Connection;
pub use error::ClientError;
pub use multiplexed::{DEFAULT_RESPONSE_BUFFER, MultiplexedConnection};
pub use request::ClientRequest;
pub use response::{ClientResponse, EndRequest, ResponseEvent, ResponseHead};
pub use stream::ResponseStream;
