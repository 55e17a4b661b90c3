//! Closing the connection without losing output: flush, half-close,
//! drain what the peer still sends.

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

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
    pub(super) async fn close(&mut self, outcome: &Outcome) {
        let config = &self.shared.config;
        let (write_timeout, drain_limit) = (config.write_timeout, config.drain_limit);
        let now = Instant::now();
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
        if peer_gone {
            return;
        }
        self.within(deadline, |this, cx| {
            Pin::new(&mut this.io).poll_shutdown(cx)
        })
        .await;
        let mut drained = 0;
        self.within(deadline, |this, cx| {
            // Into the spare room of the read buffer, which is done with:
            // nothing to allocate or zero, and nothing kept.
            let buf = this.decoder.buffer_mut();
            buf.clear();
            buf.reserve(8192);
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
