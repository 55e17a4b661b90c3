//! Where a deployed server listens, read from its environment:
//! systemd socket activation, `FCGI_BIND`, fd 0, and the development front.

use std::net::SocketAddr;

use super::{BindAddr, Listener, PeerFilter, Server};
use crate::error::Error;

impl Server {
    /// The server a deployed app wants: it listens where its environment
    /// says, in this order:
    ///
    /// 1. systemd socket activation (`LISTEN_FDS`, `LISTEN_PID`: fd 3);
    /// 2. `FCGI_BIND`: `HOST:PORT`, `[V6]:PORT` or `unix:/path` (with
    ///    `FCGI_REUSEPORT=1`, a TCP port is bound with `SO_REUSEPORT` so
    ///    several processes can share it; a unix path is taken over from
    ///    a running instance atomically, see [`Listener::bind`]);
    /// 3. fd 0, when it is a listening socket (FCGI_LISTENSOCK_FILENO: how
    ///    spawn-fcgi, lighttpd's `bin-path` and mod_fcgid start apps).
    ///
    /// Anything else is [`Error::NoListener`], which names these three.
    /// `FCGI_WEB_SERVER_ADDRS`, when set, limits which TCP peers may connect.
    ///
    /// For development, `FCGI_DEV_HTTP=127.0.0.1:8080` (with the `dev-http`
    /// feature) also serves HTTP there through the
    /// development front (the `dev` module), and listens for FastCGI on a free
    /// local port when none of the three is given.
    pub fn from_env() -> Result<Self, Error> {
        let dev_http = dev_http_from_env()?;
        let listener = if let Some(listener) = Listener::from_systemd()? {
            listener
        } else if let Ok(bind) = std::env::var("FCGI_BIND") {
            match bind.parse()? {
                BindAddr::Tcp(addr) if reuse_port_from_env() => Listener::bind_reuse_port(addr)?,
                addr => Listener::bind(&addr)?,
            }
        } else if let Some(listener) = Listener::from_stdin()? {
            listener
        } else if dev_http.is_some() {
            Listener::bind(&BindAddr::Tcp(SocketAddr::from(([127, 0, 0, 1], 0))))?
        } else {
            return Err(Error::NoListener);
        };
        let mut server = Self::from_listener(listener);
        server.peer_filter = PeerFilter::from_env()?;
        server.dev_http = dev_http;
        Ok(server)
    }
}

/// `FCGI_REUSEPORT=1`: bind FCGI_BIND's TCP port with `SO_REUSEPORT`.
fn reuse_port_from_env() -> bool {
    std::env::var("FCGI_REUSEPORT").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// Reads `FCGI_DEV_HTTP`; an error when it is set in a build without the
/// development front.
fn dev_http_from_env() -> Result<Option<SocketAddr>, Error> {
    let Ok(value) = std::env::var("FCGI_DEV_HTTP") else {
        return Ok(None);
    };
    if cfg!(not(feature = "dev-http")) {
        return Err(Error::DevHttpDisabled { value });
    }
    value.parse().map(Some).map_err(|_| Error::InvalidAddress {
        value,
        reason: "FCGI_DEV_HTTP takes an IP address and port".to_owned(),
    })
}
