//! The two directions of one connection: a write buffer that request
//! records are encoded into, and the record decoder the socket is read into.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::ClientError;
use super::transport::Transport;
use crate::protocol::{Record, RecordDecoder};

/// Room made in the read buffer before each read.
const READ_CHUNK: usize = 64 * 1024;

/// Body records are framed into the write buffer until it holds this much.
pub(crate) const HIGH_WATER: usize = 128 * 1024;

pub(crate) struct Wire {
    io: Transport,
    decoder: RecordDecoder,
    /// Encoded records not yet written. Reused: it only grows to the
    /// high-water mark plus one record.
    pub(crate) out: BytesMut,
    /// Bytes written to the socket since the connection opened.
    written: u64,
    read_closed: bool,
}

impl Wire {
    pub(crate) fn new(io: Transport) -> Self {
        Self {
            io,
            decoder: RecordDecoder::with_capacity(8 * 1024),
            out: BytesMut::with_capacity(8 * 1024),
            written: 0,
            read_closed: false,
        }
    }

    /// Stream position just past everything queued so far.
    pub(crate) fn queued_end(&self) -> u64 {
        self.written + self.out.len() as u64
    }

    /// Bytes written to the socket so far.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// Writes queued records; ready once the write buffer is empty.
    pub(crate) fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ClientError>> {
        while !self.out.is_empty() {
            match Pin::new(&mut self.io).poll_write(cx, &self.out) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(ClientError::from_io(
                        std::io::ErrorKind::WriteZero.into(),
                        None,
                    )));
                }
                Poll::Ready(Ok(n)) => {
                    self.out.advance(n);
                    self.written += n as u64;
                }
                Poll::Ready(Err(err)) => return Poll::Ready(Err(ClientError::from_io(err, None))),
            }
        }
        // Empty: start over at the front of the allocation.
        self.out.clear();
        Poll::Ready(Ok(()))
    }

    /// The next record; `Ok(None)` once the peer has closed the connection
    /// and every whole record before that was returned.
    pub(crate) fn poll_record(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<Record>, ClientError>> {
        loop {
            if let Some(record) = self.decoder.next_record()? {
                return Poll::Ready(Ok(Some(record)));
            }
            if self.read_closed {
                return Poll::Ready(Ok(None));
            }
            let buf = self.decoder.buffer_mut();
            if buf.capacity() - buf.len() < READ_CHUNK / 4 {
                buf.reserve(READ_CHUNK);
            }
            // `read_buf` keeps no state between polls, so a fresh one per
            // poll is equivalent to polling one future to completion.
            let read = pin!(self.io.read_buf(buf));
            match read.poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) => self.read_closed = true,
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(err)) => {
                    if crate::io_error::is_disconnect_or_unconnected(&err) {
                        self.read_closed = true;
                        continue;
                    }
                    return Poll::Ready(Err(ClientError::from_io(err, None)));
                }
            }
        }
    }

    /// Writes what is queued, then closes the write side.
    pub(crate) async fn shutdown(&mut self) -> Result<(), ClientError> {
        std::future::poll_fn(|cx| self.poll_write_out(cx)).await?;
        self.io
            .shutdown()
            .await
            .map_err(|err| ClientError::from_io(err, None))
    }
}

impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wire")
            .field("io", &self.io)
            .field("queued", &self.out.len())
            .field("buffered_in", &self.decoder.buffered_len())
            .finish()
    }
}
