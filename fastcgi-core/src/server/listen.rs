//! Where the listening socket comes from: systemd socket activation,
//! `FCGI_BIND`, fd 0 (FCGI_LISTENSOCK_FILENO), or an explicit address.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::Error;

/// Set once [`Listener::from_systemd`] took fd 3: a descriptor has one owner.
static SYSTEMD_FD_TAKEN: AtomicBool = AtomicBool::new(false);

/// The listening socket of a [`Server`](super::Server).
#[derive(Debug)]
pub enum Listener {
    /// A TCP socket.
    Tcp(TcpListener),
    /// A unix socket; `path` is removed when the server stops when the
    /// server created it.
    Unix {
        /// The socket.
        listener: UnixListener,
        /// The socket file to remove on shutdown.
        path: Option<PathBuf>,
    },
}

/// An address to listen on: `HOST:PORT`, `[V6]:PORT` or `unix:/path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindAddr {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A unix socket path.
    Unix(PathBuf),
}

impl std::str::FromStr for BindAddr {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidAddress {
            value: value.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(path) = value.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(invalid("the unix socket path is empty"));
            }
            return Ok(BindAddr::Unix(PathBuf::from(path)));
        }
        if value.starts_with('/') {
            return Err(invalid("a path needs the `unix:` prefix"));
        }
        match value.parse::<SocketAddr>() {
            Ok(addr) => Ok(BindAddr::Tcp(addr)),
            Err(_) => {
                // Host names are resolved, first address wins.
                use std::net::ToSocketAddrs;
                let mut addrs = value
                    .to_socket_addrs()
                    .map_err(|e| invalid(&e.to_string()))?;
                addrs
                    .next()
                    .map(BindAddr::Tcp)
                    .ok_or_else(|| invalid("the host name resolves to no address"))
            }
        }
    }
}

impl std::fmt::Display for BindAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BindAddr::Tcp(addr) => write!(f, "{addr}"),
            BindAddr::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

impl Listener {
    /// Binds `addr`.
    ///
    /// A unix socket replaces whatever is at the path, atomically: it is
    /// bound at `PATH.new-PID` beside it, given the permissions of the
    /// socket it replaces, then renamed over `PATH`, so a web server
    /// connecting meanwhile reaches either the old socket or the new one,
    /// never nothing. That is a zero-downtime restart on one path: start the
    /// new instance, then SIGTERM the old one, which serves what it has,
    /// and leaves the file alone because it is no longer its own. (When
    /// `PATH.new-PID` is too long for a socket address, the socket is bound
    /// in place: a stale file is replaced, a live one is
    /// [`Error::SocketInUse`].)
    pub fn bind(addr: &BindAddr) -> Result<Self, Error> {
        match addr {
            BindAddr::Tcp(sock) => {
                let listener = TcpListener::bind(sock).map_err(|source| Error::Bind {
                    address: addr.to_string(),
                    source,
                })?;
                Ok(Listener::Tcp(listener))
            }
            BindAddr::Unix(path) => bind_unix(path, addr),
        }
    }

    /// Binds a TCP address with `SO_REUSEPORT`, so several processes can
    /// each bind the same port and the kernel spreads connections among
    /// them (what `FCGI_REUSEPORT=1` asks of
    /// [`Server::from_env`](super::Server::from_env)). Every process must
    /// set it; one that does not makes the port unavailable to the others.
    pub fn bind_reuse_port(addr: SocketAddr) -> Result<Self, Error> {
        use socket2::{Domain, Socket, Type};
        let bind_error = |source| Error::Bind {
            address: addr.to_string(),
            source,
        };
        let socket =
            Socket::new(Domain::for_address(addr), Type::STREAM, None).map_err(bind_error)?;
        socket.set_reuse_address(true).map_err(bind_error)?;
        socket.set_reuse_port(true).map_err(bind_error)?;
        socket.bind(&addr.into()).map_err(bind_error)?;
        socket.listen(1024).map_err(bind_error)?;
        Ok(Listener::Tcp(socket.into()))
    }

    /// Takes the socket systemd passed (fd 3), if this process was
    /// socket-activated: `LISTEN_FDS` is set and `LISTEN_PID` names this
    /// process, as `sd_listen_fds(3)` requires.
    ///
    /// The socket has one owner: the first call takes it, and a later call
    /// in the same process is an error rather than a second owner of fd 3.
    /// It is marked close-on-exec, so programs a handler runs do not
    /// inherit it.
    pub fn from_systemd() -> Result<Option<Self>, Error> {
        let Ok(fds) = std::env::var("LISTEN_FDS") else {
            return Ok(None);
        };
        match std::env::var("LISTEN_PID") {
            Ok(pid) if pid.trim() == std::process::id().to_string() => {}
            // Meant for another process (we inherited the variables), or
            // not from systemd: fd 3 is not ours to take.
            _ => return Ok(None),
        }
        let count: u32 = fds
            .trim()
            .parse()
            .map_err(|_| Error::SocketActivation(format!("LISTEN_FDS={fds:?} is not a number")))?;
        if count == 0 {
            return Ok(None);
        }
        if count > 1 {
            tracing::warn!(
                count,
                "systemd passed {count} sockets; serving on the first (fd 3) only"
            );
        }
        const SD_LISTEN_FDS_START: RawFd = 3;
        if !is_listening_socket(SD_LISTEN_FDS_START) {
            return Err(Error::SocketActivation(
                "fd 3 is not a listening socket; check the .socket unit (it must not set Accept=yes)"
                    .to_owned(),
            ));
        }
        if SYSTEMD_FD_TAKEN.swap(true, Ordering::AcqRel) {
            return Err(Error::SocketActivation(
                "fd 3 was already taken by an earlier call in this process; call `Server::from_env` (or `Listener::from_systemd`) once".to_owned(),
            ));
        }
        // SAFETY: systemd handed fd 3 to this process (LISTEN_PID names it,
        // and only the parent that started us can know our pid; safe code
        // cannot change the environment) for it to serve on, so nothing in
        // the process opened it, and the flag above lets only this call take
        // it: this `OwnedFd` is its only owner.
        let owned = unsafe { OwnedFd::from_raw_fd(SD_LISTEN_FDS_START) };
        set_cloexec(&owned).map_err(|e| Error::SocketActivation(format!("fd 3: {e}")))?;
        Self::from_listening_fd(owned)
            .map(Some)
            .map_err(|e| Error::SocketActivation(format!("fd 3: {e}")))
    }

    /// Takes the listening socket on fd 0, when there is one
    /// (FCGI_LISTENSOCK_FILENO: how spawn-fcgi, lighttpd's `bin-path` and
    /// mod_fcgid start apps); `None`, leaving fd 0 alone, when fd 0 is
    /// anything else.
    ///
    /// The socket moves to a new close-on-exec descriptor and fd 0 is
    /// pointed at `/dev/null`: standard input stays open, as the rest of
    /// the process (`std::io::stdin`) expects, programs a handler runs do
    /// not inherit the listening socket, and a second call finds no socket
    /// there.
    pub fn from_stdin() -> io::Result<Option<Self>> {
        const FCGI_LISTENSOCK_FILENO: RawFd = 0;
        if !is_listening_socket(FCGI_LISTENSOCK_FILENO) {
            return Ok(None);
        }
        // SAFETY: F_DUPFD_CLOEXEC reads fd 0 and returns a new descriptor
        // (or -1); it changes nothing another owner relies on.
        let fd = unsafe { libc::fcntl(FCGI_LISTENSOCK_FILENO, libc::F_DUPFD_CLOEXEC, 3) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just created by `fcntl` above; nothing else
        // refers to it, so this `OwnedFd` is its only owner.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        let null = std::fs::File::open("/dev/null")?;
        // SAFETY: `dup2` makes fd 0 refer to /dev/null in one step; fd 0
        // stays open (it belongs to the process, as std's stdin), and
        // `null` stays owned by its `File`.
        if unsafe { libc::dup2(null.as_raw_fd(), FCGI_LISTENSOCK_FILENO) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Self::from_listening_fd(owned).map(Some)
    }

    /// A listener on `fd`, which must be a listening socket, TCP or unix
    /// (set non-blocking here). Anything else is an error of kind
    /// `InvalidInput`, and `fd` is closed, as it was given away.
    ///
    /// An [`OwnedFd`] is the caller's promise that nothing else owns the
    /// descriptor; to build one from a number your process inherited, see
    /// [`OwnedFd::from_raw_fd`](std::os::fd::FromRawFd::from_raw_fd).
    ///
    /// ```no_run
    /// use std::os::fd::OwnedFd;
    /// use fastcgi_core::server::Listener;
    ///
    /// let socket = std::net::TcpListener::bind("127.0.0.1:9000")?;
    /// let listener = Listener::from_listening_fd(OwnedFd::from(socket))?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_listening_fd(fd: OwnedFd) -> io::Result<Self> {
        if !is_listening_socket(fd.as_raw_fd()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "fd {} is not a listening socket: pass a socket that is bound and listening",
                    fd.as_raw_fd()
                ),
            ));
        }
        let family = socket_family(fd.as_raw_fd())?;
        let listener = if family == libc::AF_UNIX {
            Listener::Unix {
                listener: UnixListener::from(fd),
                path: None,
            }
        } else {
            Listener::Tcp(TcpListener::from(fd))
        };
        listener.set_nonblocking()?;
        Ok(listener)
    }

    pub(crate) fn set_nonblocking(&self) -> io::Result<()> {
        match self {
            Listener::Tcp(l) => l.set_nonblocking(true),
            Listener::Unix { listener, .. } => listener.set_nonblocking(true),
        }
    }

    /// The address served, for logs and for tests that bind port 0.
    pub fn local_addr(&self) -> io::Result<BindAddr> {
        match self {
            Listener::Tcp(l) => l.local_addr().map(BindAddr::Tcp),
            Listener::Unix { listener, path } => {
                // The path it was published at first: the socket itself
                // may have been bound at a staging path (see `bind`).
                if let Some(path) = path {
                    return Ok(BindAddr::Unix(path.clone()));
                }
                let addr = listener.local_addr()?;
                Ok(BindAddr::Unix(
                    addr.as_pathname()
                        .map(Path::to_path_buf)
                        .unwrap_or_default(),
                ))
            }
        }
    }

    /// Sets the unix socket file's permission bits (e.g. `0o660` so the web
    /// server's group can connect). No effect on TCP sockets.
    pub fn set_unix_mode(&self, mode: u32) -> io::Result<()> {
        if let Listener::Unix {
            path: Some(path), ..
        } = self
        {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
        }
        Ok(())
    }
}

impl AsRawFd for Listener {
    fn as_raw_fd(&self) -> RawFd {
        match self {
            Listener::Tcp(l) => l.as_raw_fd(),
            Listener::Unix { listener, .. } => listener.as_raw_fd(),
        }
    }
}

/// Binds a unix socket at `path` without a moment in which connecting to
/// `path` fails: the socket is bound at a temporary path beside it, given
/// the mode of the socket it replaces, and `rename()`d over `path` in one
/// step. A running instance on `path` keeps the connections it has and
/// gets no new ones: it is being replaced (a restart), and it removes the
/// file on shutdown only while it is still its own ([`SocketFile`]).
fn bind_unix(path: &Path, addr: &BindAddr) -> Result<Listener, Error> {
    let bind_error = |source| Error::Bind {
        address: addr.to_string(),
        source,
    };
    let Some(staging) = staging_path(path) else {
        // No room for a longer name (sun_path holds 107 bytes): bind in
        // place, replacing a stale file.
        return bind_unix_in_place(path, addr);
    };
    let _ = std::fs::remove_file(&staging);
    let listener = UnixListener::bind(&staging).map_err(bind_error)?;
    let published = (|| {
        if let Ok(live) = std::fs::metadata(path) {
            std::fs::set_permissions(&staging, live.permissions())?;
            // Not probed with a connection: a running instance would
            // have to serve it.
            tracing::info!(path = %path.display(), "replacing the unix socket at this path");
        }
        std::fs::rename(&staging, path)
    })();
    if let Err(err) = published {
        let _ = std::fs::remove_file(&staging);
        return Err(bind_error(err));
    }
    Ok(Listener::Unix {
        listener,
        path: Some(path.to_owned()),
    })
}

/// `path` with `.new-PID` appended, when the result still fits a socket
/// address.
fn staging_path(path: &Path) -> Option<PathBuf> {
    let mut name = path.file_name()?.to_owned();
    name.push(format!(".new-{}", std::process::id()));
    let staging = path.with_file_name(name);
    (staging.as_os_str().len() < 108).then_some(staging)
}

fn bind_unix_in_place(path: &Path, addr: &BindAddr) -> Result<Listener, Error> {
    let bind_error = |source| Error::Bind {
        address: addr.to_string(),
        source,
    };
    let listener = match UnixListener::bind(path) {
        Ok(listener) => listener,
        Err(err) if err.kind() == io::ErrorKind::AddrInUse => {
            if UnixStream::connect(path).is_ok() {
                return Err(Error::SocketInUse {
                    path: path.to_owned(),
                });
            }
            tracing::info!(path = %path.display(), "replacing a stale unix socket");
            std::fs::remove_file(path).map_err(bind_error)?;
            UnixListener::bind(path).map_err(bind_error)?
        }
        Err(err) => return Err(bind_error(err)),
    };
    Ok(Listener::Unix {
        listener,
        path: Some(path.to_owned()),
    })
}

/// The socket file a server created, as it was when the server began:
/// removed on shutdown only if the path still names that file. A newer
/// instance that took the path over ([`Listener::bind`]) keeps its socket.
#[derive(Debug)]
pub(crate) struct SocketFile {
    path: PathBuf,
    dev: u64,
    ino: u64,
}

impl SocketFile {
    /// The file at `path` now; `None` if there is none.
    pub(crate) fn of(path: &Path) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::symlink_metadata(path).ok()?;
        Some(Self {
            path: path.to_owned(),
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }

    /// Removes the file if the path still names it.
    pub(crate) fn remove_if_ours(&self) {
        match Self::of(&self.path) {
            Some(now) if now.dev == self.dev && now.ino == self.ino => {
                let _ = std::fs::remove_file(&self.path);
            }
            Some(_) => tracing::info!(
                path = %self.path.display(),
                "leaving the unix socket in place: another instance took it over"
            ),
            None => {}
        }
    }
}

fn getsockopt_int(fd: RawFd, level: libc::c_int, name: libc::c_int) -> io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` and `len` are valid for writes and `len` holds the
    // size of `value`; an invalid fd only makes the call fail.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            level,
            name,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if rc == 0 {
        Ok(value)
    } else {
        Err(io::Error::last_os_error())
    }
}

fn set_cloexec(fd: &OwnedFd) -> io::Result<()> {
    // SAFETY: F_GETFD/F_SETFD only read and set the descriptor's flags;
    // `fd` is open for as long as the borrow lasts.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) };
    if flags < 0
        // SAFETY: as above.
        || unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, flags | libc::FD_CLOEXEC) } < 0
    {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn is_listening_socket(fd: RawFd) -> bool {
    matches!(getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_ACCEPTCONN), Ok(v) if v != 0)
}

fn socket_family(fd: RawFd) -> io::Result<libc::c_int> {
    getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_DOMAIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses() {
        assert_eq!(
            "127.0.0.1:9000".parse::<BindAddr>().unwrap(),
            BindAddr::Tcp("127.0.0.1:9000".parse().unwrap())
        );
        assert_eq!(
            "[::1]:9000".parse::<BindAddr>().unwrap(),
            BindAddr::Tcp("[::1]:9000".parse().unwrap())
        );
        assert_eq!(
            "unix:/run/app.sock".parse::<BindAddr>().unwrap(),
            BindAddr::Unix("/run/app.sock".into())
        );
        let err = "/run/app.sock".parse::<BindAddr>().unwrap_err();
        assert!(err.to_string().contains("unix:"), "{err}");
        assert!("unix:".parse::<BindAddr>().is_err());
        assert!("127.0.0.1".parse::<BindAddr>().is_err());
    }

    #[test]
    fn from_listening_fd_takes_listening_sockets_and_refuses_the_rest() {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = tcp.local_addr().unwrap();
        let listener = Listener::from_listening_fd(OwnedFd::from(tcp)).unwrap();
        assert_eq!(listener.local_addr().unwrap(), BindAddr::Tcp(addr));
        assert!(matches!(listener, Listener::Tcp(_)));

        let (a, _b) = UnixStream::pair().unwrap();
        let err = Listener::from_listening_fd(OwnedFd::from(a)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("not a listening socket"), "{err}");
        let file = std::fs::File::open("/dev/null").unwrap();
        let err = Listener::from_listening_fd(OwnedFd::from(file)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn unix_socket_is_taken_over_and_removed_only_by_its_owner() {
        let dir = std::env::temp_dir().join(format!("fcgi-listen-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.sock");
        let _ = std::fs::remove_file(&path);
        let addr = BindAddr::Unix(path.clone());
        let old = Listener::bind(&addr).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o660)).unwrap();
        let old_file = SocketFile::of(&path).unwrap();
        // A client of the old socket, connected before the take-over.
        let before = UnixStream::connect(&path).unwrap();

        let new = Listener::bind(&addr).unwrap();
        let new_file = SocketFile::of(&path).unwrap();
        assert_ne!(old_file.ino, new_file.ino, "the path names the new socket");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode, 0o660,
            "the new socket keeps the old one's permissions"
        );
        assert!(
            !dir.join(format!("s.sock.new-{}", std::process::id()))
                .exists()
        );
        // New connections reach the new listener; the old one keeps its own.
        let after = UnixStream::connect(&path).unwrap();
        new.set_nonblocking().unwrap();
        old.set_nonblocking().unwrap();
        let (
            Listener::Unix {
                listener: new_l, ..
            },
            Listener::Unix {
                listener: old_l, ..
            },
        ) = (&new, &old)
        else {
            panic!("unix listeners");
        };
        new_l
            .accept()
            .expect("the new socket has the new connection");
        assert!(new_l.accept().is_err(), "and only that one");
        old_l
            .accept()
            .expect("the old socket keeps the connection it had");
        assert!(old_l.accept().is_err(), "and gets no new one");
        drop((before, after));

        // The old instance's shutdown leaves the new socket alone...
        old_file.remove_if_ours();
        assert!(path.exists());
        drop(old);
        assert!(UnixStream::connect(&path).is_ok());
        // ...and the new one's removes it.
        new_file.remove_if_ours();
        assert!(!path.exists());
        drop(new);

        // A stale file (nothing listens) is replaced the same way.
        let stale = Listener::bind(&addr).unwrap();
        drop(stale);
        assert!(path.exists());
        let again = Listener::bind(&addr).unwrap();
        assert!(is_listening_socket(again.as_raw_fd()));
        assert!(UnixStream::connect(&path).is_ok());
        drop(again);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
