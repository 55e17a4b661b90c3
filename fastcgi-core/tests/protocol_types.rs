//! Record types, header, role, status, record accessors and error messages.

use bytes::Bytes;
use fastcgi_core::protocol::{
    FCGI_KEEP_CONN, FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS, HEADER_LEN, MAX_CONTENT_LEN,
    NULL_REQUEST_ID, ProtocolError, ProtocolLimits, ProtocolStatus, Record, RecordHeader,
    RecordType, Role, StreamType, VERSION_1,
};

#[test]
fn constants_match_the_spec() {
    assert_eq!(VERSION_1, 1);
    assert_eq!(HEADER_LEN, 8);
    assert_eq!(MAX_CONTENT_LEN, 65535);
    assert_eq!(NULL_REQUEST_ID, 0);
    assert_eq!(FCGI_KEEP_CONN, 1);
    assert_eq!(FCGI_MAX_CONNS, "FCGI_MAX_CONNS");
    assert_eq!(FCGI_MAX_REQS, "FCGI_MAX_REQS");
    assert_eq!(FCGI_MPXS_CONNS, "FCGI_MPXS_CONNS");
}

#[test]
fn record_types_round_trip_and_display_spec_names() {
    let names = [
        "FCGI_BEGIN_REQUEST",
        "FCGI_ABORT_REQUEST",
        "FCGI_END_REQUEST",
        "FCGI_PARAMS",
        "FCGI_STDIN",
        "FCGI_STDOUT",
        "FCGI_STDERR",
        "FCGI_DATA",
        "FCGI_GET_VALUES",
        "FCGI_GET_VALUES_RESULT",
        "FCGI_UNKNOWN_TYPE",
    ];
    for (value, name) in (1u8..=11).zip(names) {
        let record_type = RecordType::from_u8(value).expect("known type");
        assert_eq!(record_type as u8, value);
        assert_eq!(u8::from(record_type), value);
        assert_eq!(record_type.to_string(), name);
        assert_eq!(record_type.is_management(), value >= 9, "{name}");
    }
    assert_eq!(RecordType::ALL.len(), 11);
    for value in [0u8, 12, 100, 255] {
        assert_eq!(RecordType::from_u8(value), None);
    }
}

#[test]
fn header_parse_and_encode_are_inverse() {
    let header = RecordHeader {
        version: 7,
        record_type: 200,
        request_id: 0xfffe,
        content_length: 65535,
        padding_length: 255,
    };
    let bytes = header.encode();
    assert_eq!(bytes, [7, 200, 0xff, 0xfe, 0xff, 0xff, 255, 0]);
    assert_eq!(RecordHeader::parse(&bytes), header);
    assert_eq!(header.record_len(), 8 + 65535 + 255);
}

#[test]
fn roles_and_statuses() {
    assert_eq!(Role::from_u16(1), Some(Role::Responder));
    assert_eq!(Role::from_u16(2), Some(Role::Authorizer));
    assert_eq!(Role::from_u16(3), Some(Role::Filter));
    assert_eq!(Role::from_u16(0), None);
    assert_eq!(Role::from_u16(4), None);
    assert_eq!(Role::from_u16(0x0101), None);
    assert_eq!(Role::Responder.to_string(), "Responder");
    assert_eq!(Role::Authorizer.to_string(), "Authorizer");
    assert_eq!(Role::Filter.to_string(), "Filter");
    assert_eq!(u16::from(Role::Filter), 3);

    for (value, status) in [
        (0, ProtocolStatus::RequestComplete),
        (1, ProtocolStatus::CantMpxConn),
        (2, ProtocolStatus::Overloaded),
        (3, ProtocolStatus::UnknownRole),
    ] {
        assert_eq!(ProtocolStatus::from_u8(value), Some(status));
        assert_eq!(u8::from(status), value);
    }
    assert_eq!(ProtocolStatus::from_u8(4), None);
}

#[test]
fn stream_types_map_to_record_types() {
    for (stream, record_type) in [
        (StreamType::Params, RecordType::Params),
        (StreamType::Stdin, RecordType::Stdin),
        (StreamType::Stdout, RecordType::Stdout),
        (StreamType::Stderr, RecordType::Stderr),
        (StreamType::Data, RecordType::Data),
    ] {
        assert_eq!(stream.record_type(), record_type);
        assert_eq!(StreamType::from_record_type(record_type), Some(stream));
    }
    assert_eq!(StreamType::from_record_type(RecordType::BeginRequest), None);
}

#[test]
fn record_accessors() {
    let content = Bytes::from_static(b"x");
    let cases = [
        (
            Record::BeginRequest {
                request_id: 1,
                role: 1,
                flags: 0,
            },
            1,
            1,
        ),
        (Record::AbortRequest { request_id: 2 }, 2, 2),
        (
            Record::EndRequest {
                request_id: 3,
                app_status: 0,
                protocol_status: 0,
            },
            3,
            3,
        ),
        (
            Record::Params {
                request_id: 4,
                content: content.clone(),
            },
            4,
            4,
        ),
        (
            Record::Stdin {
                request_id: 5,
                content: content.clone(),
            },
            5,
            5,
        ),
        (
            Record::Stdout {
                request_id: 6,
                content: content.clone(),
            },
            6,
            6,
        ),
        (
            Record::Stderr {
                request_id: 7,
                content: content.clone(),
            },
            7,
            7,
        ),
        (
            Record::Data {
                request_id: 8,
                content: content.clone(),
            },
            8,
            8,
        ),
        (
            Record::GetValues {
                content: content.clone(),
            },
            9,
            0,
        ),
        (
            Record::GetValuesResult {
                content: content.clone(),
            },
            10,
            0,
        ),
        (Record::UnknownType { record_type: 99 }, 11, 0),
        (
            Record::Unknown {
                record_type: 42,
                request_id: 12,
                content,
            },
            42,
            12,
        ),
    ];
    for (record, record_type, request_id) in cases {
        assert_eq!(record.record_type(), record_type, "{record:?}");
        assert_eq!(record.request_id(), request_id, "{record:?}");
        let is_stream = (4..=8).contains(&record_type);
        assert_eq!(record.stream_content().is_some(), is_stream, "{record:?}");
        assert!(!record.is_end_of_stream());
    }
    assert!(
        Record::Stdin {
            request_id: 1,
            content: Bytes::new()
        }
        .is_end_of_stream()
    );
}

#[test]
fn default_limits_are_documented_values() {
    let limits = ProtocolLimits::default();
    assert_eq!(limits.max_pair_len, 256 * 1024);
    assert_eq!(limits.max_params_len, 1024 * 1024);
    assert_eq!(limits, ProtocolLimits::DEFAULT);
}

#[test]
fn error_messages_say_what_and_where() {
    let http = ProtocolError::UnsupportedVersion { version: b'G' }.to_string();
    assert!(http.contains("version 71"), "{http}");
    assert!(http.contains("HTTP"), "{http}");
    assert!(http.contains("is the peer speaking FastCGI?"), "{http}");
    let tls = ProtocolError::UnsupportedVersion { version: 0x16 }.to_string();
    assert!(tls.contains("TLS"), "{tls}");

    let length = ProtocolError::InvalidContentLength {
        record_type: RecordType::BeginRequest,
        request_id: 3,
        expected: 8,
        actual: 5,
    }
    .to_string();
    assert!(
        length.contains("FCGI_BEGIN_REQUEST record for request 3"),
        "{length}"
    );
    assert!(length.contains("content length 5"), "{length}");
    assert!(length.contains("exactly 8 bytes"), "{length}");

    let null = ProtocolError::NullRequestId {
        record_type: RecordType::Stdin,
    }
    .to_string();
    assert!(
        null.contains("FCGI_STDIN record with request id 0"),
        "{null}"
    );

    let management = ProtocolError::NonNullManagementId {
        record_type: RecordType::GetValues,
        request_id: 9,
    }
    .to_string();
    assert!(management.contains("FCGI_GET_VALUES"), "{management}");
    assert!(management.contains("not 9"), "{management}");

    let truncated = ProtocolError::TruncatedPair { missing: 4 }.to_string();
    assert!(truncated.contains("at least 4 more byte"), "{truncated}");

    let pair = ProtocolError::PairTooLarge {
        len: 300_000,
        limit: 262_144,
    }
    .to_string();
    assert!(pair.contains("300000") && pair.contains("262144"), "{pair}");
    assert!(pair.contains("max_pair_len"), "{pair}");

    let params = ProtocolError::ParamsTooLarge {
        len: 2_000_000,
        limit: 1_048_576,
    }
    .to_string();
    assert!(params.contains("max_params_len"), "{params}");

    let duplicate = ProtocolError::DuplicateBeginRequest { request_id: 5 }.to_string();
    assert!(duplicate.contains("request 5"), "{duplicate}");
    let unexpected = ProtocolError::UnexpectedRecord {
        record_type: RecordType::Stdin,
        request_id: 6,
    }
    .to_string();
    assert!(
        unexpected.contains("FCGI_STDIN record for request 6"),
        "{unexpected}"
    );
    let after_end = ProtocolError::StreamAfterEnd {
        record_type: RecordType::Params,
        request_id: 7,
    }
    .to_string();
    assert!(
        after_end.contains("FCGI_PARAMS record for request 7"),
        "{after_end}"
    );
}
