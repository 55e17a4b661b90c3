//! `RecordDecoder` on hand-written bytes: every record type, padding, sizes,
//! incremental input and every decoder error.

use bytes::{Bytes, BytesMut};
use fastcgi_core::protocol::{ProtocolError, Record, RecordDecoder, RecordType};

/// A record written by hand: header, content, then `padding` bytes of 0xAA
/// (padding content is unspecified, the decoder must skip whatever it is).
fn raw(record_type: u8, request_id: u16, content: &[u8], padding: u8) -> Vec<u8> {
    let len = u16::try_from(content.len()).expect("content fits a record");
    let mut bytes = vec![1, record_type];
    bytes.extend_from_slice(&request_id.to_be_bytes());
    bytes.extend_from_slice(&len.to_be_bytes());
    bytes.extend_from_slice(&[padding, 0xEE]);
    bytes.extend_from_slice(content);
    bytes.extend(std::iter::repeat_n(0xAA, usize::from(padding)));
    bytes
}

/// All records of `bytes`, fed whole; panics on error.
fn decode_all(bytes: &[u8]) -> Vec<Record> {
    let mut decoder = RecordDecoder::new();
    decoder.feed(bytes);
    let mut records = Vec::new();
    while let Some(record) = decoder.next_record().expect("valid stream") {
        records.push(record);
    }
    assert_eq!(decoder.buffered_len(), 0, "whole stream consumed");
    records
}

/// The first error decoding `bytes`.
fn decode_error(bytes: &[u8]) -> ProtocolError {
    let mut decoder = RecordDecoder::new();
    decoder.feed(bytes);
    loop {
        match decoder.next_record() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("no error in {bytes:?}"),
            Err(error) => return error,
        }
    }
}

/// A valid record of every type with its expected decoding.
fn one_of_each() -> Vec<(Vec<u8>, Record)> {
    let content = Bytes::from_static(b"some content");
    let mut cases = vec![
        (
            raw(1, 1, &[0, 1, 1, 0, 0, 0, 0, 0], 0),
            Record::BeginRequest {
                request_id: 1,
                role: 1,
                flags: 1,
            },
        ),
        (
            // Unknown role and flags and reserved bytes: passed through / ignored.
            raw(1, 0xffff, &[0xab, 0xcd, 0xfe, 9, 9, 9, 9, 9], 0),
            Record::BeginRequest {
                request_id: 0xffff,
                role: 0xabcd,
                flags: 0xfe,
            },
        ),
        (raw(2, 7, &[], 0), Record::AbortRequest { request_id: 7 }),
        (
            raw(3, 2, &[0xde, 0xad, 0xbe, 0xef, 3, 1, 2, 3], 0),
            Record::EndRequest {
                request_id: 2,
                app_status: 0xdead_beef,
                protocol_status: 3,
            },
        ),
        (
            raw(11, 0, &[200, 1, 2, 3, 4, 5, 6, 7], 0),
            Record::UnknownType { record_type: 200 },
        ),
        (
            raw(9, 0, b"\x0e\x00FCGI_MAX_CONNS", 0),
            Record::GetValues {
                content: Bytes::from_static(b"\x0e\x00FCGI_MAX_CONNS"),
            },
        ),
        (
            raw(10, 0, b"\x0e\x02FCGI_MAX_CONNS10", 0),
            Record::GetValuesResult {
                content: Bytes::from_static(b"\x0e\x02FCGI_MAX_CONNS10"),
            },
        ),
        (
            raw(77, 5, &content, 0),
            Record::Unknown {
                record_type: 77,
                request_id: 5,
                content: content.clone(),
            },
        ),
    ];
    for (record_type, make) in [
        (4u8, stream_record(RecordType::Params)),
        (5, stream_record(RecordType::Stdin)),
        (6, stream_record(RecordType::Stdout)),
        (7, stream_record(RecordType::Stderr)),
        (8, stream_record(RecordType::Data)),
    ] {
        cases.push((raw(record_type, 3, &content, 0), make(3, content.clone())));
        cases.push((raw(record_type, 3, &[], 0), make(3, Bytes::new())));
    }
    cases.push((
        raw(9, 0, &[], 0),
        Record::GetValues {
            content: Bytes::new(),
        },
    ));
    cases.push((
        raw(0, 0, &[], 0),
        Record::Unknown {
            record_type: 0,
            request_id: 0,
            content: Bytes::new(),
        },
    ));
    cases
}

fn stream_record(record_type: RecordType) -> fn(u16, Bytes) -> Record {
    match record_type {
        RecordType::Params => |request_id, content| Record::Params {
            request_id,
            content,
        },
        RecordType::Stdin => |request_id, content| Record::Stdin {
            request_id,
            content,
        },
        RecordType::Stdout => |request_id, content| Record::Stdout {
            request_id,
            content,
        },
        RecordType::Stderr => |request_id, content| Record::Stderr {
            request_id,
            content,
        },
        _ => |request_id, content| Record::Data {
            request_id,
            content,
        },
    }
}

/// Re-frames a record with `padding` bytes of padding.
fn with_padding(record: &[u8], padding: u8) -> Vec<u8> {
    let header: &[u8; 8] = record.first_chunk().expect("header");
    let content_len = usize::from(u16::from_be_bytes([header[4], header[5]]));
    let content = &record[8..8 + content_len];
    raw(
        header[1],
        u16::from_be_bytes([header[2], header[3]]),
        content,
        padding,
    )
}

#[test]
fn every_record_type_decodes() {
    for (bytes, expected) in one_of_each() {
        assert_eq!(decode_all(&bytes), vec![expected]);
    }
}

#[test]
fn padding_is_skipped_on_every_record_type_including_empty_records() {
    let trailer = raw(5, 9, b"next", 4);
    let trailer_record = Record::Stdin {
        request_id: 9,
        content: Bytes::from_static(b"next"),
    };
    for (bytes, expected) in one_of_each() {
        for padding in (0..=8).chain([15, 255]) {
            let mut stream = with_padding(&bytes, padding);
            stream.extend_from_slice(&trailer);
            assert_eq!(
                decode_all(&stream),
                vec![expected.clone(), trailer_record.clone()],
                "padding {padding} on {expected:?}"
            );
        }
    }
}

#[test]
fn a_stream_of_records_decodes_in_order() {
    let cases = one_of_each();
    let stream: Vec<u8> = cases.iter().flat_map(|(bytes, _)| bytes.clone()).collect();
    let expected: Vec<Record> = cases.into_iter().map(|(_, record)| record).collect();
    assert_eq!(decode_all(&stream), expected);
}

#[test]
fn one_byte_at_a_time_yields_each_record_once_complete() {
    let cases = one_of_each();
    let stream: Vec<u8> = cases
        .iter()
        .flat_map(|(bytes, _)| with_padding(bytes, 3))
        .collect();
    let expected: Vec<Record> = cases.into_iter().map(|(_, record)| record).collect();
    let mut decoder = RecordDecoder::new();
    let mut records = Vec::new();
    for &byte in &stream {
        decoder.feed(&[byte]);
        while let Some(record) = decoder.next_record().expect("valid stream") {
            records.push(record);
        }
    }
    assert_eq!(records, expected);
    assert_eq!(decoder.buffered_len(), 0);
}

#[test]
fn a_record_is_held_back_until_its_padding_arrives() {
    let bytes = raw(6, 1, b"abc", 5);
    let mut decoder = RecordDecoder::new();
    decoder.feed(&bytes[..bytes.len() - 1]);
    assert_eq!(decoder.next_record(), Ok(None));
    assert_eq!(decoder.buffered_len(), bytes.len() - 1);
    decoder.feed(&bytes[bytes.len() - 1..]);
    assert_eq!(
        decoder.next_record(),
        Ok(Some(Record::Stdout {
            request_id: 1,
            content: Bytes::from_static(b"abc")
        }))
    );
    assert_eq!(decoder.next_record(), Ok(None));
}

#[test]
fn maximum_content_and_padding() {
    let content: Vec<u8> = (0..65535u32).map(|i| (i % 251) as u8).collect();
    let bytes = raw(5, 0x1234, &content, 255);
    assert_eq!(bytes.len(), 8 + 65535 + 255);
    assert_eq!(
        decode_all(&bytes),
        vec![Record::Stdin {
            request_id: 0x1234,
            content: Bytes::from(content)
        }]
    );
}

#[test]
fn buffer_mut_gets_room_for_the_rest_of_the_record() {
    let bytes = raw(5, 1, &[7; 1000], 0);
    let mut decoder = RecordDecoder::new();
    decoder.buffer_mut().extend_from_slice(&bytes[..8]);
    assert_eq!(decoder.next_record(), Ok(None));
    let buffer: &mut BytesMut = decoder.buffer_mut();
    assert!(buffer.capacity() - buffer.len() >= 1000);
    buffer.extend_from_slice(&bytes[8..]);
    assert_eq!(
        decoder
            .next_record()
            .expect("valid")
            .map(|r| r.request_id()),
        Some(1)
    );
    assert_eq!(format!("{decoder:?}"), "RecordDecoder { buffered_len: 0 }");
}

#[test]
fn content_is_a_zero_copy_slice_of_the_buffer() {
    let mut decoder = RecordDecoder::with_capacity(1024);
    decoder.feed(&raw(5, 1, b"hello", 3));
    let start = decoder.buffer_mut().as_ptr() as usize;
    let Some(Record::Stdin { content, .. }) = decoder.next_record().expect("valid") else {
        panic!("expected stdin");
    };
    assert_eq!(content.as_ptr() as usize, start + 8);
}

#[test]
fn bad_version_is_reported_on_the_first_byte() {
    for version in [0u8, 2, b'G', b'P', 0x16, 255] {
        let mut decoder = RecordDecoder::new();
        decoder.feed(&[version]);
        assert_eq!(
            decoder.next_record(),
            Err(ProtocolError::UnsupportedVersion { version })
        );
        // Still no panic afterwards.
        decoder.feed(b"more");
        assert!(decoder.next_record().is_err());
    }
    let error = decode_error(b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
    assert_eq!(error, ProtocolError::UnsupportedVersion { version: b'G' });
    assert!(error.to_string().contains("HTTP"), "{error}");
}

#[test]
fn bad_version_after_a_good_record() {
    let mut bytes = raw(5, 1, b"x", 7);
    bytes.extend_from_slice(&[2, 5, 0, 1, 0, 0, 0, 0]);
    assert_eq!(
        decode_error(&bytes),
        ProtocolError::UnsupportedVersion { version: 2 }
    );
}

#[test]
fn fixed_size_bodies_must_have_their_exact_size() {
    for (record_type, request_id, expected) in [
        (RecordType::BeginRequest, 1, 8u16),
        (RecordType::EndRequest, 1, 8),
        (RecordType::UnknownType, 0, 8),
        (RecordType::AbortRequest, 1, 0),
    ] {
        for actual in [0u16, 1, 7, 9, 16, 65535] {
            if actual == expected {
                continue;
            }
            // The header alone is enough to tell.
            let header = raw(
                record_type as u8,
                request_id,
                &vec![0; usize::from(actual)],
                0,
            );
            let mut decoder = RecordDecoder::new();
            decoder.feed(&header[..8]);
            assert_eq!(
                decoder.next_record(),
                Err(ProtocolError::InvalidContentLength {
                    record_type,
                    request_id,
                    expected,
                    actual,
                }),
                "{record_type} with {actual} bytes"
            );
        }
    }
}

#[test]
fn request_records_must_not_have_request_id_0() {
    for record_type in [
        RecordType::BeginRequest,
        RecordType::AbortRequest,
        RecordType::EndRequest,
        RecordType::Params,
        RecordType::Stdin,
        RecordType::Stdout,
        RecordType::Stderr,
        RecordType::Data,
    ] {
        let content_len = match record_type {
            RecordType::BeginRequest | RecordType::EndRequest => 8,
            _ => 0,
        };
        assert_eq!(
            decode_error(&raw(record_type as u8, 0, &vec![0; content_len], 0)),
            ProtocolError::NullRequestId { record_type }
        );
    }
}

#[test]
fn management_records_must_have_request_id_0() {
    for record_type in [
        RecordType::GetValues,
        RecordType::GetValuesResult,
        RecordType::UnknownType,
    ] {
        for request_id in [1u16, 0x100, 0xffff] {
            assert_eq!(
                decode_error(&raw(record_type as u8, request_id, &[0; 8], 0)),
                ProtocolError::NonNullManagementId {
                    record_type,
                    request_id
                }
            );
        }
    }
}

#[test]
fn unknown_record_types_are_records_not_errors() {
    for record_type in [0u8, 12, 13, 128, 255] {
        for request_id in [0u16, 1, 0xffff] {
            for content in [&b""[..], b"x", &[0u8; 300]] {
                assert_eq!(
                    decode_all(&raw(record_type, request_id, content, 6)),
                    vec![Record::Unknown {
                        record_type,
                        request_id,
                        content: Bytes::copy_from_slice(content)
                    }]
                );
            }
        }
    }
}

#[test]
fn empty_input_needs_more_bytes() {
    let mut decoder = RecordDecoder::default();
    assert_eq!(decoder.next_record(), Ok(None));
    decoder.feed(&[1, 5, 0]);
    assert_eq!(decoder.next_record(), Ok(None));
    assert_eq!(decoder.buffered_len(), 3);
}
