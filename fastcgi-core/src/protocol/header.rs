//! The fixed 8-byte header that starts every record (spec section 3.3).

/// The only FastCGI protocol version: `FCGI_VERSION_1`.
pub const VERSION_1: u8 = 1;

/// Length of a record header in bytes: `FCGI_HEADER_LEN`.
pub const HEADER_LEN: usize = 8;

/// The most content one record can carry: its `contentLength` field is 16 bits.
pub const MAX_CONTENT_LEN: usize = 65535;

/// The request id of management records: `FCGI_NULL_REQUEST_ID`.
pub const NULL_REQUEST_ID: u16 = 0;

/// A record header as it is on the wire.
///
/// The fields are raw: [`RecordHeader::parse`] validates nothing, so this type
/// can describe any 8 bytes, including an unknown record type or version.
/// [`RecordDecoder`](super::RecordDecoder) does the validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    /// The protocol version, [`VERSION_1`] in a valid record.
    pub version: u8,
    /// The raw record type; see [`RecordType::from_u8`](super::RecordType::from_u8).
    pub record_type: u8,
    /// The request the record belongs to, [`NULL_REQUEST_ID`] for management records.
    pub request_id: u16,
    /// Number of content bytes that follow the header.
    pub content_length: u16,
    /// Number of padding bytes that follow the content.
    pub padding_length: u8,
}

impl RecordHeader {
    /// Reads a header from its 8 wire bytes (big-endian fields, one reserved byte ignored).
    #[inline]
    pub fn parse(bytes: &[u8; HEADER_LEN]) -> Self {
        let [
            version,
            record_type,
            id_hi,
            id_lo,
            len_hi,
            len_lo,
            padding_length,
            _reserved,
        ] = *bytes;
        Self {
            version,
            record_type,
            request_id: u16::from_be_bytes([id_hi, id_lo]),
            content_length: u16::from_be_bytes([len_hi, len_lo]),
            padding_length,
        }
    }

    /// Writes the header as its 8 wire bytes (the reserved byte is zero).
    #[inline]
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let [id_hi, id_lo] = self.request_id.to_be_bytes();
        let [len_hi, len_lo] = self.content_length.to_be_bytes();
        [
            self.version,
            self.record_type,
            id_hi,
            id_lo,
            len_hi,
            len_lo,
            self.padding_length,
            0,
        ]
    }

    /// Total size of the record this header starts: header, content and padding.
    #[inline]
    pub fn record_len(&self) -> usize {
        HEADER_LEN + usize::from(self.content_length) + usize::from(self.padding_length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_big_endian_fields_and_ignores_reserved() {
        let header = RecordHeader::parse(&[1, 6, 0x12, 0x34, 0xab, 0xcd, 5, 0xff]);
        assert_eq!(
            header,
            RecordHeader {
                version: 1,
                record_type: 6,
                request_id: 0x1234,
                content_length: 0xabcd,
                padding_length: 5,
            }
        );
        assert_eq!(header.encode(), [1, 6, 0x12, 0x34, 0xab, 0xcd, 5, 0]);
        assert_eq!(header.record_len(), 8 + 0xabcd + 5);
    }
}
