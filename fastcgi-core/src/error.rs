//! Errors of setting up and running a server.

use std::io;
use std::path::PathBuf;

pub use crate::protocol::ProtocolError;

/// Why a server could not start or stopped with an error.
///
/// Its `Debug` output is the message itself, so `fn main() -> Result<(),
/// fastcgi::Error>` prints something a person can act on.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `Server::from_env` found no socket to listen on.
    #[error(
        "no listening socket: set FCGI_BIND (e.g. FCGI_BIND=127.0.0.1:9000 or FCGI_BIND=unix:/run/app.sock), start the app under systemd socket activation (LISTEN_FDS), or start it with a listening socket on fd 0 (spawn-fcgi, lighttpd's bin-path, mod_fcgid); to try it without a web server, set FCGI_DEV_HTTP=127.0.0.1:8080 (the `dev-http` feature) and open http://127.0.0.1:8080/"
    )]
    NoListener,
    /// `FCGI_DEV_HTTP` is set, but the program was built without the
    /// development HTTP front (the `dev-http` feature).
    #[error(
        "FCGI_DEV_HTTP={value} is set, but this program was built without the development HTTP front: enable the `dev-http` feature of fastcgi-rs (`fastcgi-rs = {{ ..., features = [\"dev-http\"] }}` in Cargo.toml), or unset FCGI_DEV_HTTP"
    )]
    DevHttpDisabled {
        /// The variable's value.
        value: String,
    },
    /// An address (from FCGI_BIND or `Server::bind`) is not `HOST:PORT`,
    /// `[V6]:PORT` or `unix:/path`.
    #[error(
        "invalid listen address {value:?}: {reason}; use HOST:PORT (127.0.0.1:9000), [V6]:PORT ([::1]:9000) or unix:/path/to.sock"
    )]
    InvalidAddress {
        /// The address as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Binding the listening socket failed.
    #[error("could not listen on {address}: {source}")]
    Bind {
        /// The address.
        address: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// A unix socket path is in use by a running process. Only when the
    /// path is too long to bind beside it first: otherwise
    /// [`Listener::bind`](crate::server::Listener::bind) takes the path
    /// over (a zero-downtime restart).
    #[error(
        "the unix socket {path} is in use by a running process (a connection to it succeeded); stop that process or choose another path"
    )]
    SocketInUse {
        /// The socket's path.
        path: PathBuf,
    },
    /// The systemd socket-activation variables are set but unusable.
    #[error("systemd socket activation: {0}")]
    SocketActivation(String),
    /// FCGI_WEB_SERVER_ADDRS does not parse.
    #[error(
        "invalid FCGI_WEB_SERVER_ADDRS {value:?}: {reason}; it is a comma-separated list of IP addresses, e.g. 127.0.0.1,::1"
    )]
    InvalidWebServerAddrs {
        /// The variable's value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Another I/O failure of the listening socket.
    #[error("listening socket: {0}")]
    Io(#[from] io::Error),
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every message already includes its cause.
        std::fmt::Display::fmt(self, f)
    }
}
