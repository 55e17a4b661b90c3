//! The low-level response writer: simple-fastcgi's `write`, `flush`,
//! `write_err`, `send_response` and `send_redirect`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use http::{HeaderName, HeaderValue, StatusCode, header};

use super::body::BodyKind;
use super::{BoxError, IntoResponse, Redirect, Response, ResponseBody};
use crate::cgi::{LocalRedirect, encode_document};
use crate::output::{RequestOutput, WRITE_PIECE, closed_error};
use crate::protocol::{StreamType, encode_stream};

/// Writes a request's output (FCGI_STDOUT, FCGI_STDERR) by hand, for full
/// control over a response: take it as a handler argument.
///
/// Output goes out in CGI form: write the header block first (or let
/// [`send_response`](Self::send_response), [`send`](Self::send) or
/// [`send_redirect`](Self::send_redirect) write it), then the body.
/// [`write`](Self::write) hands bytes to the connection, which sends them
/// soon, coalesced with other output; [`flush`](Self::flush) waits until
/// they are on the socket. Writes wait while the web server reads slowly,
/// so memory stays bounded. When the handler returns, the server ends the
/// streams and sends END_REQUEST; what the handler returns is ignored once
/// anything was written here.
///
/// It implements [`tokio::io::AsyncWrite`]. A plain `fn` handler takes
/// [`BlockingWriter`](super::BlockingWriter) instead, whose `write`,
/// `flush` and `write_err` block rather than return futures.
///
/// ```
/// use fastcgi::response::ResponseWriter;
/// use http::StatusCode;
///
/// async fn hand_written(mut out: ResponseWriter) -> std::io::Result<()> {
///     out.send_response(StatusCode::OK, "text/plain", (), &[], true).await?;
///     for i in 0..3 {
///         out.write(format!("line {i}\n").as_bytes()).await?;
///         out.flush().await?;
///     }
///     out.write_err(b"done writing\n").await
/// }
/// ```
#[derive(Debug)]
pub struct ResponseWriter {
    output: RequestOutput,
    /// Stream position of the last append, for `flush`.
    position: u64,
    /// Set by the header-writing methods, to refuse a second header.
    header_sent: bool,
}

impl ResponseWriter {
    pub(crate) fn new(output: RequestOutput) -> Self {
        Self {
            output,
            position: 0,
            header_sent: false,
        }
    }

    fn poll_append(
        &mut self,
        cx: &mut Context<'_>,
        stream: StreamType,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(self.output.conn.poll_space(cx)).map_err(closed_error)?;
        let piece = &data[..data.len().min(WRITE_PIECE)];
        let key = self.output.key;
        let encode = |buf: &mut BytesMut| encode_stream(buf, stream, key.request_id, piece);
        let conn = &self.output.conn;
        self.position = match stream {
            StreamType::Stdout => conn.append_response(key, None, piece.len(), encode),
            _ => conn.append(key, stream, encode),
        }
        .map_err(closed_error)?;
        Poll::Ready(Ok(piece.len()))
    }

    async fn write_stream(&mut self, stream: StreamType, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let n = std::future::poll_fn(|cx| self.poll_append(cx, stream, data)).await?;
            data = &data[n..];
        }
        Ok(())
    }

    /// Writes `data` on the response (FCGI_STDOUT). It leaves with the
    /// next output of the connection; call [`flush`](Self::flush) to wait
    /// until it is on the socket.
    pub async fn write(&mut self, data: &[u8]) -> io::Result<()> {
        self.write_stream(StreamType::Stdout, data).await
    }

    /// Waits until everything written so far is on the socket (simple-fastcgi's
    /// `write(data, flush=True)`).
    pub async fn flush(&mut self) -> io::Result<()> {
        let position = self.position;
        std::future::poll_fn(|cx| self.output.conn.poll_written(cx, position))
            .await
            .map_err(closed_error)
    }

    /// Writes `data` on the error stream (FCGI_STDERR): the web server puts
    /// it in its error log.
    pub async fn write_err(&mut self, data: &[u8]) -> io::Result<()> {
        self.write_stream(StreamType::Stderr, data).await
    }

    /// Whether anything was written on the response yet.
    pub fn is_started(&self) -> bool {
        self.header_sent || self.output.conn.stdout_started(self.output.key)
    }

    /// Writes a whole response: its header block, then its body (streamed
    /// bodies chunk by chunk, each pushed out as it comes).
    ///
    /// Fails when the response was already started.
    pub async fn send(&mut self, response: impl IntoResponse) -> io::Result<()> {
        if self.is_started() {
            return Err(io::Error::other(
                "the response was already started; `send` writes a whole response and must come first",
            ));
        }
        self.send_unstarted(response.into_response()).await
    }

    /// [`send`](Self::send) for a caller that just saw the response not
    /// started (the server, after the handler returned): saves a second
    /// look at the connection's shared state.
    pub(crate) async fn send_unstarted(&mut self, response: Response) -> io::Result<()> {
        // What is left after the header is in a small enum, and the stream
        // loop is boxed: every request's future holds this one's state, so
        // its size is per-request allocation size (it was 592 bytes, which
        // made each request's future miss the allocator's fast path).
        match self.start_document(response)? {
            BodyKind::Empty => Ok(()),
            BodyKind::Full(bytes) => self.write(&bytes).await,
            BodyKind::Stream(stream) => Box::pin(self.write_body_stream(stream)).await,
        }
    }

    /// Appends the header block, with a body of up to [`WRITE_PIECE`]
    /// bytes; returns the body still to write.
    fn start_document(&mut self, response: Response) -> io::Result<BodyKind> {
        let (parts, body) = response.into_parts();
        let local = parts.extensions.get::<LocalRedirect>().is_some();
        let len = body.size_hint();
        self.header_sent = true;
        match body.kind {
            BodyKind::Full(bytes) if bytes.len() <= WRITE_PIECE => {
                self.append_header(&parts, len, local, &bytes)?;
                Ok(BodyKind::Empty)
            }
            rest => {
                self.append_header(&parts, len, local, b"")?;
                Ok(rest)
            }
        }
    }

    /// Writes a streamed body chunk by chunk; a failed stream ends the
    /// response early, with a line on FCGI_STDERR.
    async fn write_body_stream(
        &mut self,
        mut stream: Pin<Box<dyn Stream<Item = Result<Bytes, BoxError>> + Send>>,
    ) -> io::Result<()> {
        let key = self.output.key;
        while let Some(chunk) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
            match chunk {
                Ok(chunk) => self.write(&chunk).await?,
                Err(err) => {
                    let msg = format!(
                        "fastcgi: request {}: the response stream failed, ending the response early: {err}\n",
                        key.request_id
                    );
                    self.write_err(msg.as_bytes()).await?;
                    tracing::error!(request_id = key.request_id, error = %err, "response stream failed");
                    break;
                }
            }
        }
        Ok(())
    }

    /// Appends the header block and a small body as one step, so a small
    /// response is one contiguous run of records.
    fn append_header(
        &mut self,
        parts: &http::response::Parts,
        len: Option<u64>,
        local: bool,
        body: &[u8],
    ) -> io::Result<()> {
        let key = self.output.key;
        self.position = self
            .output
            .conn
            .append_response(key, Some(parts.status.as_u16()), body.len(), |buf| {
                encode_document(buf, key.request_id, parts, len, local, body);
            })
            .map_err(closed_error)?;
        Ok(())
    }

    /// simple-fastcgi's `send_response(code, mime_type, data, extra_headers,
    /// flush)`: writes a CGI document with `status`, `Content-Type:
    /// mime_type` and `extra_headers`, then `data` (text, bytes, or a
    /// [`ResponseBody`] stream), then flushes when `flush` is set. More
    /// [`write`](Self::write)s may follow to append to the body.
    ///
    /// Like simple-fastcgi, it sets no `Content-Length`: add one to
    /// `extra_headers` if you know it.
    pub async fn send_response(
        &mut self,
        status: StatusCode,
        mime_type: &str,
        data: impl Into<ResponseBody>,
        extra_headers: &[(&str, &str)],
        flush: bool,
    ) -> io::Result<()> {
        let mut response = Response::new(ResponseBody::empty());
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, header_value(mime_type)?);
        for (name, value) in extra_headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("invalid header name {name:?}: {e}"),
                )
            })?;
            headers.append(name, header_value(value)?);
        }
        if self.is_started() {
            return Err(io::Error::other(
                "the response was already started; send_response writes the header block and must come first",
            ));
        }
        self.header_sent = true;
        let (parts, _) = response.into_parts();
        // `None`: the length is not announced, so writes may follow.
        self.append_header(&parts, None, false, b"")?;
        let data: ResponseBody = data.into();
        match data.kind {
            BodyKind::Empty => {}
            BodyKind::Full(bytes) => self.write(&bytes).await?,
            BodyKind::Stream(mut stream) => {
                while let Some(chunk) =
                    std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await
                {
                    let chunk = chunk.map_err(io::Error::other)?;
                    self.write(&chunk).await?;
                    if flush {
                        self.flush().await?;
                    }
                }
            }
        }
        if flush {
            self.flush().await?;
        }
        Ok(())
    }

    /// simple-fastcgi's `send_redirect(target)`: a local redirect when `target`
    /// is a path (starts with `/`), otherwise a client redirect (302).
    pub async fn send_redirect(&mut self, target: &str) -> io::Result<()> {
        let redirect =
            Redirect::try_to(target).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        self.send(redirect).await?;
        self.flush().await
    }
}

fn header_value(value: &str) -> io::Result<HeaderValue> {
    HeaderValue::from_str(value).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "invalid header value {value:?}: CR, LF, NUL and other control characters are not allowed"
            ),
        )
    })
}

impl tokio::io::AsyncWrite for ResponseWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.get_mut().poll_append(cx, StreamType::Stdout, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let position = self.position;
        self.output
            .conn
            .poll_written(cx, position)
            .map_err(closed_error)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

/// Blocking writes, for code that runs where blocking is fine. Do not use
/// it from async code: it blocks the thread. (The inherent async `write`
/// and `flush` shadow it; plain `fn` handlers take
/// [`BlockingWriter`](super::BlockingWriter).)
impl io::Write for ResponseWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        crate::blocking::block_on(std::future::poll_fn(|cx| {
            self.poll_append(cx, StreamType::Stdout, buf)
        }))
    }

    fn flush(&mut self) -> io::Result<()> {
        crate::blocking::block_on(ResponseWriter::flush(self))
    }
}
