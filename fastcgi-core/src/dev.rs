//! A development HTTP front end: answers HTTP by speaking real FastCGI, over
//! a real socket, to the application, so an app can be tried with a
//! browser or curl before any web server is installed.
//!
//! The easy way in is the environment: with `FCGI_DEV_HTTP=127.0.0.1:8080`,
//! [`Server::from_env`](crate::server::Server::from_env) listens for
//! FastCGI on a free local port (or where `FCGI_BIND` says) and serves this
//! front on 8080, pointed at it:
//!
//! ```sh
//! FCGI_DEV_HTTP=127.0.0.1:8080 cargo run --example dir_listing
//! curl 'http://127.0.0.1:8080/?path=/'
//! ```
//!
//! It sends the params nginx's stock `fastcgi_params` sends (with
//! `DOCUMENT_ROOT` from `FCGI_DEV_ROOT`, or the current directory), streams
//! request and response bodies, follows CGI local redirects itself (as the
//! CGI spec asks of a web server) and relays FCGI_STDERR to its own stderr.
//! It opens one FastCGI connection per HTTP request and has no limits,
//! TLS, or static files: for development only. In production put nginx,
//! Apache or lighttpd in front (see the README's recipes).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;
use http::{HeaderValue, Request, Response, StatusCode};
use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::sync::mpsc;

use crate::body_stream::BoxError;
use crate::client::{ClientError, ClientRequest, Connection, RequestBody};
use crate::shutdown::ShutdownHandle;

/// Local redirects followed for one request before giving up.
const MAX_LOCAL_REDIRECTS: usize = 8;

/// The development HTTP front: HTTP in, FastCGI out to `app`.
#[derive(Debug, Clone)]
pub struct DevFront {
    app: String,
    document_root: PathBuf,
}

impl DevFront {
    /// A front for the FastCGI application at `app` (`HOST:PORT` or
    /// `unix:/path`). `DOCUMENT_ROOT` is `FCGI_DEV_ROOT` when set, else the
    /// current directory.
    pub fn new(app: impl Into<String>) -> Self {
        let document_root = std::env::var_os("FCGI_DEV_ROOT")
            .map(PathBuf::from)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("/"));
        Self {
            app: app.into(),
            document_root,
        }
    }

    /// Sets the `DOCUMENT_ROOT` sent with every request.
    pub fn document_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.document_root = root.into();
        self
    }

    /// Serves HTTP/1.1 on `listener` until `shutdown` triggers.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: ShutdownHandle,
    ) -> std::io::Result<()> {
        let local = listener.local_addr()?;
        loop {
            let (stream, peer) = tokio::select! {
                () = shutdown.wait() => return Ok(()),
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        tracing::warn!(error = %err, "dev HTTP front: accept failed");
                        continue;
                    }
                },
            };
            let front = self.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let front = front.clone();
                    async move { Ok::<_, Infallible>(front.forward(request, peer, local).await) }
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service);
                if let Err(err) = connection.await {
                    tracing::debug!(error = %err, "dev HTTP front: connection ended");
                }
            });
        }
    }

    /// Sends one HTTP request to the application and relays its answer.
    async fn forward(
        &self,
        request: Request<Incoming>,
        peer: SocketAddr,
        local: SocketAddr,
    ) -> Response<DevBody> {
        let (parts, body) = request.into_parts();
        let mut uri = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), ToString::to_string);
        let mut method = parts.method.as_str().to_owned();
        let mut body = Some(body);
        for _ in 0..MAX_LOCAL_REDIRECTS {
            let mut fcgi = ClientRequest::new(&method, &uri)
                .param("DOCUMENT_ROOT", &self.document_root.to_string_lossy())
                .param("REMOTE_ADDR", &peer.ip().to_string())
                .param("REMOTE_PORT", &peer.port().to_string())
                .param("SERVER_ADDR", &local.ip().to_string())
                .param("SERVER_PORT", &local.port().to_string())
                .keep_conn(false);
            for (name, value) in &parts.headers {
                if let Ok(value) = value.to_str() {
                    fcgi = fcgi.header(name.as_str(), value);
                }
            }
            if let Some(body) = body.take() {
                let len = parts
                    .headers
                    .get(http::header::CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok());
                fcgi = fcgi.body(RequestBody::from_stream(IncomingStream(body), len));
            }
            match self.exchange(fcgi).await {
                Ok(Exchange::Response(response)) => return response,
                Ok(Exchange::LocalRedirect(location)) => {
                    // RFC 3875 §6.2.2: the server serves the new path itself,
                    // as a GET with no body.
                    uri = location;
                    method = "GET".to_owned();
                }
                Err(err) => return bad_gateway(&format!("{err}")),
            }
        }
        bad_gateway("too many local redirects")
    }

    async fn exchange(&self, request: ClientRequest) -> Result<Exchange, ClientError> {
        let (head_tx, head_rx) = tokio::sync::oneshot::channel();
        let (chunks_tx, chunks_rx) = mpsc::channel::<Result<Bytes, BoxError>>(8);
        let app = self.app.clone();
        // The stream borrows its connection, so one task owns both and
        // relays the body through a channel.
        tokio::spawn(async move {
            let mut connection = match Connection::connect(&app).await {
                Ok(connection) => connection,
                Err(err) => return drop(head_tx.send(Err(err))),
            };
            let mut stream = match connection.start(request).await {
                Ok(stream) => stream,
                Err(err) => return drop(head_tx.send(Err(err))),
            };
            let head = match stream.head().await {
                Ok(head) => head.clone(),
                Err(err) => return drop(head_tx.send(Err(err))),
            };
            let local = head.local_redirect().is_some();
            if head_tx.send(Ok(head)).is_err() || local {
                return;
            }
            loop {
                match stream.next_chunk().await {
                    Ok(Some(chunk)) => {
                        if chunks_tx.send(Ok(chunk)).await.is_err() {
                            // The HTTP client went away: dropping the stream
                            // aborts the FastCGI request.
                            return;
                        }
                    }
                    Ok(None) => break,
                    Err(err) => {
                        let _ = chunks_tx.send(Err(err.into())).await;
                        break;
                    }
                }
            }
            let stderr = stream.stderr();
            if !stderr.is_empty() {
                eprint!("[app stderr] {}", String::from_utf8_lossy(stderr));
            }
        });
        let head = head_rx.await.map_err(|_| ClientError::ConnectionClosed {
            request_id: None,
            detail: Some("the relay task ended".into()),
        })??;
        if let Some(location) = head.local_redirect() {
            return Ok(Exchange::LocalRedirect(location.to_owned()));
        }
        let mut response = Response::new(DevBody { chunks: chunks_rx });
        *response.status_mut() = head.status();
        *response.headers_mut() = head.headers().clone();
        Ok(Exchange::Response(response))
    }
}

enum Exchange {
    Response(Response<DevBody>),
    LocalRedirect(String),
}

fn bad_gateway(reason: &str) -> Response<DevBody> {
    let (tx, rx) = mpsc::channel(1);
    let _ = tx.try_send(Ok(Bytes::from(format!(
        "502 Bad Gateway: the FastCGI application did not answer: {reason}\n"
    ))));
    let mut response = Response::new(DevBody { chunks: rx });
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The HTTP response body: chunks as the application sends them.
pub struct DevBody {
    chunks: mpsc::Receiver<Result<Bytes, BoxError>>,
}

impl HttpBody for DevBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.chunks
            .poll_recv(cx)
            .map(|chunk| chunk.map(|chunk| chunk.map(Frame::data)))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// The HTTP request body as a stream of chunks for the FastCGI client.
struct IncomingStream(Incoming);

impl Stream for IncomingStream {
    type Item = Result<Bytes, hyper::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            return match std::task::ready!(Pin::new(&mut self.0).poll_frame(cx)) {
                None => Poll::Ready(None),
                Some(Err(err)) => Poll::Ready(Some(Err(err))),
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => Poll::Ready(Some(Ok(data))),
                    // Trailers: nothing FastCGI can carry.
                    Err(_) => continue,
                },
            };
        }
    }
}
