//! Draining: what a connection does once the server shuts down, so that
//! nothing the web server sent is thrown away.
//!
//! A web server keeps idle connections to reuse them, and picks one
//! without asking the application first. nginx takes the most recently
//! used connection from its cache and only looks at it once more, just
//! before writing the request: a pending socket error (`SO_ERROR`) makes it
//! try another connection, POSTs included; a connection that turns out
//! closed after the request was written is a 502 for a POST, PATCH or
//! LOCK, which nginx never sends twice. Apache (`enablereuse=on`) polls a
//! pooled connection before reusing it and opens a new one when it reads
//! end-of-file. lighttpd does not keep FastCGI connections
//! (no FCGI_KEEP_CONN), so it never reuses one.
//!
//! Hence, after shutdown begins:
//! - a connection with a request in flight serves it, and every request
//!   that reaches it meanwhile, then closes after the last END_REQUEST;
//!   on TCP that last output is held back (`TCP_CORK`) so the FIN leaves
//!   in the same segment: the web server reads the response and the end of
//!   the connection at once, and never puts it back in its cache;
//! - a connection that has not received a request yet (accepted just
//!   before the listener closed: the web server's request is on its way)
//!   waits for it, at most [`FIRST_REQUEST_WHILE_DRAINING`], and serves it;
//! - an idle connection that served requests before is closed once
//!   nothing is in flight towards the web server: a request already in
//!   the socket is served instead; on TCP the close is an abort (RST), so
//!   a web server that picks the connection afterwards finds the error
//!   before it writes the request and retries it elsewhere (nginx does,
//!   POSTs included; Apache reconnects). What remains is a request
//!   written in the microseconds between the last read and the close,
//!   after the web server's own check; on a unix socket, which has no
//!   abort, a request written after the close reaches a closed socket.

use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::task::Context;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use super::Connection;
use crate::handler::Handler;

/// How long a connection with no request yet waits for its first one once
/// shutdown began. Web servers write the request right after connecting;
/// this only bounds a peer that connects and says nothing.
pub(crate) const FIRST_REQUEST_WHILE_DRAINING: Duration = Duration::from_secs(2);

/// How often an idle connection looks again whether the web server has
/// acknowledged everything written to it, before it aborts it.
const UNACKED_RECHECK: Duration = Duration::from_millis(1);

/// The socket under a connection, for the socket options draining sets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SocketFd {
    fd: RawFd,
    tcp: bool,
}

impl SocketFd {
    /// The descriptor of `socket`: a TCP socket when `tcp`, else a unix
    /// one. Only the connection that owns `socket` holds it (see
    /// [`Connection::with_socket`]).
    fn of(socket: &impl AsRawFd, tcp: bool) -> Self {
        Self {
            fd: socket.as_raw_fd(),
            tcp,
        }
    }
}

/// What the connection does once it is idle while draining.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum IdleWhileDraining {
    /// No request yet: wait for the first.
    WaitForFirstRequest,
    /// Served its last response: close it, half-closing after the
    /// response (the FIN travels with it).
    CloseAfterResponse,
    /// Idle since before shutdown: abort it (see the module docs).
    Abort,
}

impl<H, IO> Connection<H, IO>
where
    H: Handler,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Tells the connection which socket it serves, so draining can set
    /// its options; without it (in-memory streams) draining closes the
    /// plain way.
    pub(crate) fn with_socket(mut self, tcp: bool) -> Self
    where
        IO: AsRawFd,
    {
        self.socket = Some(SocketFd::of(&self.io, tcp));
        self
    }

    /// Shutdown began: see the module docs.
    pub(super) fn start_draining(&mut self) {
        let now = self.now();
        self.draining = Some(now);
        self.idle_while_draining = if self.next_serial == 0 {
            IdleWhileDraining::WaitForFirstRequest
        } else if self.slots.is_empty() && self.output_drained() {
            IdleWhileDraining::Abort
        } else {
            IdleWhileDraining::CloseAfterResponse
        };
    }

    /// A request began while draining: the connection closes after it.
    pub(super) fn request_began_while_draining(&mut self) {
        self.idle_while_draining = IdleWhileDraining::CloseAfterResponse;
    }

    /// Whether the connection, idle while draining, may close now: not
    /// before its first request; not while the web server has not
    /// acknowledged all it was sent (an abort would throw that away), in
    /// which case it looks again shortly, serving whatever arrives
    /// meanwhile.
    pub(super) fn may_close_while_draining(&mut self, cx: &mut Context<'_>) -> bool {
        match self.idle_while_draining {
            IdleWhileDraining::WaitForFirstRequest => false,
            IdleWhileDraining::CloseAfterResponse => true,
            IdleWhileDraining::Abort => {
                if self.unacknowledged() == 0 {
                    return true;
                }
                let recheck = self
                    .recheck
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(UNACKED_RECHECK)));
                if recheck.as_mut().poll(cx).is_ready() {
                    recheck.as_mut().reset(Instant::now() + UNACKED_RECHECK);
                    cx.waker().wake_by_ref();
                }
                false
            }
        }
    }

    /// The deadline for a connection with no request yet, while draining.
    pub(super) fn first_request_deadline(&self) -> Option<Instant> {
        match (self.draining, self.idle_while_draining) {
            (Some(since), IdleWhileDraining::WaitForFirstRequest) => {
                Some(since + FIRST_REQUEST_WHILE_DRAINING)
            }
            _ => None,
        }
    }

    /// Before writing what may be the connection's last output while
    /// draining: on TCP, hold it in the kernel until the half-close, which
    /// then leaves in the same segment.
    pub(super) fn hold_last_output(&mut self) {
        if self.draining.is_none() || self.corked {
            return;
        }
        if let Some(socket) = self.socket.filter(|s| s.tcp) {
            self.corked = true;
            let _ = sock_ref(&socket, |s| s.set_tcp_cork(true));
        }
    }

    /// Whether closing aborts the connection (see the module docs); if so,
    /// sets it up: on TCP, `SO_LINGER` 0 makes dropping the socket send
    /// RST.
    pub(super) fn abort_on_close(&mut self) -> bool {
        if self.draining.is_none() || self.idle_while_draining != IdleWhileDraining::Abort {
            return false;
        }
        if let Some(socket) = self.socket.filter(|s| s.tcp) {
            let _ = sock_ref(&socket, |s| s.set_linger(Some(Duration::ZERO)));
        }
        true
    }

    /// Bytes written to the socket that the peer has not acknowledged yet
    /// (0 for a unix socket, whose writes land in the peer at once, or
    /// when unknown).
    fn unacknowledged(&self) -> libc::c_int {
        let Some(socket) = self.socket.filter(|s| s.tcp) else {
            return 0;
        };
        let mut queued: libc::c_int = 0;
        // SAFETY: TIOCOUTQ (SIOCOUTQ) writes one int, to `queued`, which is
        // valid for writes; the fd belongs to this connection's socket,
        // open while the connection lives, and a bad fd only fails.
        let rc = unsafe { libc::ioctl(socket.fd, libc::TIOCOUTQ, &mut queued) };
        if rc == 0 { queued } else { 0 }
    }
}

/// Runs `f` on the connection's socket.
fn sock_ref<T>(socket: &SocketFd, f: impl FnOnce(&socket2::SockRef<'_>) -> T) -> T {
    // SAFETY: the fd is the one of the stream the connection owns (taken
    // from it in `with_socket`, which only the connection calls on its
    // own stream); the connection lives, so the stream and its fd are
    // open for the whole borrow, which ends with this call.
    let fd = unsafe { BorrowedFd::borrow_raw(socket.fd) };
    f(&socket2::SockRef::from(&fd))
}
