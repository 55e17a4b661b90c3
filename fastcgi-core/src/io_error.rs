//! What an I/O error says about the peer, for the server's connections
//! and the client's alike.

use std::io;

/// Whether `err` means the peer is gone: it reset or aborted the
/// connection, or the stream was cut short. The server treats these as the
/// web server closing its side, not as a failure.
pub(crate) fn is_disconnect(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
    )
}

/// [`is_disconnect`], or a socket no longer connected (`ENOTCONN`, which
/// shutting down a socket the peer reset returns): for the client, any of
/// these is the connection closing under a request.
pub(crate) fn is_disconnect_or_unconnected(err: &io::Error) -> bool {
    is_disconnect(err) || err.kind() == io::ErrorKind::NotConnected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_connected_is_a_disconnect_to_the_client_only() {
        let kind = |kind: io::ErrorKind| io::Error::from(kind);
        for gone in [
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::ConnectionAborted,
            io::ErrorKind::BrokenPipe,
            io::ErrorKind::UnexpectedEof,
        ] {
            assert!(is_disconnect(&kind(gone)), "{gone:?}");
            assert!(is_disconnect_or_unconnected(&kind(gone)), "{gone:?}");
        }
        let not_connected = kind(io::ErrorKind::NotConnected);
        assert!(!is_disconnect(&not_connected));
        assert!(is_disconnect_or_unconnected(&not_connected));
        for other in [io::ErrorKind::PermissionDenied, io::ErrorKind::TimedOut] {
            assert!(!is_disconnect_or_unconnected(&kind(other)), "{other:?}");
        }
    }
}
