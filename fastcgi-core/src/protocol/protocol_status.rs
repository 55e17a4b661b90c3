//! The protocol status of `FCGI_END_REQUEST` (spec section 5.5).

/// How a request ended at the protocol level, sent in `FCGI_END_REQUEST`.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolStatus {
    /// `FCGI_REQUEST_COMPLETE`: normal end of request.
    RequestComplete = 0,
    /// `FCGI_CANT_MPX_CONN`: rejected a new request on a connection that already
    /// has one, because the application does not multiplex connections.
    CantMpxConn = 1,
    /// `FCGI_OVERLOADED`: rejected a new request because the application ran out
    /// of a resource (e.g. database connections).
    Overloaded = 2,
    /// `FCGI_UNKNOWN_ROLE`: rejected a new request whose role the application does not play.
    UnknownRole = 3,
}

impl ProtocolStatus {
    /// The protocol status with this wire value, `None` for one the spec does not define.
    #[inline]
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Self::RequestComplete),
            1 => Some(Self::CantMpxConn),
            2 => Some(Self::Overloaded),
            3 => Some(Self::UnknownRole),
            _ => None,
        }
    }
}

impl From<ProtocolStatus> for u8 {
    fn from(status: ProtocolStatus) -> u8 {
        status as u8
    }
}
