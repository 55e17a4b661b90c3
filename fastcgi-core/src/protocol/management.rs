//! The variable names of `FCGI_GET_VALUES` (spec section 4.1).

/// `FCGI_MAX_CONNS`: the most concurrent transport connections the application accepts.
pub const FCGI_MAX_CONNS: &str = "FCGI_MAX_CONNS";

/// `FCGI_MAX_REQS`: the most concurrent requests the application accepts.
pub const FCGI_MAX_REQS: &str = "FCGI_MAX_REQS";

/// `FCGI_MPXS_CONNS`: `"1"` if the application multiplexes connections
/// (several concurrent requests over each connection), `"0"` if not.
pub const FCGI_MPXS_CONNS: &str = "FCGI_MPXS_CONNS";
