//! Draining: what a connection does once the server shuts down, so that
//! nothing the web server sent is thrown away.
//!
//! A web server keeps idle connections to reuse them and picks one
//! without asking the application first, so an application that closes a
//! kept connection always leaves a moment in which the web server writes
//! a request on it that nobody will answer. nginx takes the most recently
//! used connection from its cache, checks only for a pending socket error,
//! and never sends a POST, PATCH or LOCK twice: such a request becomes a
//! 502. Apache (`enablereuse=on`) polls a pooled connection before reusing
//! it, and lighttpd does not keep FastCGI connections (no
//! FCGI_KEEP_CONN). So, while draining, the application never closes a
//! kept connection; it has the web server close it:
//!
//! - a connection with requests in flight serves them, and every request
//!   that reaches it meanwhile;
//! - once it has nothing in flight (at once for one idle since before the
//!   shutdown, else right after the END_REQUEST, in the same write) it
//!   sends one empty FCGI_STDERR record for the web server's last request
//!   id, and waits for the web server to close the connection. nginx
//!   closes a cached connection on which anything arrives, and does not
//!   cache one whose END_REQUEST is followed by more bytes; if it picked
//!   the connection at that very moment, its request (nginx and Apache
//!   always use request id 1) reads the record as an empty stderr stream,
//!   which ends nothing, and is served. Strictly, this is a record for a
//!   request id that is not active (§3.3 only says what the application
//!   ignores); it is the one record sent outside a request, and the only
//!   way the protocol leaves to say "do not reuse this connection" without
//!   a window;
//! - a web server that sends another request after the record (Apache
//!   does: it reuses a pooled connection without reading what waits on
//!   it) gets it served; on TCP the connection then closes right after
//!   its END_REQUEST, nothing following, the FIN in the same segment
//!   ([`hold_last_output`](Connection::hold_last_output)): Apache reads
//!   end-of-file when it looks at the connection before reusing it, and
//!   opens a new one; so does nginx, had it picked the connection as the
//!   record arrived. On a unix socket, where the END_REQUEST and the end
//!   of the connection cannot arrive at once, the record follows again
//!   instead (Apache over a unix socket then keeps the old instance busy
//!   until it leaves the connection idle);
//! - a connection the web server neither uses nor closes within
//!   [`DRAIN_LINGER`] of its last output is closed by the application.
//!   nginx never gets there. Apache (`enablereuse=on`) does not look at
//!   an idle pooled connection until it reuses it: give it `ttl=1`, so it
//!   drops connections idle for a second itself first;
//! - a connection that has not received a request yet (accepted just
//!   before the listener closed: the web server's request is on its way)
//!   waits for it, at most [`DRAIN_LINGER`], and is served the same way;
//! - a request without FCGI_KEEP_CONN closes its connection after its
//!   END_REQUEST, as always (the FIN with it, on TCP): the web server does
//!   not reuse it.

use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use super::Connection;
use crate::handler::Handler;
use crate::protocol::{self, StreamType};

/// How long an idle connection waits, while draining, for the web server
/// to use or close it: from the shutdown or its last output, whichever is
/// later. Web servers write a new connection's first request at once, and
/// nginx closes a nudged connection within milliseconds; this bounds
/// peers that do neither.
pub(crate) const DRAIN_LINGER: Duration = Duration::from_secs(2);

impl<H, IO> Connection<H, IO>
where
    H: Handler,
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Tells the connection that it serves a socket the server accepted,
    /// TCP or not: closing can then look at the socket itself (see
    /// `close.rs`), and on TCP draining can hold its last output back
    /// until the FIN can go with it
    /// ([`hold_last_output`](Self::hold_last_output)).
    pub(crate) fn on_socket(mut self, tcp: bool) -> Self
    where
        IO: AsRawFd,
    {
        self.socket_fd = Some(self.io.as_raw_fd());
        self.tcp = tcp;
        self
    }

    /// While draining, before writing output after which the connection
    /// closes: on TCP, holds it in the kernel (`TCP_CORK`) until the
    /// half-close, whose FIN then leaves in the same segment. A web server
    /// that reads the END_REQUEST reads the end of the connection with it,
    /// so it never reuses the connection.
    pub(super) fn hold_last_output(&mut self) {
        if self.corked || self.draining.is_none() {
            return;
        }
        if !self.tcp {
            return;
        }
        if let Some(socket) = self.socket() {
            let _ = socket2::SockRef::from(&socket).set_tcp_cork(true);
            self.corked = true;
        }
    }

    /// The socket the server accepted, to set options on or look at;
    /// `None` for the streams of `serve_io`.
    pub(super) fn socket(&self) -> Option<BorrowedFd<'_>> {
        // SAFETY: `socket_fd` is the descriptor of `self.io` (taken from it
        // in `on_socket`), open as long as the connection lives; the
        // borrow lasts no longer than this borrow of the connection.
        self.socket_fd
            .map(|fd| unsafe { BorrowedFd::borrow_raw(fd) })
    }

    /// Shutdown began: see the module docs.
    pub(super) fn start_draining(&mut self) {
        self.draining = Some(self.now());
        // A connection that served a request is told to go once it has
        // nothing in flight; one that did not is waiting for its first.
        self.nudge_due = self.last_request_id.is_some();
    }

    /// A request began while draining: the web server hears it should let
    /// the connection go once it has nothing in flight again; or, if it
    /// was told already and sent a request anyway (Apache reuses a pooled
    /// connection without reading what waits on it), a TCP connection
    /// closes after this request, the FIN in the same segment as its
    /// END_REQUEST: the web server reads end-of-file with the response.
    /// A unix socket cannot send the two at once, and a web server could
    /// reuse the connection between them: it is told again instead.
    pub(super) fn request_began_while_draining(&mut self) {
        if self.nudged && self.tcp {
            self.close_when_idle = true;
        } else {
            self.nudge_due = true;
        }
    }

    /// While draining, with nothing in flight: tells the web server to
    /// stop reusing the connection, once per request served. The record
    /// follows the last END_REQUEST in the output, so both usually leave
    /// in one write.
    pub(super) fn nudge_when_idle(&mut self) {
        if !self.nudge_due || !self.slots.is_empty() || self.close_when_idle {
            return;
        }
        self.nudge_due = false;
        self.nudged = true;
        if let Some(id) = self.last_request_id {
            self.output
                .append_unchecked(|buf| protocol::encode_stream_end(buf, StreamType::Stderr, id));
        }
    }

    /// While draining, when the connection, idle since `idle_since`, is
    /// closed if the web server has neither used nor closed it.
    pub(super) fn drain_deadline(&self, idle_since: Instant) -> Option<Instant> {
        self.draining
            .map(|since| since.max(idle_since) + DRAIN_LINGER)
    }
}
