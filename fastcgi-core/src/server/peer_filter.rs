//! `FCGI_WEB_SERVER_ADDRS` (FastCGI spec §3.2): the web servers allowed to
//! connect over TCP.

use std::net::IpAddr;

use crate::error::Error;

/// The TCP peers allowed to connect; `None` in the server means anyone.
///
/// Unix-socket peers are not filtered: file permissions on the socket
/// decide who may connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerFilter {
    allowed: Vec<IpAddr>,
}

impl PeerFilter {
    /// Parses a comma-separated list of IP addresses (IPv4 or IPv6; an
    /// IPv4-mapped IPv6 peer matches its IPv4 address).
    pub fn parse(value: &str) -> Result<Self, Error> {
        let mut allowed = Vec::new();
        for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let addr: IpAddr = item.parse().map_err(|_| Error::InvalidWebServerAddrs {
                value: value.to_owned(),
                reason: format!("{item:?} is not an IP address"),
            })?;
            allowed.push(canonical(addr));
        }
        if allowed.is_empty() {
            return Err(Error::InvalidWebServerAddrs {
                value: value.to_owned(),
                reason: "the list is empty, so no web server could connect".to_owned(),
            });
        }
        Ok(Self { allowed })
    }

    /// Reads `FCGI_WEB_SERVER_ADDRS`; `None` when unset.
    pub fn from_env() -> Result<Option<Self>, Error> {
        match std::env::var("FCGI_WEB_SERVER_ADDRS") {
            Ok(value) => Self::parse(&value).map(Some),
            Err(_) => Ok(None),
        }
    }

    /// Whether `peer` may connect.
    pub fn allows(&self, peer: IpAddr) -> bool {
        self.allowed.contains(&canonical(peer))
    }
}

fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_v4_v6_and_mapped() {
        let filter = PeerFilter::parse("127.0.0.1, ::1").unwrap();
        assert!(filter.allows("127.0.0.1".parse().unwrap()));
        assert!(filter.allows("::ffff:127.0.0.1".parse().unwrap()));
        assert!(filter.allows("::1".parse().unwrap()));
        assert!(!filter.allows("10.0.0.1".parse().unwrap()));
        let mapped = PeerFilter::parse("::ffff:10.1.2.3").unwrap();
        assert!(mapped.allows("10.1.2.3".parse().unwrap()));
    }

    #[test]
    fn rejects_garbage_and_empty_lists() {
        assert!(PeerFilter::parse("localhost").is_err());
        assert!(PeerFilter::parse(" , ").is_err());
    }
}
