//! Reading the socket: records are decoded and dispatched as they
//! arrive, unless a request's full body buffer holds reading back.

use std::pin::Pin;
use std::task::{Context, Poll};

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

impl<H, IO> Connection<H, IO>
where
    H: Handler,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Dispatches buffered records, then reads more. Returns whether
    /// anything was read.
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
                if n == room && self.read_size < READ_MAX {
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
