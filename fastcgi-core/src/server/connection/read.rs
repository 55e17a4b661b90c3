//! Reading the socket: records are decoded and dispatched as they
//! arrive, unless a request's full body buffer holds reading back.

use std::cell::RefCell;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::{Connection, Outcome};
use crate::handler::Handler;
use crate::io_error::is_disconnect;

/// The room made for a connection's first read: a whole request as nginx
/// sends it (its params and an empty body) fits. A connection that sends
/// part of a request and then waits costs this, not the largest read.
pub(super) const READ_MIN: usize = 4 * 1024;
/// The most room made for one read, reached by doubling while reads fill
/// all the room they are given (large bodies, many requests at once).
const READ_MAX: usize = 64 * 1024;

/// The most read buffers a thread keeps for connections to come: as many
/// as a burst of short connections ends at once, 128 KiB at most.
const SPARE_READ_BUFFERS: usize = 32;

thread_local! {
    /// Read buffers of connections that ended on this thread, for the next
    /// ones. A first read's 4 KiB is beyond glibc's per-thread cache, so
    /// allocating and freeing it took the slow paths (~1,000 instructions
    /// of a one-request connection).
    static SPARE_READ_BUFFERS_OF_THREAD: RefCell<Vec<BytesMut>> = const { RefCell::new(Vec::new()) };
}

impl<H, IO> Connection<H, IO>
where
    H: Handler,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Dispatches buffered records, then reads more. Returns whether
    /// anything was read.
    ///
    /// After a read that did not fill its room the socket had nothing
    /// more, and reading again at once would most likely find nothing: it
    /// waits until the task has nothing else to do and would wait
    /// (`poll_serve`). Besides a system call, this saves a connection that
    /// is asked to close after its one request from joining the reactor
    /// just to find out it has nothing more to read (see `socket.rs`).
    pub(super) fn poll_input(&mut self, cx: &mut Context<'_>) -> Result<bool, Outcome> {
        loop {
            if self.input_blocked(cx) {
                return Ok(false);
            }
            match self.decoder.next_record() {
                Err(err) => return Err(Outcome::Protocol(err)),
                Ok(Some(record)) => self.dispatch(record).map_err(Outcome::Protocol)?,
                Ok(None) => break,
            }
        }
        if self.read_emptied {
            return Ok(false);
        }
        let buf = self.decoder.buffer_mut();
        buf.reserve(self.read_size);
        let spare = buf.spare_capacity_mut();
        let room = spare.len();
        let mut read_buf = ReadBuf::uninit(spare);
        match Pin::new(&mut self.io).poll_read(cx, &mut read_buf) {
            Poll::Pending => Ok(false),
            Poll::Ready(Err(err)) => {
                if is_disconnect(&err) {
                    self.read_closed = true;
                    Ok(true)
                } else {
                    Err(Outcome::Io(err))
                }
            }
            Poll::Ready(Ok(())) => {
                let n = read_buf.filled().len();
                if n == 0 {
                    self.read_closed = true;
                    return Ok(true);
                }
                if n < room {
                    self.read_emptied = true;
                } else if self.read_size < READ_MAX {
                    // The peer had more to say than there was room for.
                    self.read_size *= 2;
                }
                // SAFETY: `poll_read` initialized the first `n` bytes of the
                // spare capacity (that is what `filled` reports).
                unsafe {
                    let buf = self.decoder.buffer_mut();
                    buf.set_len(buf.len() + n);
                }
                Ok(true)
            }
        }
    }

    /// Starts with the buffer the last connection on this thread left, if
    /// there is one.
    pub(super) fn take_spare_read_buffer(&mut self) {
        let spare = SPARE_READ_BUFFERS_OF_THREAD.with(|spares| spares.borrow_mut().pop());
        if let Some(spare) = spare {
            *self.decoder.buffer_mut() = spare;
        }
    }

    /// Leaves the read buffer for the next connection on this thread when
    /// it is a first read's size and nothing else holds part of it; a
    /// buffer that grew for large reads is freed, so a new connection
    /// still starts at `READ_MIN` (what a stalled one costs).
    pub(super) fn leave_read_buffer(&mut self) {
        let mut buf = std::mem::take(self.decoder.buffer_mut());
        buf.clear();
        if buf.try_reclaim(READ_MIN) && buf.capacity() == READ_MIN {
            SPARE_READ_BUFFERS_OF_THREAD.with(|spares| {
                let mut spares = spares.borrow_mut();
                if spares.len() < SPARE_READ_BUFFERS {
                    spares.push(buf);
                }
            });
        }
    }

    /// Whether a request's full body buffer holds back reading.
    fn input_blocked(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(key) = self.blocked_on else {
            return false;
        };
        match self.slots.iter().find(|s| s.key == key) {
            Some(slot) if slot.stdin.poll_space(cx).is_pending() => true,
            _ => {
                self.input_resumed();
                false
            }
        }
    }

    /// Reading resumes after a full body buffer held it back: the time it
    /// was held back was the server's, not the web server's, so the body
    /// timeouts start over.
    pub(super) fn input_resumed(&mut self) {
        self.blocked_on = None;
        let now = self.now();
        for slot in &mut self.slots {
            slot.since = now;
        }
    }
}
