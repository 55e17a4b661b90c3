//! Accepting connections, and the accepted socket, which joins tokio's
//! reactor only when it first has to wait.
//!
//! Why: a web server that opens a connection per request (Apache's
//! `mod_proxy_fcgi` without `enablereuse`, lighttpd's default, `cgi-fcgi`)
//! has usually written its whole request by the time the connection is
//! accepted, and reads the response at once. Such a connection never
//! waits: registering it with epoll and removing it again (two
//! `epoll_ctl`s and tokio's bookkeeping) and the wake-ups that came with
//! it were about a sixth of what a one-request connection cost the server
//! (BENCHMARKS.md, *Issue 18*). A socket that does have to wait (its request is not there
//! yet, the peer reads slowly, a long response) is registered at that
//! moment and then behaves as any tokio socket: registration reports the
//! readiness the socket already has, so nothing that arrived in between is
//! missed.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixListener;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use socket2::{SockAddr, Socket};
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};

use super::Listener;

/// The listening socket, registered with the reactor for readability.
pub(super) enum Acceptor {
    Tcp(AsyncFd<std::net::TcpListener>),
    Unix(AsyncFd<UnixListener>),
}

/// A connection just accepted, with its peer's address when it is TCP.
pub(super) enum Accepted {
    Tcp(AcceptedSocket, SocketAddr),
    Unix(AcceptedSocket),
}

impl Acceptor {
    /// Registers the listener; on TCP with `defer` set, the kernel hands a
    /// connection over only once its first bytes have arrived, or `defer`
    /// after it was made (see [`Server::defer_accept`](super::Server::defer_accept)).
    ///
    /// Not on a listener shared with `SO_REUSEPORT`: such a listener closes
    /// in a hand-over while the others go on, and the connections the
    /// kernel held back for it, made but with no request yet, would go
    /// with it (measured: nginx saw a few "upstream prematurely closed
    /// connection" at each hand-over), where without deferral they are in
    /// its queue and served before it closes.
    pub(super) fn new(listener: Listener, defer: Option<Duration>) -> io::Result<Self> {
        if let (Listener::Tcp(l), Some(defer)) = (&listener, defer)
            && !socket2::SockRef::from(l).reuse_port().unwrap_or(false)
        {
            set_defer_accept(l.as_raw_fd(), defer)?;
        }
        // SAFETY (both): a std listener owns its descriptor and always
        // reports that one, and it is dropped with the `AsyncFd`.
        Ok(match listener {
            Listener::Tcp(l) => {
                Acceptor::Tcp(unsafe { AsyncFd::register_with_interest(l, Interest::READABLE) }?)
            }
            Listener::Unix { listener, .. } => Acceptor::Unix(unsafe {
                AsyncFd::register_with_interest(listener, Interest::READABLE)
            }?),
        })
    }

    /// The next connection, waiting for one if none is queued.
    pub(super) async fn accept(&self) -> io::Result<Accepted> {
        loop {
            let accepted = match self {
                Acceptor::Tcp(l) => l
                    .readable()
                    .await?
                    .try_io(|l| self.accept_now(l.as_raw_fd())),
                Acceptor::Unix(l) => l
                    .readable()
                    .await?
                    .try_io(|l| self.accept_now(l.as_raw_fd())),
            };
            // `Err(_)`: the queue was empty and the readiness is cleared.
            if let Ok(accepted) = accepted {
                return accepted;
            }
        }
    }

    /// Stops deferring accepts (at shutdown), if they were deferred: a
    /// connection whose request is on its way is then queued as soon as its
    /// first bytes come, for [`accept_queued`](Self::accept_queued).
    /// Returns whether they were.
    pub(super) fn stop_deferring(&self) -> bool {
        let Acceptor::Tcp(l) = self else {
            return false;
        };
        let fd = l.as_raw_fd();
        let mut secs: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: a plain getsockopt into an int, with its size.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_DEFER_ACCEPT,
                (&mut secs as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        rc == 0 && secs > 0 && set_defer_accept(fd, Duration::ZERO).is_ok()
    }

    /// A connection already waiting in the backlog, without waiting for
    /// one; `None` when there is none (or accepting fails). Asks the
    /// kernel itself: the reactor may not have seen the newest ones.
    pub(super) fn accept_queued(&self) -> Option<Accepted> {
        let fd = match self {
            Acceptor::Tcp(l) => l.as_raw_fd(),
            Acceptor::Unix(l) => l.as_raw_fd(),
        };
        self.accept_now(fd).ok()
    }

    fn accept_now(&self, fd: RawFd) -> io::Result<Accepted> {
        match self {
            Acceptor::Tcp(_) => {
                // SAFETY: `try_init` hands over storage and its size in
                // `len` (what `accept4` asks), and `accept4` writes at most
                // that many bytes of address there and sets `len` to what
                // it wrote (what `try_init` asks of the closure).
                let (socket, peer) =
                    unsafe { SockAddr::try_init(|storage, len| accept4(fd, storage.cast(), len)) }?;
                let peer = peer.as_socket().ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        "accepted a TCP connection without an IP peer address",
                    )
                })?;
                Ok(Accepted::Tcp(AcceptedSocket::new(socket, Kind::Tcp), peer))
            }
            Acceptor::Unix(_) => {
                // SAFETY: no address is asked for: both pointers null.
                let socket = unsafe { accept4(fd, std::ptr::null_mut(), std::ptr::null_mut()) }?;
                Ok(Accepted::Unix(AcceptedSocket::new(socket, Kind::Unix)))
            }
        }
    }
}

/// `TCP_DEFER_ACCEPT` on a TCP listener, in whole seconds (zero: off).
fn set_defer_accept(listener: RawFd, defer: Duration) -> io::Result<()> {
    let secs = libc::c_int::try_from(defer.as_secs() + u64::from(defer.subsec_nanos() > 0))
        .unwrap_or(libc::c_int::MAX);
    // SAFETY: a plain setsockopt with a pointer to an int and its size.
    let rc = unsafe {
        libc::setsockopt(
            listener,
            libc::IPPROTO_TCP,
            libc::TCP_DEFER_ACCEPT,
            (&secs as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `accept4(2)`, the new socket non-blocking and close-on-exec from the
/// start (no `fcntl` after it); retried when a signal interrupts it.
///
/// # Safety
///
/// `address` and `len` are both null, or `len` points to the size of the
/// writable storage `address` points to.
unsafe fn accept4(
    listener: RawFd,
    address: *mut libc::sockaddr,
    len: *mut libc::socklen_t,
) -> io::Result<Socket> {
    loop {
        // SAFETY: the pointers are as the caller promised; the kernel
        // writes at most `*len` bytes of address and nothing else.
        let fd = unsafe {
            libc::accept4(
                listener,
                address,
                len,
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            )
        };
        if fd >= 0 {
            // SAFETY: `accept4` just returned this descriptor, owned by
            // nothing else.
            return Ok(Socket::from(unsafe { OwnedFd::from_raw_fd(fd) }));
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Tcp,
    Unix,
}

/// An accepted connection's socket: read and written directly while it
/// never has to wait, registered with the reactor the first time it does
/// (see the module docs).
pub(crate) struct AcceptedSocket {
    state: State,
    /// A read found nothing once already (see [`direct`](Self::direct)).
    read_retried: bool,
    /// TCP: `TCP_NODELAY` is yet to be set (see
    /// [`nodelay_before_second_write`](Self::nodelay_before_second_write)).
    nodelay_due: bool,
    /// Something was written.
    wrote: bool,
}

enum State {
    /// Not known to the reactor yet.
    Direct(Socket, Kind),
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
    /// Registration failed (the reactor is gone: the runtime is shutting
    /// down); the socket was closed.
    Failed,
}

impl AcceptedSocket {
    fn new(socket: Socket, kind: Kind) -> Self {
        Self {
            state: State::Direct(socket, kind),
            read_retried: false,
            nodelay_due: matches!(kind, Kind::Tcp),
            wrote: false,
        }
    }

    /// Sets `TCP_NODELAY` before the second write of a TCP socket, so that
    /// responses leave at once. Not before the first: Nagle's algorithm
    /// holds a small write back only while an earlier one is
    /// unacknowledged, so a connection's first write always leaves at once,
    /// and a connection that answers its one request in one write is
    /// spared the system call.
    fn nodelay_before_second_write(&mut self) {
        if !self.nodelay_due || !self.wrote {
            return;
        }
        self.nodelay_due = false;
        // Best effort, as everywhere: without it, responses are only
        // slower.
        let _ = match &self.state {
            State::Direct(socket, _) => socket.set_tcp_nodelay(true),
            State::Tcp(stream) => stream.set_nodelay(true),
            State::Unix(_) | State::Failed => Ok(()),
        };
    }

    /// The socket has to wait: from now on the reactor tells when it is
    /// ready. Epoll reports the readiness a socket has when it is added,
    /// so data that came after the last attempt is not missed.
    fn register(&mut self) -> io::Result<()> {
        self.state = match std::mem::replace(&mut self.state, State::Failed) {
            State::Direct(socket, Kind::Tcp) => {
                State::Tcp(tokio::net::TcpStream::from_std(socket.into())?)
            }
            State::Direct(socket, Kind::Unix) => {
                State::Unix(tokio::net::UnixStream::from_std(socket.into())?)
            }
            registered => registered,
        };
        Ok(())
    }

    /// Runs `attempt` on the unregistered socket. When it would block, a
    /// read gets one more chance after the tasks already queued have run
    /// (`Pending` with the task woken); otherwise the socket is registered
    /// and `None` returned, for the caller to poll the registered one.
    fn direct<T>(
        &mut self,
        cx: &Context<'_>,
        reading: bool,
        mut attempt: impl FnMut(&Socket) -> io::Result<T>,
    ) -> Option<Poll<io::Result<T>>> {
        let State::Direct(socket, _) = &self.state else {
            return None;
        };
        loop {
            match attempt(socket) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    if reading && !self.read_retried {
                        // A web server writes its request right after
                        // connecting, and a connection is often accepted
                        // (a unix socket's at once) before that write
                        // lands: the other tasks' turn is usually time
                        // enough, and cheaper than joining the reactor.
                        self.read_retried = true;
                        cx.waker().wake_by_ref();
                        return Some(Poll::Pending);
                    }
                    return self.register().err().map(|err| Poll::Ready(Err(err)));
                }
                done => return Some(Poll::Ready(done)),
            }
        }
    }
}

fn gone() -> io::Error {
    io::Error::other(
        "the connection's socket could not join the reactor (the runtime is shutting down)",
    )
}

impl AsRawFd for AcceptedSocket {
    fn as_raw_fd(&self) -> RawFd {
        match &self.state {
            State::Direct(socket, _) => socket.as_raw_fd(),
            State::Tcp(stream) => stream.as_raw_fd(),
            State::Unix(stream) => stream.as_raw_fd(),
            State::Failed => -1,
        }
    }
}

impl AsyncRead for AcceptedSocket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: `recv` never de-initializes bytes (it only writes
        // received ones), and `assume_init` below covers only the `n` it
        // reports.
        let attempt = |socket: &Socket| socket.recv(unsafe { buf.unfilled_mut() });
        if let Some(result) = self.direct(cx, true, attempt) {
            let n = ready!(result)?;
            // SAFETY: `recv` initialized the first `n` bytes of `unfilled`.
            unsafe { buf.assume_init(n) };
            buf.advance(n);
            return Poll::Ready(Ok(()));
        }
        match &mut self.state {
            State::Tcp(stream) => Pin::new(stream).poll_read(cx, buf),
            State::Unix(stream) => Pin::new(stream).poll_read(cx, buf),
            State::Direct(..) | State::Failed => Poll::Ready(Err(gone())),
        }
    }
}

impl AsyncWrite for AcceptedSocket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.nodelay_before_second_write();
        // MSG_NOSIGNAL: a peer gone is an error to handle, not SIGPIPE.
        let attempt = |socket: &Socket| socket.send_with_flags(buf, libc::MSG_NOSIGNAL);
        let written = match self.direct(cx, false, attempt) {
            Some(result) => result,
            None => match &mut self.state {
                State::Tcp(stream) => Pin::new(stream).poll_write(cx, buf),
                State::Unix(stream) => Pin::new(stream).poll_write(cx, buf),
                State::Direct(..) | State::Failed => Poll::Ready(Err(gone())),
            },
        };
        if let Poll::Ready(Ok(n)) = written {
            self.wrote |= n > 0;
        }
        written
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.state {
            State::Direct(socket, _) => Poll::Ready(socket.shutdown(std::net::Shutdown::Write)),
            State::Tcp(stream) => Pin::new(stream).poll_shutdown(cx),
            State::Unix(stream) => Pin::new(stream).poll_shutdown(cx),
            State::Failed => Poll::Ready(Err(gone())),
        }
    }
}
