//! Limits and timeouts of the server, with their defaults.

use std::time::Duration;

use crate::protocol::ProtocolLimits;

/// Limits and timeouts, set through the [`Server`](super::Server) builder
/// methods. Every default is documented on its method.
#[derive(Debug, Clone)]
pub(crate) struct ServerConfig {
    pub(crate) max_connections: usize,
    pub(crate) max_requests_per_connection: usize,
    pub(crate) multiplexing: bool,
    pub(crate) protocol_limits: ProtocolLimits,
    pub(crate) body_buffer: usize,
    pub(crate) output_buffer: usize,
    pub(crate) params_timeout: Duration,
    pub(crate) body_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) grace_period: Duration,
    pub(crate) drain_limit: usize,
    pub(crate) drain_timeout: Duration,
    /// PHP-FPM's `request_terminate_timeout`.
    pub(crate) request_timeout: Option<Duration>,
    /// PHP-FPM's `request_slowlog_timeout`.
    pub(crate) slow_request: Option<Duration>,
    /// TCP_DEFER_ACCEPT on a TCP listener (nginx's `deferred`).
    pub(crate) defer_accept: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_connections: 16 * 1024,
            max_requests_per_connection: 64,
            multiplexing: true,
            protocol_limits: ProtocolLimits::default(),
            body_buffer: 256 * 1024,
            output_buffer: 256 * 1024,
            params_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(120),
            idle_timeout: Duration::from_secs(300),
            write_timeout: Duration::from_secs(60),
            grace_period: Duration::from_secs(30),
            drain_limit: 4 * 1024 * 1024,
            drain_timeout: Duration::from_secs(2),
            request_timeout: None,
            slow_request: None,
            defer_accept: true,
        }
    }
}
