//! The encoder, byte for byte, and read back through the decoder.

use bytes::{Bytes, BytesMut};
use fastcgi_core::protocol::{
    FCGI_KEEP_CONN, FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS, Params, ProtocolLimits,
    ProtocolStatus, Record, RecordDecoder, Role, StreamType, decode_pairs, encode_abort_request,
    encode_begin_request, encode_end_request, encode_get_values, encode_get_values_result,
    encode_params, encode_record, encode_stream, encode_stream_end, encode_unknown_type,
    padding_for, stream_records_len,
};

fn decode_all(bytes: &[u8]) -> Vec<Record> {
    let mut decoder = RecordDecoder::new();
    decoder.feed(bytes);
    let mut records = Vec::new();
    while let Some(record) = decoder.next_record().expect("valid stream") {
        records.push(record);
    }
    assert_eq!(decoder.buffered_len(), 0);
    records
}

/// Every record in `bytes` is padded with zeros to a multiple of 8.
fn assert_padded_with_zeros(bytes: &[u8]) {
    let mut rest = bytes;
    while let Some(header) = rest.first_chunk::<8>() {
        let content_len = usize::from(u16::from_be_bytes([header[4], header[5]]));
        let padding = usize::from(header[6]);
        assert_eq!((content_len + padding) % 8, 0, "padding of {header:?}");
        assert!(padding < 8);
        let record_len = 8 + content_len + padding;
        assert!(rest[8 + content_len..record_len].iter().all(|&b| b == 0));
        assert_eq!(header[7], 0, "reserved byte");
        rest = &rest[record_len..];
    }
    assert!(rest.is_empty(), "trailing bytes");
}

#[test]
fn padding_for_rounds_up_to_8() {
    for len in 0..100usize {
        let padding = usize::from(padding_for(len));
        assert!(padding < 8);
        assert_eq!((len + padding) % 8, 0);
    }
    assert_eq!(padding_for(65535), 1);
    assert_eq!(padding_for(usize::MAX), 1);
}

#[test]
fn stream_records_len_is_exact() {
    for len in [
        0usize, 1, 7, 8, 9, 13, 127, 65527, 65528, 65534, 65535, 65536, 65543, 131_070, 131_071,
        200_000,
    ] {
        let mut out = BytesMut::new();
        encode_stream(&mut out, StreamType::Stdout, 1, &vec![b'x'; len]);
        assert_eq!(out.len(), stream_records_len(len), "len {len}");
        assert_padded_with_zeros(&out);
    }
}

#[test]
fn stdout_response_bytes() {
    let mut out = BytesMut::new();
    encode_stream(&mut out, StreamType::Stdout, 1, b"Hello, World!");
    encode_stream_end(&mut out, StreamType::Stdout, 1);
    encode_end_request(&mut out, 1, 0, ProtocolStatus::RequestComplete);
    let expected: &[u8] = b"\x01\x06\x00\x01\x00\x0d\x03\x00Hello, World!\x00\x00\x00\
        \x01\x06\x00\x01\x00\x00\x00\x00\
        \x01\x03\x00\x01\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";
    assert_eq!(&out[..], expected);
}

#[test]
fn empty_content_writes_nothing() {
    let mut out = BytesMut::new();
    encode_stream(&mut out, StreamType::Stdin, 1, b"");
    assert!(out.is_empty());
    encode_params(&mut out, 1, &Params::new());
    assert!(out.is_empty());
}

#[test]
fn streams_split_at_65535_bytes() {
    for stream in [
        StreamType::Params,
        StreamType::Stdin,
        StreamType::Stdout,
        StreamType::Stderr,
        StreamType::Data,
    ] {
        for (len, parts) in [
            (65535usize, vec![65535usize]),
            (65536, vec![65535, 1]),
            (140_000, vec![65535, 65535, 8930]),
        ] {
            let content: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
            let mut out = BytesMut::new();
            encode_stream(&mut out, stream, 300, &content);
            assert_padded_with_zeros(&out);
            let records = decode_all(&out);
            let lens: Vec<usize> = records
                .iter()
                .map(|record| {
                    assert_eq!(record.record_type(), stream.record_type() as u8);
                    assert_eq!(record.request_id(), 300);
                    record.stream_content().expect("stream record").len()
                })
                .collect();
            assert_eq!(lens, parts);
            let joined: Vec<u8> = records
                .iter()
                .flat_map(|record| record.stream_content().expect("stream").to_vec())
                .collect();
            assert_eq!(joined, content);
        }
    }
}

#[test]
fn stream_end_is_an_empty_record() {
    let mut out = BytesMut::new();
    encode_stream_end(&mut out, StreamType::Params, 0x0102);
    assert_eq!(&out[..], &[1, 4, 1, 2, 0, 0, 0, 0]);
}

#[test]
fn begin_and_abort_request_bytes() {
    let mut out = BytesMut::new();
    encode_begin_request(&mut out, 1, Role::Responder, FCGI_KEEP_CONN);
    encode_begin_request(&mut out, 2, Role::Filter, 0);
    encode_abort_request(&mut out, 3);
    assert_eq!(
        &out[..],
        &[
            1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, //
            1, 1, 0, 2, 0, 8, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, //
            1, 2, 0, 3, 0, 0, 0, 0,
        ][..]
    );
    assert_eq!(
        decode_all(&out),
        vec![
            Record::BeginRequest {
                request_id: 1,
                role: 1,
                flags: 1
            },
            Record::BeginRequest {
                request_id: 2,
                role: 3,
                flags: 0
            },
            Record::AbortRequest { request_id: 3 },
        ]
    );
}

#[test]
fn end_request_with_every_status() {
    for status in [
        ProtocolStatus::RequestComplete,
        ProtocolStatus::CantMpxConn,
        ProtocolStatus::Overloaded,
        ProtocolStatus::UnknownRole,
    ] {
        let mut out = BytesMut::new();
        encode_end_request(&mut out, 9, 0x0102_0304, status);
        assert_eq!(
            &out[..],
            &[1, 3, 0, 9, 0, 8, 0, 0, 1, 2, 3, 4, status as u8, 0, 0, 0][..]
        );
    }
}

#[test]
fn unknown_type_bytes() {
    let mut out = BytesMut::new();
    encode_unknown_type(&mut out, 42);
    assert_eq!(
        &out[..],
        &[1, 11, 0, 0, 0, 8, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0][..]
    );
    assert_eq!(
        decode_all(&out),
        vec![Record::UnknownType { record_type: 42 }]
    );
}

#[test]
fn get_values_and_result() {
    let mut out = BytesMut::new();
    encode_get_values(&mut out, &[FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS]);
    assert_padded_with_zeros(&out);
    let [Record::GetValues { content }] = &decode_all(&out)[..] else {
        panic!("one FCGI_GET_VALUES record");
    };
    let names = decode_pairs(content, ProtocolLimits::default()).expect("pairs");
    let names: Vec<_> = names.iter().collect();
    assert_eq!(
        names,
        vec![
            (&b"FCGI_MAX_CONNS"[..], &b""[..]),
            (&b"FCGI_MAX_REQS"[..], &b""[..]),
            (&b"FCGI_MPXS_CONNS"[..], &b""[..]),
        ]
    );

    let mut out = BytesMut::new();
    encode_get_values_result(&mut out, &[(FCGI_MPXS_CONNS, "1"), (FCGI_MAX_REQS, "100")]);
    let [Record::GetValuesResult { content }] = &decode_all(&out)[..] else {
        panic!("one FCGI_GET_VALUES_RESULT record");
    };
    let values = decode_pairs(content, ProtocolLimits::default()).expect("pairs");
    assert_eq!(values.get(FCGI_MPXS_CONNS), Some("1"));
    assert_eq!(values.get(FCGI_MAX_REQS), Some("100"));
}

#[test]
fn get_values_result_with_nothing_is_one_empty_record() {
    let mut out = BytesMut::new();
    encode_get_values_result(&mut out, &[]);
    assert_eq!(&out[..], &[1, 10, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn management_pairs_are_not_split_and_oversized_ones_are_left_out() {
    let big = "v".repeat(40_000);
    let huge = "h".repeat(70_000);
    let mut out = BytesMut::new();
    encode_get_values_result(
        &mut out,
        &[("A", &big), ("HUGE", &huge), ("B", &big), ("C", "c")],
    );
    assert_padded_with_zeros(&out);
    let records = decode_all(&out);
    assert_eq!(records.len(), 2);
    let mut all = Vec::new();
    for record in &records {
        let Record::GetValuesResult { content } = record else {
            panic!("{record:?}");
        };
        let pairs = decode_pairs(content, ProtocolLimits::UNLIMITED).expect("whole pairs");
        all.extend(pairs.iter().map(|(n, v)| (n.to_vec(), v.len())));
    }
    assert_eq!(
        all,
        vec![
            (b"A".to_vec(), 40_000),
            (b"B".to_vec(), 40_000),
            (b"C".to_vec(), 1)
        ]
    );
}

#[test]
fn params_straddle_records_of_65535_bytes() {
    let long = "x".repeat(100_000);
    let params: Params = [
        ("SHORT", "1"),
        ("HTTP_COOKIE", long.as_str()),
        ("EMPTY", ""),
        ("", "empty name"),
    ]
    .into_iter()
    .collect();
    let mut out = BytesMut::new();
    encode_params(&mut out, 5, &params);
    encode_stream_end(&mut out, StreamType::Params, 5);
    assert_padded_with_zeros(&out);
    let records = decode_all(&out);
    let lens: Vec<usize> = records
        .iter()
        .map(|r| r.stream_content().expect("params").len())
        .collect();
    let total: usize = params
        .iter()
        .map(|(n, v)| fastcgi_core::protocol::pair_len(n, v))
        .sum();
    assert_eq!(lens, vec![65535, total - 65535, 0]);
    let content: Vec<u8> = records
        .iter()
        .flat_map(|r| r.stream_content().expect("params").to_vec())
        .collect();
    assert_eq!(
        decode_pairs(&content, ProtocolLimits::UNLIMITED).expect("pairs"),
        params
    );
}

#[test]
fn encode_record_writes_what_the_decoder_reads() {
    let records = vec![
        Record::BeginRequest {
            request_id: 1,
            role: 0x7777,
            flags: 0x80,
        },
        Record::AbortRequest { request_id: 1 },
        Record::EndRequest {
            request_id: 1,
            app_status: u32::MAX,
            protocol_status: 200,
        },
        Record::Params {
            request_id: 1,
            content: Bytes::from_static(b"\x01\x01ab"),
        },
        Record::Params {
            request_id: 1,
            content: Bytes::new(),
        },
        Record::Stdin {
            request_id: 2,
            content: Bytes::from_static(b"body"),
        },
        Record::Stdout {
            request_id: 3,
            content: Bytes::from_static(b"12345678"),
        },
        Record::Stderr {
            request_id: 4,
            content: Bytes::new(),
        },
        Record::Data {
            request_id: 5,
            content: Bytes::from_static(b"d"),
        },
        Record::GetValues {
            content: Bytes::new(),
        },
        Record::GetValuesResult {
            content: Bytes::from_static(b"\x01\x01ab"),
        },
        Record::UnknownType { record_type: 0 },
        Record::Unknown {
            record_type: 100,
            request_id: 6,
            content: Bytes::new(),
        },
        Record::Unknown {
            record_type: 255,
            request_id: 0,
            content: Bytes::from_static(b"?"),
        },
    ];
    let mut out = BytesMut::new();
    for record in &records {
        encode_record(&mut out, record);
    }
    assert_padded_with_zeros(&out);
    assert_eq!(decode_all(&out), records);
}

#[test]
fn encode_record_splits_oversized_content() {
    let record = Record::Stdout {
        request_id: 1,
        content: Bytes::from(vec![1; 65536]),
    };
    let mut out = BytesMut::new();
    encode_record(&mut out, &record);
    let lens: Vec<usize> = decode_all(&out)
        .iter()
        .map(|r| r.stream_content().expect("stdout").len())
        .collect();
    assert_eq!(lens, vec![65535, 1]);
}

#[test]
fn encoders_write_to_any_buf_mut() {
    let mut out: Vec<u8> = Vec::new();
    encode_stream(&mut out, StreamType::Stderr, 1, b"oops\n");
    assert_eq!(out.len(), stream_records_len(5));
}
