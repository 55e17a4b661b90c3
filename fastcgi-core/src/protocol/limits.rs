//! Bounds on what a peer may make the codec store.

/// Bounds on the name-value pairs of one request (or one `FCGI_GET_VALUES` record).
///
/// Record framing needs no limit: a record is at most 8 + 65535 + 255 bytes.
/// Name-value pairs do, because a pair may span any number of records and its
/// 4-byte length may claim up to 2 GiB. Both limits are checked *before* any
/// memory is reserved.
///
/// The defaults are far above what real web servers send, so only a broken or
/// hostile peer reaches them:
///
/// - nginx rejects requests whose header lines exceed `large_client_header_buffers`
///   (default 4 buffers of 8 KiB), and Apache caps a header field at
///   `LimitRequestFieldSize` (8190 bytes) and a request at `LimitRequestFields`
///   (100) such fields: a little over 800 KiB in all.
/// - Hence `max_pair_len` = 256 KiB comfortably holds the longest single header
///   or URL (`REQUEST_URI`, `QUERY_STRING`, a cookie) either server lets through,
///   and `max_params_len` = 1 MiB holds all the CGI meta-variables of the largest
///   request Apache's defaults admit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolLimits {
    /// The most name plus value bytes one pair may have. Default 256 KiB.
    pub max_pair_len: usize,
    /// The most bytes all pairs of one request may take on the wire, length
    /// prefixes included (the summed content of its `FCGI_PARAMS` records).
    /// Default 1 MiB.
    pub max_params_len: usize,
}

impl ProtocolLimits {
    /// The default limits: 256 KiB per pair, 1 MiB per request.
    pub const DEFAULT: Self = Self {
        max_pair_len: 256 * 1024,
        max_params_len: 1024 * 1024,
    };

    /// No limits at all: for trusted input only (tests, tools), never for a socket.
    pub const UNLIMITED: Self = Self {
        max_pair_len: usize::MAX,
        max_params_len: usize::MAX,
    };
}

impl Default for ProtocolLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
