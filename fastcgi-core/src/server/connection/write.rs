//! Writing the output the requests produced to the socket.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Buf;
use tokio::io::{AsyncRead, AsyncWrite};

use super::Connection;
use crate::handler::Handler;

impl<H, IO> Connection<H, IO>
where
    H: Handler,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Writes pending output. Returns whether anything was written.
    pub(super) fn poll_output(&mut self, cx: &mut Context<'_>) -> io::Result<bool> {
        let mut wrote = false;
        loop {
            if self.front.is_empty() {
                self.front.clear();
                self.output.take_into(&mut self.front);
                if self.front.is_empty() {
                    return Ok(wrote);
                }
            }
            match Pin::new(&mut self.io).poll_write(cx, &self.front) {
                Poll::Pending => return Ok(wrote),
                Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
                Poll::Ready(Ok(n)) => {
                    self.front.advance(n);
                    self.output.wrote(n, self.front.len());
                    self.last_write = self.now();
                    wrote = true;
                }
                Poll::Ready(Err(err)) => return Err(err),
            }
        }
    }
}
