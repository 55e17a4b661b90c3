//! The body of `FCGI_BEGIN_REQUEST`: the role and the flags (spec section 5.1).

use std::fmt;

/// The `FCGI_KEEP_CONN` flag of `FCGI_BEGIN_REQUEST`: when set, the application
/// keeps the connection open after the request; when clear, it closes the
/// connection after answering.
pub const FCGI_KEEP_CONN: u8 = 1;

/// The role the web server wants the application to play in a request (spec section 6).
#[repr(u16)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// `FCGI_RESPONDER`: receives the HTTP request, generates the response (CGI/1.1's role).
    Responder = 1,
    /// `FCGI_AUTHORIZER`: decides whether the web server may serve the request.
    Authorizer = 2,
    /// `FCGI_FILTER`: like a Responder, with an extra data file (`FCGI_DATA`) to filter.
    Filter = 3,
}

impl Role {
    /// The role with this wire value, `None` for a role the spec does not define
    /// (which an application answers with `FCGI_UNKNOWN_ROLE`).
    #[inline]
    pub fn from_u16(v: u16) -> Option<Self> {
        match v {
            1 => Some(Self::Responder),
            2 => Some(Self::Authorizer),
            3 => Some(Self::Filter),
            _ => None,
        }
    }

    /// The role's name: `"Responder"`, `"Authorizer"` or `"Filter"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Responder => "Responder",
            Self::Authorizer => "Authorizer",
            Self::Filter => "Filter",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Role> for u16 {
    fn from(role: Role) -> u16 {
        role as u16
    }
}
