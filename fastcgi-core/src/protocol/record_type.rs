//! The record types of spec section 8.

use std::fmt;

/// A record type this crate knows (spec section 8, `FCGI_BEGIN_REQUEST` to `FCGI_UNKNOWN_TYPE`).
///
/// Records of any other type are not an error: the decoder yields them as
/// [`Record::Unknown`](super::Record::Unknown) so the application can answer
/// `FCGI_UNKNOWN_TYPE`.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordType {
    /// `FCGI_BEGIN_REQUEST`: web server starts a request (role and flags).
    BeginRequest = 1,
    /// `FCGI_ABORT_REQUEST`: web server aborts a request (e.g. the HTTP client went away).
    AbortRequest = 2,
    /// `FCGI_END_REQUEST`: application ends a request (app status and protocol status).
    EndRequest = 3,
    /// `FCGI_PARAMS`: the stream of name-value pairs (CGI meta-variables).
    Params = 4,
    /// `FCGI_STDIN`: the stream of the request body.
    Stdin = 5,
    /// `FCGI_STDOUT`: the stream of the response (a CGI document).
    Stdout = 6,
    /// `FCGI_STDERR`: the stream of error output, usually logged by the web server.
    Stderr = 7,
    /// `FCGI_DATA`: the extra stream of the Filter role (the file to filter).
    Data = 8,
    /// `FCGI_GET_VALUES`: web server queries application variables (management record).
    GetValues = 9,
    /// `FCGI_GET_VALUES_RESULT`: application answers `FCGI_GET_VALUES` (management record).
    GetValuesResult = 10,
    /// `FCGI_UNKNOWN_TYPE`: application did not understand a management record.
    UnknownType = 11,
}

impl RecordType {
    /// Every known record type, in wire-value order.
    pub const ALL: [RecordType; 11] = [
        RecordType::BeginRequest,
        RecordType::AbortRequest,
        RecordType::EndRequest,
        RecordType::Params,
        RecordType::Stdin,
        RecordType::Stdout,
        RecordType::Stderr,
        RecordType::Data,
        RecordType::GetValues,
        RecordType::GetValuesResult,
        RecordType::UnknownType,
    ];

    /// The record type with this wire value, `None` for a type this crate does not know.
    #[inline]
    pub fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            1 => Self::BeginRequest,
            2 => Self::AbortRequest,
            3 => Self::EndRequest,
            4 => Self::Params,
            5 => Self::Stdin,
            6 => Self::Stdout,
            7 => Self::Stderr,
            8 => Self::Data,
            9 => Self::GetValues,
            10 => Self::GetValuesResult,
            11 => Self::UnknownType,
            _ => return None,
        })
    }

    /// Whether this is a management record type, sent with request id 0 and
    /// not belonging to any request: `FCGI_GET_VALUES`, `FCGI_GET_VALUES_RESULT`
    /// and `FCGI_UNKNOWN_TYPE`.
    #[inline]
    pub fn is_management(self) -> bool {
        matches!(
            self,
            Self::GetValues | Self::GetValuesResult | Self::UnknownType
        )
    }

    /// The name the spec uses, e.g. `"FCGI_BEGIN_REQUEST"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BeginRequest => "FCGI_BEGIN_REQUEST",
            Self::AbortRequest => "FCGI_ABORT_REQUEST",
            Self::EndRequest => "FCGI_END_REQUEST",
            Self::Params => "FCGI_PARAMS",
            Self::Stdin => "FCGI_STDIN",
            Self::Stdout => "FCGI_STDOUT",
            Self::Stderr => "FCGI_STDERR",
            Self::Data => "FCGI_DATA",
            Self::GetValues => "FCGI_GET_VALUES",
            Self::GetValuesResult => "FCGI_GET_VALUES_RESULT",
            Self::UnknownType => "FCGI_UNKNOWN_TYPE",
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<RecordType> for u8 {
    fn from(record_type: RecordType) -> u8 {
        record_type as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_u8_inverts_the_discriminant() {
        for record_type in RecordType::ALL {
            assert_eq!(RecordType::from_u8(record_type as u8), Some(record_type));
        }
        assert_eq!(RecordType::from_u8(0), None);
        assert_eq!(RecordType::from_u8(12), None);
        assert_eq!(RecordType::from_u8(255), None);
    }
}
