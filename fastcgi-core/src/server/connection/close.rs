//! Closing the connection without losing output: flush, half-close,
//! drain what the peer still sends.

use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

use super::read::READ_MIN;
use super::{Connection, Outcome};
use crate::handler::Handler;

impl<H, IO> Connection<H, IO>
where
    H: Handler,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Ends the connection without losing output: writes what is pending,
    /// half-closes, then reads and discards what the peer still sends
    /// (bounded in bytes and time) before dropping the socket. Closing a
    /// socket with unread input makes the kernel send RST, and the web
    /// server can then lose a response it has not read yet.
    ///
    /// Except when nothing is left to read and the web server has said it
    /// sends nothing more ([`nothing_left_to_read`](Self::nothing_left_to_read)):
    /// the socket is then closed at once, its FIN after the response.
    pub(super) async fn close(&mut self, outcome: &Outcome) {
        // This wake-up's clock: closing follows the poll that ended serving.
        let now = self.now();
        let config = &self.shared.config;
        let (write_timeout, drain_limit) = (config.write_timeout, config.drain_limit);
        let deadline = now + config.drain_timeout;
        let peer_gone = matches!(outcome, Outcome::PeerClosed | Outcome::Io(_));
        if !peer_gone {
            self.within(now + write_timeout, |this, cx| {
                this.register_waker(cx);
                match this.poll_output(cx) {
                    Err(_) => Poll::Ready(()),
                    Ok(_) if this.output_drained() => Poll::Ready(()),
                    Ok(_) => Poll::Pending,
                }
            })
            .await;
        }
        self.abort_all();
        self.output.close();
        if peer_gone || (matches!(outcome, Outcome::Done) && self.nothing_left_to_read()) {
            return;
        }
        self.within(deadline, |this, cx| {
            Pin::new(&mut this.io).poll_shutdown(cx)
        })
        .await;
        let mut drained = 0;
        self.within(deadline, |this, cx| {
            // Into the spare room of the read buffer, which is done with:
            // nothing to allocate or zero, and nothing kept. No more room
            // than its first read had: asking for more would allocate a
            // larger buffer for every closing connection (a new 8 KiB
            // buffer here was ~1,200 instructions of a one-request one).
            let buf = this.decoder.buffer_mut();
            buf.clear();
            buf.reserve(READ_MIN);
            while drained < drain_limit {
                let mut read_buf = ReadBuf::uninit(buf.spare_capacity_mut());
                match ready!(Pin::new(&mut this.io).poll_read(cx, &mut read_buf)) {
                    Ok(()) if !read_buf.filled().is_empty() => drained += read_buf.filled().len(),
                    Ok(()) | Err(_) => break,
                }
            }
            Poll::Ready(())
        })
        .await;
    }

    /// Whether the socket can be closed at once: the web server asked for
    /// the close (FCGI_KEEP_CONN clear, spec §5.1: it sends nothing after
    /// that request), everything it sent was read and used, and the socket
    /// holds nothing more (a look at it that takes nothing, or end of
    /// file). Closing then sends a FIN, not a RST, and the response is
    /// delivered whole; the drain would only wait for the web server's own
    /// close, which costs a one-request connection a registration with
    /// the reactor, a wake-up and a timer (BENCHMARKS.md, *Issue 18*).
    /// nginx does the same for HTTP (`lingering_close on` lingers only
    /// when more input is likely). Input that arrives after the close
    /// would be answered with a reset, but a web server that cleared
    /// FCGI_KEEP_CONN has no more to send.
    fn nothing_left_to_read(&self) -> bool {
        if !self.asked_to_close || self.decoder.buffered_len() != 0 {
            return false;
        }
        let Some(socket) = self.socket() else {
            return false;
        };
        let mut byte = [MaybeUninit::uninit(); 1];
        let flags = libc::MSG_PEEK | libc::MSG_DONTWAIT;
        match socket2::SockRef::from(&socket).recv_with_flags(&mut byte, flags) {
            // End of file: the web server closed already.
            Ok(0) => true,
            // More came after all: drain it.
            Ok(_) => false,
            Err(err) => err.kind() == std::io::ErrorKind::WouldBlock,
        }
    }

    /// Polls `step` until it is ready or `deadline` passes, on the
    /// connection's own timer: closing creates no timer of its own (three
    /// `tokio::time::timeout`s cost about a quarter of the instructions of
    /// a one-request connection).
    async fn within<T>(
        &mut self,
        deadline: Instant,
        mut step: impl FnMut(&mut Self, &mut Context<'_>) -> Poll<T>,
    ) -> Option<T> {
        let mut armed = false;
        std::future::poll_fn(|cx| {
            if let Poll::Ready(value) = step(self, cx) {
                return Poll::Ready(Some(value));
            }
            if !armed {
                self.timer.as_mut().reset(deadline);
                armed = true;
            }
            self.timer.as_mut().poll(cx).map(|()| None)
        })
        .await
    }
}
