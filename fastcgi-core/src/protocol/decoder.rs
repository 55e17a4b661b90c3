//! The incremental record decoder: bytes in, whole [`Record`]s out.

use std::fmt;

use bytes::{Buf, Bytes, BytesMut};

use super::{HEADER_LEN, ProtocolError, Record, RecordHeader, RecordType, VERSION_1};

/// Size of the fixed bodies of `FCGI_BEGIN_REQUEST`, `FCGI_END_REQUEST` and `FCGI_UNKNOWN_TYPE`.
const FIXED_BODY_LEN: u16 = 8;

/// Incremental record decoder that owns its input buffer.
///
/// Put bytes in with [`feed`](Self::feed) (copies) or by reading a socket
/// straight into [`buffer_mut`](Self::buffer_mut), then call
/// [`next_record`](Self::next_record) until it returns `Ok(None)`.
///
/// A record is yielded only once it is entirely buffered; its content is split
/// off the buffer as [`Bytes`] without copying. The decoder itself therefore
/// holds at most one record (8 + 65535 + 255 bytes) plus whatever the caller
/// put in beyond it, and it never panics, whatever the bytes.
///
/// ```
/// use fastcgi::protocol::{Record, RecordDecoder};
///
/// let mut decoder = RecordDecoder::new();
/// // FCGI_STDIN for request 1 with content "hi" and 6 bytes of padding, in two pieces.
/// decoder.feed(&[1, 5, 0, 1, 0, 2, 6, 0, b'h']);
/// assert_eq!(decoder.next_record()?, None);
/// decoder.feed(&[b'i', 0, 0, 0, 0, 0, 0]);
/// let record = decoder.next_record()?;
/// assert_eq!(record, Some(Record::Stdin { request_id: 1, content: "hi".into() }));
/// assert_eq!(decoder.buffered_len(), 0);
/// # Ok::<(), fastcgi::protocol::ProtocolError>(())
/// ```
#[derive(Default)]
pub struct RecordDecoder {
    buf: BytesMut,
}

impl RecordDecoder {
    /// A decoder with an empty buffer (no allocation until bytes arrive).
    pub fn new() -> Self {
        Self::default()
    }

    /// A decoder whose buffer starts with room for `cap` bytes.
    ///
    /// A socket reader does well with about one typical request, e.g. 8 KiB.
    pub fn with_capacity(cap: usize) -> Self {
        Self {
            buf: BytesMut::with_capacity(cap),
        }
    }

    /// Appends bytes to the buffer (a copy; a socket reader uses
    /// [`buffer_mut`](Self::buffer_mut) instead).
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The input buffer, for reading a socket straight into it (e.g. tokio's
    /// `read_buf`). Append only: bytes already in it are the start of the next record.
    ///
    /// After [`next_record`](Self::next_record) returns `Ok(None)` with a record
    /// header buffered, the buffer has capacity for the rest of that record.
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Number of bytes buffered and not yet returned as records.
    pub fn buffered_len(&self) -> usize {
        self.buf.len()
    }

    /// The next whole record, or `Ok(None)` when more bytes are needed.
    ///
    /// The record (header, content and padding, on every record type, empty
    /// records included) is removed from the buffer. Errors are reported as
    /// early as possible: a bad version on the first byte, a bad request id or
    /// content length as soon as the header is buffered. After an error the
    /// decoder's state is unspecified (it does not panic, but the stream cannot
    /// be trusted any more): close the connection.
    ///
    /// # Errors
    ///
    /// - [`UnsupportedVersion`](ProtocolError::UnsupportedVersion): the version byte is not 1.
    /// - [`NullRequestId`](ProtocolError::NullRequestId): request id 0 on a record
    ///   that belongs to a request.
    /// - [`NonNullManagementId`](ProtocolError::NonNullManagementId): request id
    ///   not 0 on `FCGI_GET_VALUES`, `FCGI_GET_VALUES_RESULT` or `FCGI_UNKNOWN_TYPE`.
    /// - [`InvalidContentLength`](ProtocolError::InvalidContentLength): content
    ///   length other than 8 on `FCGI_BEGIN_REQUEST`, `FCGI_END_REQUEST` or
    ///   `FCGI_UNKNOWN_TYPE`, or other than 0 on `FCGI_ABORT_REQUEST`. The spec fixes
    ///   these body sizes, so anything else means the peer is broken or the stream
    ///   is out of sync; the decoder does not guess.
    ///
    /// Records of unknown types are not errors: they come out as [`Record::Unknown`].
    pub fn next_record(&mut self) -> Result<Option<Record>, ProtocolError> {
        let Some(&version) = self.buf.first() else {
            return Ok(None);
        };
        if version != VERSION_1 {
            return Err(ProtocolError::UnsupportedVersion { version });
        }
        let Some(header_bytes) = self.buf.first_chunk::<HEADER_LEN>() else {
            return Ok(None);
        };
        let header = RecordHeader::parse(header_bytes);
        let record_type = validate(&header)?;
        let record_len = header.record_len();
        if self.buf.len() < record_len {
            // At most one record (64 KiB): make room so the next read completes it.
            self.buf.reserve(record_len - self.buf.len());
            return Ok(None);
        }
        let request_id = header.request_id;
        let record = match record_type {
            Some(RecordType::BeginRequest) => {
                let [role_hi, role_lo, flags, ..] =
                    self.take_fixed_body(RecordType::BeginRequest, &header)?;
                Record::BeginRequest {
                    request_id,
                    role: u16::from_be_bytes([role_hi, role_lo]),
                    flags,
                }
            }
            Some(RecordType::AbortRequest) => {
                self.skip(record_len);
                Record::AbortRequest { request_id }
            }
            Some(RecordType::EndRequest) => {
                let [s0, s1, s2, s3, protocol_status, ..] =
                    self.take_fixed_body(RecordType::EndRequest, &header)?;
                Record::EndRequest {
                    request_id,
                    app_status: u32::from_be_bytes([s0, s1, s2, s3]),
                    protocol_status,
                }
            }
            Some(RecordType::UnknownType) => {
                let [unknown, ..] = self.take_fixed_body(RecordType::UnknownType, &header)?;
                Record::UnknownType {
                    record_type: unknown,
                }
            }
            Some(RecordType::Params) => Record::Params {
                request_id,
                content: self.take_content(&header),
            },
            Some(RecordType::Stdin) => Record::Stdin {
                request_id,
                content: self.take_content(&header),
            },
            Some(RecordType::Stdout) => Record::Stdout {
                request_id,
                content: self.take_content(&header),
            },
            Some(RecordType::Stderr) => Record::Stderr {
                request_id,
                content: self.take_content(&header),
            },
            Some(RecordType::Data) => Record::Data {
                request_id,
                content: self.take_content(&header),
            },
            Some(RecordType::GetValues) => Record::GetValues {
                content: self.take_content(&header),
            },
            Some(RecordType::GetValuesResult) => Record::GetValuesResult {
                content: self.take_content(&header),
            },
            None => Record::Unknown {
                record_type: header.record_type,
                request_id,
                content: self.take_content(&header),
            },
        };
        Ok(Some(record))
    }

    /// Removes a fully buffered record from the buffer and returns its content:
    /// zero copy, and no allocation for empty content.
    fn take_content(&mut self, header: &RecordHeader) -> Bytes {
        let content_len = usize::from(header.content_length);
        if content_len == 0 {
            self.skip(header.record_len());
            return Bytes::new();
        }
        self.skip(HEADER_LEN);
        let content = self.buf.split_to(content_len.min(self.buf.len())).freeze();
        self.skip(usize::from(header.padding_length));
        content
    }

    /// Removes a fully buffered fixed-size record from the buffer and returns its 8-byte body.
    fn take_fixed_body(
        &mut self,
        record_type: RecordType,
        header: &RecordHeader,
    ) -> Result<[u8; 8], ProtocolError> {
        let body = self
            .buf
            .get(HEADER_LEN..)
            .and_then(<[u8]>::first_chunk::<8>)
            .copied()
            .ok_or(ProtocolError::InvalidContentLength {
                record_type,
                request_id: header.request_id,
                expected: FIXED_BODY_LEN,
                actual: header.content_length,
            })?;
        self.skip(header.record_len());
        Ok(body)
    }

    /// Drops `n` buffered bytes (fewer if fewer are buffered, which the callers rule out).
    fn skip(&mut self, n: usize) {
        self.buf.advance(n.min(self.buf.len()));
    }
}

/// Checks a header against the spec; `Ok(None)` for an unknown (but acceptable) record type.
fn validate(header: &RecordHeader) -> Result<Option<RecordType>, ProtocolError> {
    let Some(record_type) = RecordType::from_u8(header.record_type) else {
        return Ok(None);
    };
    let request_id = header.request_id;
    if record_type.is_management() {
        if request_id != 0 {
            return Err(ProtocolError::NonNullManagementId {
                record_type,
                request_id,
            });
        }
    } else if request_id == 0 {
        return Err(ProtocolError::NullRequestId { record_type });
    }
    let expected = match record_type {
        RecordType::BeginRequest | RecordType::EndRequest | RecordType::UnknownType => {
            FIXED_BODY_LEN
        }
        RecordType::AbortRequest => 0,
        _ => return Ok(Some(record_type)),
    };
    if header.content_length != expected {
        return Err(ProtocolError::InvalidContentLength {
            record_type,
            request_id,
            expected,
            actual: header.content_length,
        });
    }
    Ok(Some(record_type))
}

impl fmt::Debug for RecordDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordDecoder")
            .field("buffered_len", &self.buf.len())
            .finish()
    }
}
