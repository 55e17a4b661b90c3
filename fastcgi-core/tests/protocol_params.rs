//! Name-value pairs: the 1/4-byte lengths, splitting, limits, and `Params`.

use bytes::BytesMut;
use fastcgi_core::protocol::{
    Params, ParamsDecoder, ProtocolError, ProtocolLimits, decode_pairs, encode_pair, pair_len,
};

fn pair(name: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_pair(&mut out, name, value);
    assert_eq!(out.len(), pair_len(name, value));
    out
}

fn pairs_of(params: &Params) -> Vec<(Vec<u8>, Vec<u8>)> {
    params
        .iter()
        .map(|(n, v)| (n.to_vec(), v.to_vec()))
        .collect()
}

#[test]
fn lengths_below_128_take_one_byte_from_128_four() {
    let n127 = vec![b'n'; 127];
    let n128 = vec![b'n'; 128];
    assert_eq!(pair(&n127, b"")[..2], [127, 0]);
    assert_eq!(pair(&n128, b"")[..5], [0x80, 0, 0, 128, 0]);
    assert_eq!(pair(b"", &n127)[..2], [0, 127]);
    assert_eq!(pair(b"", &n128)[..5], [0, 0x80, 0, 0, 128]);
    assert_eq!(pair(&n128, &n128)[..8], [0x80, 0, 0, 128, 0x80, 0, 0, 128]);
    assert_eq!(pair_len(&n127, &n127), 2 + 254);
    assert_eq!(pair_len(&n127, &n128), 5 + 255);
    assert_eq!(pair_len(&n128, &n128), 8 + 256);
    let big = vec![b'v'; 0x0102_0304];
    assert_eq!(pair(b"N", &big)[..6], [1, 0x81, 2, 3, 4, b'N']);

    for name_len in [0usize, 1, 126, 127, 128, 129, 300] {
        for value_len in [0usize, 1, 127, 128, 1000] {
            let name = vec![b'a'; name_len];
            let value = vec![b'b'; value_len];
            let decoded =
                decode_pairs(&pair(&name, &value), ProtocolLimits::default()).expect("one pair");
            assert_eq!(pairs_of(&decoded), vec![(name, value)]);
        }
    }
}

#[test]
fn a_four_byte_length_may_encode_a_small_value() {
    // Not minimal, but valid: the decoder must accept it.
    let bytes = [0x80, 0, 0, 1, 0x80, 0, 0, 2, b'A', b'b', b'c'];
    let params = decode_pairs(&bytes, ProtocolLimits::default()).expect("valid");
    assert_eq!(params.get("A"), Some("bc"));
}

#[test]
fn empty_names_values_and_non_utf8_bytes() {
    let mut bytes = pair(b"", b"");
    bytes.extend(pair(b"EMPTY", b""));
    bytes.extend(pair(b"", b"nameless"));
    bytes.extend(pair(b"RAW\xff", b"\xc3\x28"));
    let params = decode_pairs(&bytes, ProtocolLimits::default()).expect("valid");
    assert_eq!(params.len(), 4);
    assert_eq!(params.get(""), Some(""));
    assert_eq!(params.get("EMPTY"), Some(""));
    assert_eq!(params.get_bytes(b"RAW\xff"), Some(&b"\xc3\x28"[..]));
    assert_eq!(params.byte_len(), 5 + 8 + 4 + 2);
    let debug = format!("{params:?}");
    assert!(debug.contains("\"EMPTY\": \"\""), "{debug}");
    assert!(debug.contains("RAW\u{fffd}"), "{debug}");
}

#[test]
fn get_returns_the_first_utf8_value() {
    let mut params = Params::new();
    assert!(params.is_empty());
    params.insert(b"X", b"\xff");
    params.insert(b"X", b"second");
    params.insert(b"Y", b"1");
    params.insert(b"Y", b"2");
    assert_eq!(params.get("X"), None, "first X is not UTF-8");
    assert_eq!(params.get_bytes(b"X"), Some(&b"\xff"[..]));
    assert_eq!(params.get("Y"), Some("1"));
    assert_eq!(params.get("y"), None, "names are case-sensitive");
    assert_eq!(params.get("MISSING"), None);
    assert_eq!(params.len(), 4);
    assert_eq!(params.iter().len(), 4);
    assert_eq!(
        pairs_of(&params),
        vec![
            (b"X".to_vec(), b"\xff".to_vec()),
            (b"X".to_vec(), b"second".to_vec()),
            (b"Y".to_vec(), b"1".to_vec()),
            (b"Y".to_vec(), b"2".to_vec()),
        ]
    );
    params.clear();
    assert!(params.is_empty());
    assert_eq!(params.byte_len(), 0);
}

#[test]
fn make_names_uppercase_touches_only_names() {
    let mut params: Params = [
        ("http_host", "example.com"),
        ("Content-Type", "text/x"),
        ("", "v"),
    ]
    .into_iter()
    .collect();
    params.insert("ß_name".as_bytes(), b"lower");
    params.make_names_uppercase();
    assert_eq!(params.get("HTTP_HOST"), Some("example.com"));
    assert_eq!(params.get("CONTENT-TYPE"), Some("text/x"));
    assert_eq!(params.get(""), Some("v"));
    assert_eq!(
        params.get("ß_NAME"),
        Some("lower"),
        "only ASCII letters change"
    );
}

#[test]
fn from_iterator_of_bytes_and_equality() {
    let a: Params = [(&b"A"[..], &b"1"[..]), (&b"B"[..], &b""[..])]
        .into_iter()
        .collect();
    let b: Params = [("A", "1"), ("B", "")].into_iter().collect();
    assert_eq!(a, b);
    let c: Params = [("A", "1"), ("B", "x")].into_iter().collect();
    assert_ne!(a, c);
    let d: Params = [("A1", ""), ("B", "")].into_iter().collect();
    assert_ne!(a, d, "same bytes, different split");
    let mut e = Params::with_capacity(64, 4);
    e.extend([(&b"A"[..], &b"1"[..]), (&b"B"[..], &b""[..])]);
    assert_eq!(a, e);
    assert_eq!((&e).into_iter().count(), 2);
}

/// A stream of pairs whose lengths use both forms.
fn sample_stream() -> (Vec<u8>, Params) {
    let long_value = "v".repeat(200);
    let long_name = "N".repeat(130);
    let params: Params = [
        ("SCRIPT_NAME", "/index.php"),
        (long_name.as_str(), "x"),
        ("HTTP_COOKIE", long_value.as_str()),
        ("", ""),
        ("Q", ""),
    ]
    .into_iter()
    .collect();
    let mut bytes = BytesMut::new();
    for (name, value) in &params {
        encode_pair(&mut bytes, name, value);
    }
    (bytes.to_vec(), params)
}

#[test]
fn a_pair_split_at_every_byte_offset_decodes_the_same() {
    let (bytes, expected) = sample_stream();
    for split in 0..=bytes.len() {
        let (first, second) = bytes.split_at(split);
        let mut decoder = ParamsDecoder::new(ProtocolLimits::default());
        decoder.push(first).expect("valid");
        decoder.push(second).expect("valid");
        assert_eq!(
            decoder.finish().expect("complete"),
            expected,
            "split {split}"
        );
    }
}

#[test]
fn a_pair_split_across_three_records_at_every_pair_of_offsets() {
    let (bytes, expected) = sample_stream();
    for i in 0..=bytes.len() {
        for j in i..=bytes.len() {
            let mut decoder = ParamsDecoder::new(ProtocolLimits::default());
            decoder.push(&bytes[..i]).expect("valid");
            decoder.push(&bytes[i..j]).expect("valid");
            decoder.push(&bytes[j..]).expect("valid");
            assert_eq!(decoder.finish().expect("complete"), expected);
        }
    }
}

#[test]
fn one_byte_per_record() {
    let (bytes, expected) = sample_stream();
    let mut decoder = ParamsDecoder::new(ProtocolLimits::default());
    for byte in &bytes {
        decoder.push(std::slice::from_ref(byte)).expect("valid");
    }
    assert_eq!(decoder.received_len(), bytes.len());
    assert_eq!(decoder.finish().expect("complete"), expected);
}

#[test]
fn a_stream_ending_inside_a_pair_is_truncated() {
    let (bytes, _) = sample_stream();
    let boundaries: Vec<usize> = {
        let mut at = vec![0];
        let mut total = 0;
        let (_, params) = sample_stream();
        for (n, v) in &params {
            total += pair_len(n, v);
            at.push(total);
        }
        at
    };
    for end in 0..=bytes.len() {
        let result = decode_pairs(&bytes[..end], ProtocolLimits::default());
        if boundaries.contains(&end) {
            assert!(result.is_ok(), "complete at {end}");
        } else {
            assert!(
                matches!(result, Err(ProtocolError::TruncatedPair { missing }) if missing > 0),
                "truncated at {end}: {result:?}"
            );
        }
    }
}

#[test]
fn truncated_pair_counts_missing_bytes() {
    let missing = |bytes: &[u8]| match decode_pairs(bytes, ProtocolLimits::default()) {
        Err(ProtocolError::TruncatedPair { missing }) => missing,
        other => panic!("{other:?}"),
    };
    assert_eq!(missing(&[5]), 1 + 5, "value length, then the name");
    assert_eq!(missing(&[5, 2, b'a']), 4 + 2);
    assert_eq!(
        missing(&[0x80, 0]),
        2 + 1,
        "rest of the name length, a value length"
    );
    assert_eq!(missing(&[1, 0x80]), 3 + 1);
    assert_eq!(missing(&[0, 0x80, 0, 1, 0]), 256);
}

#[test]
fn pair_limit() {
    let limits = ProtocolLimits {
        max_pair_len: 10,
        max_params_len: 1000,
    };
    assert!(decode_pairs(&pair(b"NAME", b"123456"), limits).is_ok());
    assert_eq!(
        decode_pairs(&pair(b"NAME", b"1234567"), limits),
        Err(ProtocolError::PairTooLarge { len: 11, limit: 10 })
    );
    // The name length alone is enough to tell, before the value length arrives.
    let mut decoder = ParamsDecoder::new(limits);
    assert_eq!(
        decoder.push(&[11]),
        Err(ProtocolError::PairTooLarge { len: 11, limit: 10 })
    );
}

#[test]
fn a_length_claiming_2_gib_is_refused_before_any_allocation() {
    let mut decoder = ParamsDecoder::new(ProtocolLimits::default());
    assert_eq!(
        decoder.push(&[0xff, 0xff, 0xff, 0xff]),
        Err(ProtocolError::PairTooLarge {
            len: 0x7fff_ffff,
            limit: 256 * 1024
        })
    );
    // Split inside the length too.
    let mut decoder = ParamsDecoder::new(ProtocolLimits::default());
    decoder.push(&[1, 0xff]).expect("not known yet");
    decoder.push(&[0xff, 0xff]).expect("not known yet");
    assert_eq!(
        decoder.push(&[0xfe]),
        Err(ProtocolError::PairTooLarge {
            len: 1 + 0x7fff_fffe,
            limit: 256 * 1024
        })
    );
    // Both lengths at their maximum, no limits: still no overflow, no allocation.
    let mut decoder = ParamsDecoder::new(ProtocolLimits::UNLIMITED);
    decoder
        .push(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, b'a'])
        .expect("unlimited");
    assert!(matches!(
        decoder.finish(),
        Err(ProtocolError::TruncatedPair { missing }) if missing == 2 * 0x7fff_ffff - 1
    ));
}

#[test]
fn params_limit_counts_length_prefixes() {
    let limits = ProtocolLimits {
        max_pair_len: 1000,
        max_params_len: 12,
    };
    // 2 prefix bytes + 10 bytes = 12: at the limit.
    assert!(decode_pairs(&pair(b"NAME", b"VALUE1"), limits).is_ok());
    let mut bytes = pair(b"NAME", b"VALUE1");
    bytes.extend(pair(b"", b""));
    assert_eq!(
        decode_pairs(&bytes, limits),
        Err(ProtocolError::ParamsTooLarge { len: 14, limit: 12 })
    );
    // A pair announcing more than the budget left fails before its bytes arrive.
    let mut decoder = ParamsDecoder::new(limits);
    assert_eq!(
        decoder.push(&[4, 7]),
        Err(ProtocolError::ParamsTooLarge { len: 13, limit: 12 })
    );
    // Across pushes.
    let mut decoder = ParamsDecoder::new(limits);
    decoder.push(&pair(b"A", b"1")).expect("4 bytes");
    decoder.push(&pair(b"B", b"2")).expect("8 bytes");
    decoder.push(&pair(b"C", b"")).expect("11 bytes");
    assert_eq!(
        decoder.push(&pair(b"D", b"")),
        Err(ProtocolError::ParamsTooLarge { len: 14, limit: 12 })
    );
}

#[test]
fn empty_stream_is_no_params() {
    let decoder = ParamsDecoder::new(ProtocolLimits::default());
    assert_eq!(decoder.finish(), Ok(Params::new()));
    let mut decoder = ParamsDecoder::new(ProtocolLimits::default());
    decoder.push(&[]).expect("no-op");
    assert_eq!(decoder.finish(), Ok(Params::new()));
}

#[test]
fn four_byte_lengths_for_short_fields_decode_and_re_encode_as_sent() {
    // Legal, if unusual: a 4-byte length for a 4-byte name, and for a value.
    let mut wire = vec![0x80, 0, 0, 4, 0x80, 0, 0, 2];
    wire.extend_from_slice(b"HOSTab");
    wire.extend(pair(b"NEXT", b"1"));
    for split in 0..=wire.len() {
        let mut decoder = ParamsDecoder::new(ProtocolLimits::default());
        decoder.push(&wire[..split]).expect("valid");
        decoder.push(&wire[split..]).expect("valid");
        let params = decoder.finish().expect("complete");
        assert_eq!(params.get("HOST"), Some("ab"), "split {split}");
        assert_eq!(params.get("NEXT"), Some("1"));
        assert_eq!(params.as_wire_bytes(), &wire[..], "kept as sent");
        let canonical: Params = [("HOST", "ab"), ("NEXT", "1")].into_iter().collect();
        assert_eq!(params, canonical, "equal by pairs, not by encoding");
        assert_ne!(params.as_wire_bytes(), canonical.as_wire_bytes());
    }
}

#[test]
fn wire_bytes_are_what_encode_pair_writes() {
    let (bytes, params) = sample_stream();
    assert_eq!(params.as_wire_bytes(), &bytes[..]);
    assert_eq!(
        decode_pairs(&bytes, ProtocolLimits::default())
            .expect("valid")
            .as_wire_bytes(),
        &bytes[..]
    );
    let names_and_values: usize = params.iter().map(|(n, v)| n.len() + v.len()).sum();
    assert_eq!(params.byte_len(), names_and_values);
}

#[test]
fn upper_case_names_are_left_as_they_are() {
    let mut params: Params = [("HTTP_HOST", "example.com"), ("X_1", "lower value")]
        .into_iter()
        .collect();
    let before = params.clone();
    params.make_names_uppercase();
    assert_eq!(params, before);
    assert_eq!(
        params.get("X_1"),
        Some("lower value"),
        "values never change"
    );
}

#[test]
fn decoded_lowercase_names_are_upper_cased_however_they_arrive() {
    let mut wire = pair(b"HTTP_HOST", b"a");
    wire.extend(pair(b"x_custom_header_longer_than_16", b"lower"));
    wire.extend(pair(b"Mixed", b"v"));
    for split in 0..=wire.len() {
        let mut decoder = ParamsDecoder::new(ProtocolLimits::default());
        decoder.push(&wire[..split]).expect("valid");
        decoder.push(&wire[split..]).expect("valid");
        let mut params = decoder.finish().expect("complete");
        params.make_names_uppercase();
        assert_eq!(
            params.get("X_CUSTOM_HEADER_LONGER_THAN_16"),
            Some("lower"),
            "split {split}"
        );
        assert_eq!(params.get("MIXED"), Some("v"), "split {split}");
        assert_eq!(params.get("HTTP_HOST"), Some("a"));
    }
}
