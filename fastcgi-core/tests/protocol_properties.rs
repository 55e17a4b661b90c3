//! Property tests of the codec: no input panics the decoders, everything the
//! encoder writes decodes back to what it was given, and the way input is
//! chunked never changes what comes out.

use bytes::{Bytes, BytesMut};
use fastcgi_core::protocol::{
    MAX_CONTENT_LEN, Params, ParamsDecoder, ProtocolError, ProtocolLimits, Record, RecordDecoder,
    StreamType, decode_pairs, encode_pair, encode_params, encode_record, encode_stream,
    encode_stream_end, stream_records_len,
};
use proptest::collection::vec;
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 4096,
        ..ProptestConfig::default()
    }
}

/// Bytes, mostly short, sometimes of a length near the 1/4-byte or record boundaries.
fn bytes_up_to(max_long: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => vec(any::<u8>(), 0..40),
        2 => vec(any::<u8>(), 120..136),
        1 => (0..=max_long, any::<u8>()).prop_map(|(len, seed)| patterned(len, seed)),
    ]
}

/// `len` bytes that are cheap to make but not all alike.
fn patterned(len: usize, seed: u8) -> Vec<u8> {
    let mut bytes = vec![seed; len];
    for (i, byte) in bytes.iter_mut().enumerate().step_by(97) {
        *byte = (i % 251) as u8;
    }
    bytes
}

fn content(max: usize) -> impl Strategy<Value = Bytes> {
    bytes_up_to(max).prop_map(Bytes::from)
}

/// Any record the decoder can yield, content at most `max_content` bytes.
fn record(max_content: usize) -> impl Strategy<Value = Record> {
    let id = 1..=u16::MAX;
    prop_oneof![
        1 => (id.clone(), any::<u16>(), any::<u8>()).prop_map(|(request_id, role, flags)| {
            Record::BeginRequest {
                request_id,
                role,
                flags,
            }
        }),
        1 => id.clone()
            .prop_map(|request_id| Record::AbortRequest { request_id }),
        1 => (id.clone(), any::<u32>(), any::<u8>()).prop_map(
            |(request_id, app_status, protocol_status)| Record::EndRequest {
                request_id,
                app_status,
                protocol_status,
            }
        ),
        5 => (0..5u8, id, content(max_content)).prop_map(|(stream, request_id, content)| {
            match stream {
                0 => Record::Params { request_id, content },
                1 => Record::Stdin { request_id, content },
                2 => Record::Stdout { request_id, content },
                3 => Record::Stderr { request_id, content },
                _ => Record::Data { request_id, content },
            }
        }),
        1 => content(max_content).prop_map(|content| Record::GetValues { content }),
        1 => content(max_content).prop_map(|content| Record::GetValuesResult { content }),
        1 => any::<u8>().prop_map(|record_type| Record::UnknownType { record_type }),
        1 => (
            prop_oneof![Just(0u8), 12u8..=255],
            any::<u16>(),
            content(max_content)
        )
            .prop_map(|(record_type, request_id, content)| Record::Unknown {
                record_type,
                request_id,
                content,
            }),
    ]
}

fn encode_all(records: &[Record]) -> BytesMut {
    let mut out = BytesMut::new();
    for record in records {
        encode_record(&mut out, record);
    }
    out
}

/// Feeds `bytes` in pieces of the given sizes (cycled), collecting records
/// until the input is exhausted or an error.
fn decode_chunked(bytes: &[u8], sizes: &[usize]) -> (Vec<Record>, Option<ProtocolError>) {
    let mut decoder = RecordDecoder::new();
    let mut records = Vec::new();
    let mut rest = bytes;
    let mut sizes = sizes.iter().copied().cycle();
    while !rest.is_empty() {
        let size = sizes.next().unwrap_or(rest.len()).clamp(1, rest.len());
        let (chunk, later) = rest.split_at(size);
        rest = later;
        decoder.feed(chunk);
        loop {
            match decoder.next_record() {
                Ok(Some(record)) => records.push(record),
                Ok(None) => break,
                Err(error) => return (records, Some(error)),
            }
        }
        assert!(decoder.buffered_len() <= 8 + MAX_CONTENT_LEN + 255 + size);
    }
    (records, None)
}

/// Runs the pair decoder over every record that carries pairs: must not panic.
fn exercise_pairs(records: &[Record]) {
    let limits = ProtocolLimits {
        max_pair_len: 4096,
        max_params_len: 16 * 1024,
    };
    let mut params = ParamsDecoder::new(limits);
    for record in records {
        match record {
            Record::Params { content, .. } if params.push(content).is_err() => {
                params = ParamsDecoder::new(limits);
            }
            Record::GetValues { content } | Record::GetValuesResult { content } => {
                let _ = decode_pairs(content, limits);
            }
            _ => {}
        }
    }
    let _ = params.finish();
}

fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        Just(vec![1]),
        vec(1..16usize, 1..8),
        vec(1..3000usize, 1..8),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(
        bytes in vec(any::<u8>(), 0..600),
        first_is_version in any::<bool>(),
        sizes in chunk_sizes(),
    ) {
        let mut bytes = bytes;
        if first_is_version && let Some(first) = bytes.first_mut() {
            *first = 1;
        }
        let (whole, whole_error) = decode_chunked(&bytes, &[bytes.len()]);
        let (chunked, chunked_error) = decode_chunked(&bytes, &sizes);
        exercise_pairs(&whole);
        // Chunking changes nothing, errors included (except a record cut off
        // by the end of input, which neither reports).
        prop_assert_eq!(&whole, &chunked);
        prop_assert_eq!(whole_error, chunked_error);
    }

    #[test]
    fn damaged_valid_streams_never_panic_the_decoder(
        records in vec(record(300), 1..6),
        damage in vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        truncate in any::<prop::sample::Index>(),
        sizes in chunk_sizes(),
    ) {
        let mut bytes = encode_all(&records).to_vec();
        for (at, byte) in damage {
            let at = at.index(bytes.len());
            bytes[at] = byte;
        }
        let end = truncate.index(bytes.len() + 1);
        let (decoded, _) = decode_chunked(&bytes[..end], &sizes);
        exercise_pairs(&decoded);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_params_decoder(
        bytes in vec(any::<u8>(), 0..400),
        sizes in vec(1..40usize, 1..6),
        max_pair_len in prop_oneof![Just(usize::MAX), 0..300usize],
        max_params_len in prop_oneof![Just(usize::MAX), 0..500usize],
    ) {
        let limits = ProtocolLimits { max_pair_len, max_params_len };
        let mut decoder = ParamsDecoder::new(limits);
        let mut rest = &bytes[..];
        let mut sizes = sizes.iter().copied().cycle();
        let mut failed = false;
        while !rest.is_empty() {
            let (chunk, later) = rest.split_at(sizes.next().unwrap_or(1).min(rest.len()));
            rest = later;
            if decoder.push(chunk).is_err() {
                failed = true;
                break;
            }
        }
        let chunked = if failed { None } else { decoder.finish().ok() };
        let whole = decode_pairs(&bytes, limits).ok();
        // Limits may trip at a different pair when lengths arrive in pieces,
        // but a successful decode is the same however the bytes were split.
        if let (Some(chunked), Some(whole)) = (&chunked, &whole) {
            prop_assert_eq!(chunked, whole);
        }
        if let Some(params) = whole {
            // Re-encoding gives pairs that decode the same (lengths may be minimal now).
            let mut again = Vec::new();
            for (name, value) in &params {
                encode_pair(&mut again, name, value);
            }
            prop_assert!(again.len() <= bytes.len());
            prop_assert_eq!(decode_pairs(&again, ProtocolLimits::UNLIMITED), Ok(params));
        }
    }

    #[test]
    fn every_record_type_round_trips(records in vec(record(MAX_CONTENT_LEN), 0..6)) {
        let bytes = encode_all(&records);
        let (decoded, error) = decode_chunked(&bytes, &[bytes.len()]);
        prop_assert_eq!(error, None);
        prop_assert_eq!(decoded, records);
    }

    #[test]
    fn chunking_never_changes_the_records(
        records in vec(record(2000), 0..8),
        sizes in chunk_sizes(),
    ) {
        let bytes = encode_all(&records);
        let (whole, _) = decode_chunked(&bytes, &[bytes.len()]);
        let (chunked, error) = decode_chunked(&bytes, &sizes);
        prop_assert_eq!(error, None);
        prop_assert_eq!(&chunked, &whole);
        prop_assert_eq!(chunked, records);
    }

    #[test]
    fn params_round_trip_through_records(
        pairs in vec((bytes_up_to(300), bytes_up_to(140_000)), 0..12),
        request_id in 1..=u16::MAX,
        // Byte-at-a-time chunking is covered above; these streams can be 1 MiB.
        sizes in vec(1..70_000usize, 1..4),
    ) {
        let params: Params = pairs
            .iter()
            .map(|(name, value)| (&name[..], &value[..]))
            .collect();
        let mut bytes = BytesMut::new();
        encode_params(&mut bytes, request_id, &params);
        encode_stream_end(&mut bytes, StreamType::Params, request_id);

        let (records, error) = decode_chunked(&bytes, &sizes);
        prop_assert_eq!(error, None);
        let mut decoder = ParamsDecoder::new(ProtocolLimits::UNLIMITED);
        let mut decoded = None;
        for record in records {
            let Record::Params { request_id: id, content } = record else {
                return Err(TestCaseError::fail(format!("not PARAMS: {record:?}")));
            };
            prop_assert_eq!(id, request_id);
            prop_assert!(decoded.is_none(), "records after the end record");
            if content.is_empty() {
                decoded = Some(std::mem::replace(
                    &mut decoder,
                    ParamsDecoder::new(ProtocolLimits::UNLIMITED),
                ).finish());
            } else {
                decoder.push(&content)?;
            }
        }
        prop_assert_eq!(decoded, Some(Ok(params)));
    }

    #[test]
    fn pairs_split_anywhere_decode_the_same(
        pairs in vec((bytes_up_to(200), bytes_up_to(200)), 0..10),
        sizes in vec(1..20usize, 1..6),
    ) {
        let params: Params = pairs
            .iter()
            .map(|(name, value)| (&name[..], &value[..]))
            .collect();
        let mut bytes = Vec::new();
        for (name, value) in &params {
            encode_pair(&mut bytes, name, value);
        }
        let mut decoder = ParamsDecoder::new(ProtocolLimits::default());
        let mut rest = &bytes[..];
        let mut sizes = sizes.iter().copied().cycle();
        while !rest.is_empty() {
            let (chunk, later) = rest.split_at(sizes.next().unwrap_or(1).min(rest.len()));
            rest = later;
            decoder.push(chunk)?;
        }
        prop_assert_eq!(decoder.finish(), Ok(params));
    }

    #[test]
    fn streams_split_into_records_of_at_most_65535_bytes(
        len in prop_oneof![
            0..2000usize,
            65530..65545usize,
            131_065..131_080usize,
            0..200_000usize,
        ],
        seed in any::<u8>(),
        request_id in 1..=u16::MAX,
    ) {
        let content = patterned(len, seed);
        let mut bytes = BytesMut::new();
        encode_stream(&mut bytes, StreamType::Stdout, request_id, &content);
        prop_assert_eq!(bytes.len(), stream_records_len(len));
        let (records, error) = decode_chunked(&bytes, &[bytes.len()]);
        prop_assert_eq!(error, None);
        prop_assert_eq!(records.len(), len.div_ceil(MAX_CONTENT_LEN));
        let mut joined = Vec::with_capacity(len);
        for record in &records {
            let Record::Stdout { request_id: id, content } = record else {
                return Err(TestCaseError::fail(format!("not STDOUT: {record:?}")));
            };
            prop_assert_eq!(*id, request_id);
            prop_assert!(!content.is_empty() && content.len() <= MAX_CONTENT_LEN);
            joined.extend_from_slice(content);
        }
        prop_assert_eq!(joined, content);
    }
}
