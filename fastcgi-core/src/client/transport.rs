//! The byte stream under a client connection: TCP, a unix socket, or any
//! stream the caller brings.

use std::any::Any;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};

use super::ClientError;

/// Any stream a connection can run over.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

/// The stream of one connection. TCP and unix sockets are held directly
/// (no box, no virtual call); other streams are boxed.
pub(crate) enum Transport {
    Tcp(TcpStream),
    Unix(UnixStream),
    Other(Box<dyn Stream>),
}

/// Where to connect: parsed from `HOST:PORT`, `[V6]:PORT` or `unix:/path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Address {
    Tcp(String),
    Unix(PathBuf),
}

impl Address {
    pub(crate) fn parse(value: &str) -> Result<Self, ClientError> {
        let invalid = |reason: &str| ClientError::InvalidAddress {
            value: value.to_owned(),
            reason: reason.to_owned(),
        };
        if let Some(path) = value.strip_prefix("unix:") {
            if path.is_empty() {
                return Err(invalid("the unix socket path is empty"));
            }
            return Ok(Address::Unix(PathBuf::from(path)));
        }
        if value.starts_with('/') {
            return Err(invalid("a unix socket path needs the `unix:` prefix"));
        }
        let port = value
            .rsplit_once(':')
            .map(|(_, port)| port)
            .ok_or_else(|| invalid("the port is missing"))?;
        if port.parse::<u16>().is_err() {
            return Err(invalid("the port is not a number from 0 to 65535"));
        }
        Ok(Address::Tcp(value.to_owned()))
    }
}

/// Connects a unix socket. Such a connect completes at once or fails at
/// once (`EAGAIN` when the listener's backlog is full, as with tokio's
/// `connect`), so the request can be written straight away, as nginx does:
/// tokio's `UnixStream::connect` first waits a turn of the reactor for the
/// socket to be reported writable, and the server has accepted the
/// connection and found no request on it by then.
fn connect_unix_now(path: &Path) -> io::Result<UnixStream> {
    use socket2::{Domain, SockAddr, Socket, Type};
    let socket = Socket::new(Domain::UNIX, Type::STREAM.nonblocking().cloexec(), None)?;
    socket.connect(&SockAddr::unix(path)?)?;
    UnixStream::from_std(socket.into())
}

fn connect_error(addr: String, source: io::Error) -> ClientError {
    ClientError::Connect {
        addr,
        source: Arc::new(source),
    }
}

impl Transport {
    pub(crate) async fn connect(addr: &Address) -> Result<Self, ClientError> {
        match addr {
            Address::Tcp(host_port) => Self::connect_tcp(host_port.as_str()).await,
            Address::Unix(path) => Self::connect_unix(path).await,
        }
    }

    pub(crate) async fn connect_tcp(
        addr: impl tokio::net::ToSocketAddrs + ToString,
    ) -> Result<Self, ClientError> {
        let name = addr.to_string();
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|err| connect_error(name.clone(), err))?;
        Ok(Self::from_tcp(stream))
    }

    pub(crate) async fn connect_unix(path: &Path) -> Result<Self, ClientError> {
        connect_unix_now(path)
            .map(Transport::Unix)
            .map_err(|err| connect_error(format!("unix:{}", path.display()), err))
    }

    /// Wraps any stream; TCP and unix streams are recognized and held
    /// without a box.
    pub(crate) fn from_stream<S: Stream>(stream: S) -> Self {
        let mut slot = Some(stream);
        let any: &mut dyn Any = &mut slot;
        if let Some(tcp) = any
            .downcast_mut::<Option<TcpStream>>()
            .and_then(Option::take)
        {
            return Self::from_tcp(tcp);
        }
        if let Some(unix) = any
            .downcast_mut::<Option<UnixStream>>()
            .and_then(Option::take)
        {
            return Transport::Unix(unix);
        }
        match slot {
            Some(stream) => Transport::Other(Box::new(stream)),
            // Not reached: only a successful downcast takes the stream,
            // and it returns. A closed stream is a harmless stand-in.
            None => Transport::Other(Box::new(tokio::io::duplex(1).0)),
        }
    }

    /// Wraps a TCP stream, turning Nagle's algorithm off: requests and
    /// their end-of-stream records are written as they are ready.
    pub(crate) fn from_tcp(stream: TcpStream) -> Self {
        // Best effort: a socket that refuses is still usable.
        let _ = stream.set_nodelay(true);
        Transport::Tcp(stream)
    }
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Transport::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Transport::Other(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Transport::Other(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_flush(cx),
            Transport::Unix(s) => Pin::new(s).poll_flush(cx),
            Transport::Other(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Transport::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Transport::Other(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Tcp(s) => f.debug_tuple("Tcp").field(&s.peer_addr().ok()).finish(),
            Transport::Unix(s) => f.debug_tuple("Unix").field(&s.peer_addr().ok()).finish(),
            Transport::Other(_) => f.write_str("Other"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse() {
        assert_eq!(
            Address::parse("unix:/run/a.sock").ok(),
            Some(Address::Unix("/run/a.sock".into()))
        );
        assert_eq!(
            Address::parse("127.0.0.1:9000").ok(),
            Some(Address::Tcp("127.0.0.1:9000".into()))
        );
        assert_eq!(
            Address::parse("[::1]:9000").ok(),
            Some(Address::Tcp("[::1]:9000".into()))
        );
        for bad in ["unix:", "/run/a.sock", "localhost", "localhost:http"] {
            assert!(
                matches!(Address::parse(bad), Err(ClientError::InvalidAddress { .. })),
                "{bad}"
            );
        }
    }
}
