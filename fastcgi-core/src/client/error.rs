//! What can go wrong on the client side of a FastCGI connection.

use std::io;
use std::sync::Arc;

use crate::body_stream::BoxError;
use crate::cgi::HeadError;
use crate::io_error::is_disconnect_or_unconnected;
use crate::protocol::{ProtocolError, ProtocolStatus};

/// Why a FastCGI client call failed.
///
/// Every message says what happened and, where there is one, what to do.
/// The error is `Clone` (I/O and body errors are shared behind an `Arc`) so
/// that one connection failure can be reported to every request that was
/// in flight on it.
///
/// ```
/// # async fn run() {
/// use fastcgi::client::{ClientError, ClientRequest, Connection};
///
/// match Connection::connect("127.0.0.1:1").await {
///     Err(err @ ClientError::Connect { .. }) => {
///         // "could not connect to the FastCGI application at 127.0.0.1:1:
///         //  Connection refused ...: is the app running and listening ...?"
///         assert!(err.is_connection_error());
///         eprintln!("{err}");
///     }
///     Err(other) => eprintln!("{other}"),
///     Ok(mut conn) => {
///         match conn.send(ClientRequest::get("/")).await {
///             Ok(response) => println!("{}", response.status()),
///             Err(ClientError::MalformedHeader { reason, .. }) => eprintln!("bad CGI output: {reason}"),
///             Err(err) if err.is_connection_error() => eprintln!("reconnect: {err}"),
///             Err(err) => eprintln!("{err}"),
///         }
///     }
/// }
/// # }
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(run());
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Connecting to the application failed.
    #[error("could not connect to the FastCGI application at {addr}: {source}{hint}", hint = connect_hint(source))]
    Connect {
        /// The address, as given (`127.0.0.1:9000`, `unix:/run/app.sock`).
        addr: String,
        /// The operating system's error.
        #[source]
        source: Arc<io::Error>,
    },

    /// An address given to [`Connection::connect`](super::Connection::connect) does not parse.
    #[error(
        "invalid FastCGI address {value:?}: {reason}; use HOST:PORT (127.0.0.1:9000), [V6]:PORT ([::1]:9000) or unix:/path/to.sock"
    )]
    InvalidAddress {
        /// The address as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Reading or writing the connection failed.
    #[error("I/O error on the FastCGI connection: {0}")]
    Io(#[source] Arc<io::Error>),

    /// The application sent bytes that are not valid FastCGI. The
    /// connection cannot be used any more.
    #[error("the application broke the FastCGI protocol, the connection was closed: {0}")]
    Protocol(#[from] ProtocolError),

    /// The application sent an `FCGI_END_REQUEST` whose protocol status the
    /// specification does not define.
    #[error(
        "the application ended request {request_id} with protocol status {status}, which FastCGI does not define \
         (0 to 3 are: REQUEST_COMPLETE, CANT_MPX_CONN, OVERLOADED, UNKNOWN_ROLE); it is not a conforming FastCGI implementation"
    )]
    UnknownProtocolStatus {
        /// The request.
        request_id: u16,
        /// The raw protocol status byte.
        status: u8,
    },

    /// The connection closed (or was reset) while a request or a
    /// `FCGI_GET_VALUES` was waiting for its answer.
    #[error("{}", closed_message(*request_id, detail))]
    ConnectionClosed {
        /// The request left without its `FCGI_END_REQUEST`, when there was one.
        request_id: Option<u16>,
        /// What closed it, when known (an I/O error, the client's own `close`...).
        detail: Option<Arc<str>>,
    },

    /// The application refused the request without running it.
    #[error("the application refused request {request_id} with {}: {}", status_name(*protocol_status), refusal_hint(*protocol_status))]
    Rejected {
        /// The request.
        request_id: u16,
        /// Why: `CantMpxConn`, `Overloaded` or `UnknownRole`.
        protocol_status: ProtocolStatus,
    },

    /// The CGI header block at the start of `FCGI_STDOUT` is not valid
    /// (RFC 3875 §6: `Name: value` lines, then an empty line).
    #[error("malformed CGI header block in the response to request {request_id}: {reason}")]
    MalformedHeader {
        /// The request.
        request_id: u16,
        /// What is wrong with it.
        reason: String,
    },

    /// The CGI header block did not end within the limit.
    #[error(
        "the CGI header block of the response to request {request_id} is longer than {limit} bytes without its ending empty line: \
         the application sends a body without a header block, or far too many headers"
    )]
    HeaderTooLarge {
        /// The request.
        request_id: u16,
        /// The limit in bytes.
        limit: usize,
    },

    /// The request body stream returned an error; the request was aborted.
    #[error("the request body stream failed, so the request was aborted: {0}")]
    Body(#[source] Arc<dyn std::error::Error + Send + Sync + 'static>),

    /// Every request id (1 to 65535) is in use on this connection.
    #[error(
        "all 65535 FastCGI request ids are in use on this connection: wait for responses before starting more requests, or open more connections"
    )]
    NoFreeRequestId,

    /// [`ResponseStream::head`](super::ResponseStream::head) was called
    /// after raw `FCGI_STDOUT` bytes had been taken with
    /// [`next_event`](super::ResponseStream::next_event): the header block
    /// is gone.
    #[error(
        "the CGI header block of request {request_id} was already consumed as raw FCGI_STDOUT by next_event; \
         call head() or next_chunk() before taking raw events"
    )]
    HeadConsumed {
        /// The request.
        request_id: u16,
    },

    /// A request cannot be encoded (a name or value is 2 GiB or longer).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl ClientError {
    /// A bad CGI header block in the response to `request_id`.
    pub(crate) fn from_head(err: HeadError, request_id: u16) -> Self {
        match err {
            HeadError::Malformed(reason) => Self::MalformedHeader { request_id, reason },
            HeadError::TooLarge { limit } => Self::HeaderTooLarge { request_id, limit },
        }
    }

    /// An I/O error; disconnections (reset, broken pipe, unexpected end)
    /// become [`ConnectionClosed`](Self::ConnectionClosed).
    pub(crate) fn from_io(err: io::Error, request_id: Option<u16>) -> Self {
        if is_disconnect_or_unconnected(&err) {
            ClientError::ConnectionClosed {
                request_id,
                detail: Some(err.to_string().into()),
            }
        } else {
            ClientError::Io(Arc::new(err))
        }
    }

    /// A body stream's error.
    pub(crate) fn body(err: BoxError) -> Self {
        ClientError::Body(Arc::from(err))
    }

    /// The same error, naming `request_id` when it is a connection loss
    /// that does not name a request yet.
    pub(crate) fn for_request(self, id: u16) -> Self {
        match self {
            ClientError::ConnectionClosed {
                request_id: None,
                detail,
            } => ClientError::ConnectionClosed {
                request_id: Some(id),
                detail,
            },
            other => other,
        }
    }

    /// Whether the connection is unusable after this error (as opposed to an
    /// error of one request, such as a malformed header).
    pub fn is_connection_error(&self) -> bool {
        matches!(
            self,
            ClientError::Connect { .. }
                | ClientError::Io(_)
                | ClientError::Protocol(_)
                | ClientError::UnknownProtocolStatus { .. }
                | ClientError::ConnectionClosed { .. }
        )
    }
}

fn connect_hint(err: &io::Error) -> &'static str {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => {
            ": nothing accepts connections there; is the app running and listening on that address \
             (check FCGI_BIND or its bind address, and the port)?"
        }
        io::ErrorKind::NotFound => {
            ": there is no socket file at that path; is the app running and listening on that unix socket?"
        }
        io::ErrorKind::PermissionDenied => {
            ": permission denied; the socket file's permissions must let this user connect \
             (see Server::unix_socket_mode)"
        }
        io::ErrorKind::TimedOut => {
            ": the connection timed out; is the host reachable and the port open?"
        }
        _ => "",
    }
}

fn closed_message(request_id: Option<u16>, detail: &Option<Arc<str>>) -> String {
    let what = match request_id {
        Some(id) => format!(
            "the FastCGI connection closed before request {id} ended (no FCGI_END_REQUEST arrived)"
        ),
        None => "the FastCGI connection is closed".to_owned(),
    };
    let detail = match detail {
        Some(detail) => format!(" ({detail})"),
        None => String::new(),
    };
    format!(
        "{what}{detail}: the application crashed, was shut down, timed out the connection, \
         or closed it after a request sent without keep_conn; check the application's log and open a new connection"
    )
}

fn status_name(status: ProtocolStatus) -> &'static str {
    match status {
        ProtocolStatus::RequestComplete => "FCGI_REQUEST_COMPLETE",
        ProtocolStatus::CantMpxConn => "FCGI_CANT_MPX_CONN",
        ProtocolStatus::Overloaded => "FCGI_OVERLOADED",
        ProtocolStatus::UnknownRole => "FCGI_UNKNOWN_ROLE",
    }
}

fn refusal_hint(status: ProtocolStatus) -> &'static str {
    match status {
        ProtocolStatus::CantMpxConn => {
            "it does not multiplex, so send one request at a time per connection (or enable multiplexing in the app)"
        }
        ProtocolStatus::Overloaded => {
            "it is out of capacity (e.g. too many concurrent requests on this connection, see FCGI_MAX_REQS); \
             send fewer requests at once or spread them over more connections"
        }
        ProtocolStatus::UnknownRole => {
            "it does not play the requested role (Responder, Authorizer or Filter)"
        }
        ProtocolStatus::RequestComplete => "yet it sent no response",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_connection_says_what_to_check() {
        let err = ClientError::Connect {
            addr: "127.0.0.1:9".into(),
            source: Arc::new(io::ErrorKind::ConnectionRefused.into()),
        };
        let message = err.to_string();
        assert!(message.contains("127.0.0.1:9"), "{message}");
        assert!(
            message.contains("is the app running and listening"),
            "{message}"
        );
    }

    #[test]
    fn disconnects_become_connection_closed() {
        let err = ClientError::from_io(io::ErrorKind::ConnectionReset.into(), Some(3));
        assert!(matches!(
            err,
            ClientError::ConnectionClosed {
                request_id: Some(3),
                ..
            }
        ));
        assert!(err.to_string().contains("request 3"));
    }
}
