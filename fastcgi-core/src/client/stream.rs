//! [`ResponseStream`]: one request's response as it arrives.

use std::future::poll_fn;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};

use super::multiplexed::RequestHandle;
use super::{ClientError, ClientResponse, Connection, EndRequest, ResponseEvent, ResponseHead};
use crate::cgi::HeadParser;
use crate::protocol::ProtocolStatus;

/// The response to one request, read as it arrives: raw events
/// ([`next_event`](Self::next_event)), or the parsed CGI head
/// ([`head`](Self::head)) then body chunks ([`next_chunk`](Self::next_chunk)),
/// or all of it at once ([`collect`](Self::collect)).
///
/// Use one style per stream: once `next_event` has handed out raw
/// `FCGI_STDOUT`, the header block is gone and `head`, `next_chunk` and
/// `collect` fail with [`ClientError::HeadConsumed`].
///
/// Dropping the stream before `FCGI_END_REQUEST` aborts the request
/// without waiting; [`abort`](Self::abort) aborts and waits for the end.
///
/// The lifetime is that of the [`Connection`] it borrows; streams of a
/// [`MultiplexedConnection`](super::MultiplexedConnection) are `'static`.
///
/// ```
/// # async fn run() -> Result<(), fastcgi::client::ClientError> {
/// use fastcgi::handler::from_fn;
/// use fastcgi::response::{StreamBody, unfold};
/// use fastcgi::testing::TestClient;
///
/// let client = TestClient::new(from_fn(|_| async {
///     StreamBody::new(unfold(0, |i| async move {
///         (i < 2).then(|| (Ok::<_, std::io::Error>(format!("chunk {i} ")), i + 1))
///     }))
/// }));
/// let mut stream = client.get("/").start().await?;
/// assert_eq!(stream.head().await?.status(), 200);
/// let mut body = Vec::new();
/// while let Some(chunk) = stream.next_chunk().await? {
///     body.extend_from_slice(&chunk);
/// }
/// assert_eq!(body, b"chunk 0 chunk 1 ");
/// assert!(stream.end_request().is_some());
/// # Ok(()) }
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(run()).unwrap();
/// ```
#[derive(Debug)]
pub struct ResponseStream<'c> {
    source: Source<'c>,
    request_id: u16,
    head: Head,
    /// `FCGI_STDERR` read by `head`, `next_chunk` and `collect`.
    stderr: BytesMut,
    end: Option<EndRequest>,
    /// Failed: nothing more comes, and dropping it aborts nothing.
    failed: bool,
}

#[derive(Debug)]
enum Source<'c> {
    Direct(&'c mut Connection),
    Multiplexed(RequestHandle),
}

#[derive(Debug)]
enum Head {
    /// Not parsed yet (possibly begun).
    Pending(HeadParser),
    /// Parsed; `leftover` is body that came after it in the same chunk.
    Parsed { head: ResponseHead, leftover: Bytes },
    /// Raw `FCGI_STDOUT` was handed out: there is no head to parse.
    Raw,
}

impl<'c> ResponseStream<'c> {
    pub(crate) fn direct(connection: &'c mut Connection, request_id: u16) -> Self {
        Self::new(Source::Direct(connection), request_id)
    }

    fn new(source: Source<'c>, request_id: u16) -> Self {
        Self {
            source,
            request_id,
            head: Head::Pending(HeadParser::new()),
            stderr: BytesMut::new(),
            end: None,
            failed: false,
        }
    }

    /// The request id the request was sent with.
    pub fn request_id(&self) -> u16 {
        self.request_id
    }

    /// The request's `FCGI_END_REQUEST`, once it arrived.
    pub fn end_request(&self) -> Option<EndRequest> {
        self.end
    }

    /// Whether the response is complete (or failed): nothing more will come.
    pub fn is_finished(&self) -> bool {
        self.end.is_some() || self.failed
    }

    /// The `FCGI_STDERR` output read so far by [`head`](Self::head),
    /// [`next_chunk`](Self::next_chunk) and [`collect`](Self::collect)
    /// (`next_event` hands stderr out as events instead).
    pub fn stderr(&self) -> &[u8] {
        &self.stderr
    }

    /// Polls the source for the next raw event; `None` after the end.
    fn poll_raw(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<ResponseEvent>, ClientError>> {
        if self.end.is_some() {
            return Poll::Ready(Ok(None));
        }
        let result = match &mut self.source {
            Source::Direct(connection) => connection.poll_event(cx, self.request_id),
            Source::Multiplexed(handle) => handle.poll_event(cx),
        };
        match result {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(event)) => {
                if let ResponseEvent::End(end) = &event {
                    self.end = Some(*end);
                }
                Poll::Ready(Ok(Some(event)))
            }
            Poll::Ready(Err(err)) => {
                self.failed = true;
                Poll::Ready(Err(err))
            }
        }
    }

    async fn raw_event(&mut self) -> Result<Option<ResponseEvent>, ClientError> {
        if self.failed && self.end.is_none() {
            return Err(ClientError::ConnectionClosed {
                request_id: Some(self.request_id),
                detail: Some("this response already failed".into()),
            });
        }
        poll_fn(|cx| self.poll_raw(cx)).await
    }

    /// [`next_event`](Self::next_event) as a poll function.
    fn poll_next_event(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<ResponseEvent>, ClientError>> {
        if let Head::Parsed { leftover, .. } = &mut self.head
            && !leftover.is_empty()
        {
            return Poll::Ready(Ok(Some(ResponseEvent::Stdout(std::mem::take(leftover)))));
        }
        if self.failed && self.end.is_none() {
            return Poll::Ready(Ok(None));
        }
        let event = std::task::ready!(self.poll_raw(cx));
        if let Ok(Some(ResponseEvent::Stdout(_))) = &event
            && matches!(self.head, Head::Pending(_))
        {
            self.head = Head::Raw;
        }
        Poll::Ready(event)
    }

    /// The next raw event: a piece of `FCGI_STDOUT` (header block
    /// included, unless [`head`](Self::head) already parsed it) or
    /// `FCGI_STDERR`, then [`ResponseEvent::End`]; `None` after the end
    /// (or after an error).
    ///
    /// # Errors
    ///
    /// When the connection fails or closes before the end, or the body
    /// stream of the request failed.
    pub async fn next_event(&mut self) -> Result<Option<ResponseEvent>, ClientError> {
        poll_fn(|cx| self.poll_next_event(cx)).await
    }

    /// Reads until the CGI header block is complete and returns it parsed;
    /// `FCGI_STDERR` read meanwhile is kept (see [`stderr`](Self::stderr)).
    ///
    /// # Errors
    ///
    /// [`ClientError::MalformedHeader`] or [`ClientError::HeaderTooLarge`]
    /// for a bad block (or none), [`ClientError::Rejected`] when the
    /// application refused the request, and connection failures.
    pub async fn head(&mut self) -> Result<&ResponseHead, ClientError> {
        loop {
            match &self.head {
                Head::Parsed { .. } => break,
                Head::Raw => {
                    return Err(ClientError::HeadConsumed {
                        request_id: self.request_id,
                    });
                }
                Head::Pending(_) => {}
            }
            match self.raw_event().await? {
                Some(ResponseEvent::Stdout(chunk)) => {
                    let Head::Pending(parser) = &mut self.head else {
                        continue;
                    };
                    match parser.push(chunk) {
                        Ok(Some((head, leftover))) => self.head = Head::Parsed { head, leftover },
                        Ok(None) => {}
                        Err(err) => {
                            let err = ClientError::from_head(err, self.request_id);
                            return Err(self.fail(err));
                        }
                    }
                }
                Some(ResponseEvent::Stderr(chunk)) => self.stderr.extend_from_slice(&chunk),
                Some(ResponseEvent::End(end)) => return Err(self.no_head(end)),
                None => {
                    let end = self.end.unwrap_or(EndRequest {
                        app_status: 0,
                        protocol_status: ProtocolStatus::RequestComplete,
                    });
                    return Err(self.no_head(end));
                }
            }
        }
        match &self.head {
            Head::Parsed { head, .. } => Ok(head),
            _ => Err(ClientError::HeadConsumed {
                request_id: self.request_id,
            }),
        }
    }

    /// The error for a response that ended without a complete head.
    fn no_head(&mut self, end: EndRequest) -> ClientError {
        let begun = matches!(&self.head, Head::Pending(parser) if parser.has_input());
        if end.protocol_status != ProtocolStatus::RequestComplete && !begun {
            return ClientError::Rejected {
                request_id: self.request_id,
                protocol_status: end.protocol_status,
            };
        }
        match &self.head {
            Head::Pending(parser) => ClientError::from_head(parser.unterminated(), self.request_id),
            _ => ClientError::HeadConsumed {
                request_id: self.request_id,
            },
        }
    }

    /// A malformed head: the response is useless, so the request is
    /// aborted (dropping the rest of it) and the error returned.
    fn fail(&mut self, err: ClientError) -> ClientError {
        if self.end.is_none() {
            self.give_up();
        }
        self.failed = true;
        err
    }

    /// The next piece of the body (after the CGI header block, which is
    /// parsed first if [`head`](Self::head) was not called); `None` at the
    /// end. `FCGI_STDERR` read meanwhile is kept (see [`stderr`](Self::stderr)).
    ///
    /// # Errors
    ///
    /// As [`head`](Self::head), and connection failures.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, ClientError> {
        self.head().await?;
        if let Head::Parsed { leftover, .. } = &mut self.head
            && !leftover.is_empty()
        {
            return Ok(Some(std::mem::take(leftover)));
        }
        loop {
            match self.raw_event().await? {
                Some(ResponseEvent::Stdout(chunk)) => return Ok(Some(chunk)),
                Some(ResponseEvent::Stderr(chunk)) => self.stderr.extend_from_slice(&chunk),
                Some(ResponseEvent::End(_)) | None => return Ok(None),
            }
        }
    }

    /// Reads the rest of the response and returns it whole.
    ///
    /// A body that came in one record is returned without copying.
    ///
    /// # Errors
    ///
    /// As [`head`](Self::head) and [`next_chunk`](Self::next_chunk).
    pub async fn collect(mut self) -> Result<ClientResponse, ClientError> {
        self.head().await?;
        // The chunks are slices of the read buffer: keep them, and copy
        // once into a buffer of the final size when there are several
        // (growing one buffer as they come copies again at every doubling).
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut len = 0;
        while let Some(chunk) = self.next_chunk().await? {
            len += chunk.len();
            chunks.push(chunk);
        }
        let body = if chunks.len() <= 1 {
            chunks.pop().unwrap_or_default()
        } else {
            let mut all = BytesMut::with_capacity(len);
            for chunk in &chunks {
                all.extend_from_slice(chunk);
            }
            all.freeze()
        };
        let Some(end) = self.end else {
            return Err(ClientError::ConnectionClosed {
                request_id: Some(self.request_id),
                detail: None,
            });
        };
        let head = match std::mem::replace(&mut self.head, Head::Raw) {
            Head::Parsed { head, .. } => head,
            _ => {
                return Err(ClientError::HeadConsumed {
                    request_id: self.request_id,
                });
            }
        };
        Ok(ClientResponse {
            request_id: self.request_id,
            head,
            body,
            stderr: std::mem::take(&mut self.stderr).freeze(),
            end,
        })
    }

    /// Aborts the request (`FCGI_ABORT_REQUEST`) and waits for the
    /// application to end it, dropping the output that comes meanwhile.
    /// Returns the `FCGI_END_REQUEST`; at once when the request already ended.
    ///
    /// # Errors
    ///
    /// When the connection fails or closes before the end.
    pub async fn abort(&mut self) -> Result<EndRequest, ClientError> {
        if let Some(end) = self.end {
            return Ok(end);
        }
        match &mut self.source {
            Source::Direct(connection) => connection.abort(self.request_id),
            Source::Multiplexed(handle) => handle.abort(),
        }
        loop {
            if let Some(ResponseEvent::End(end)) = self.raw_event().await? {
                return Ok(end);
            }
            if let Some(end) = self.end {
                return Ok(end);
            }
        }
    }

    /// Aborts without waiting, dropping the rest of the response.
    fn give_up(&mut self) {
        match &mut self.source {
            Source::Direct(connection) => connection.abandon(self.request_id),
            Source::Multiplexed(handle) => handle.abandon(),
        }
    }
}

impl ResponseStream<'static> {
    pub(crate) fn multiplexed(handle: RequestHandle, request_id: u16) -> Self {
        Self::new(Source::Multiplexed(handle), request_id)
    }
}

impl Drop for ResponseStream<'_> {
    /// Aborts the request unless it is over. (A multiplexed request's
    /// handle does this itself when it is dropped.)
    fn drop(&mut self) {
        if let Source::Direct(connection) = &mut self.source
            && self.end.is_none()
            && !self.failed
        {
            connection.abandon(self.request_id);
        }
    }
}

impl futures_core::Stream for ResponseStream<'_> {
    type Item = Result<ResponseEvent, ClientError>;

    /// The raw events, as [`next_event`](ResponseStream::next_event).
    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_event(cx).map(Result::transpose)
    }
}
