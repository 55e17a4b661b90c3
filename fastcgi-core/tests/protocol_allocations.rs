//! The codec's allocation budget on the common path, counted by a global
//! allocator: decoding a request allocates only the `Params` storage (one
//! buffer, one offsets vector), and encoding a response into a reused buffer
//! allocates nothing.
//!
//! This file holds a single test so nothing else allocates on its thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::BytesMut;
use fastcgi_core::protocol::{
    FCGI_KEEP_CONN, Params, ParamsDecoder, ProtocolLimits, ProtocolStatus, Record, RecordDecoder,
    Role, StreamType, encode_begin_request, encode_end_request, encode_params, encode_stream,
    encode_stream_end,
};

/// Delegates to the system allocator, counting allocations made on a thread
/// while its `COUNTING` flag is set.
struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn note_allocation() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded as is; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: `ptr` came from `System` with `layout`; the caller upholds the rest.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Allocations `f` makes on this thread.
fn allocations_in<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    COUNTING.with(|counting| counting.set(true));
    let value = f();
    COUNTING.with(|counting| counting.set(false));
    (ALLOCATIONS.load(Ordering::Relaxed) - before, value)
}

fn nginx_request() -> Vec<u8> {
    let params: Params = [
        ("QUERY_STRING", "id=42"),
        ("REQUEST_METHOD", "GET"),
        ("CONTENT_TYPE", ""),
        ("CONTENT_LENGTH", ""),
        ("SCRIPT_NAME", "/index.php"),
        ("REQUEST_URI", "/index.php?id=42"),
        ("DOCUMENT_URI", "/index.php"),
        ("DOCUMENT_ROOT", "/var/www/html"),
        ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("REQUEST_SCHEME", "http"),
        ("GATEWAY_INTERFACE", "CGI/1.1"),
        ("SERVER_SOFTWARE", "nginx/1.26.2"),
        ("REMOTE_ADDR", "203.0.113.7"),
        ("REMOTE_PORT", "51234"),
        ("SERVER_ADDR", "192.0.2.10"),
        ("SERVER_PORT", "80"),
        ("SERVER_NAME", "example.com"),
        ("REDIRECT_STATUS", "200"),
        ("SCRIPT_FILENAME", "/var/www/html/index.php"),
        ("HTTP_HOST", "example.com"),
        ("HTTP_USER_AGENT", "curl/8.5.0"),
        ("HTTP_ACCEPT", "*/*"),
    ]
    .into_iter()
    .collect();
    let mut wire = BytesMut::new();
    encode_begin_request(&mut wire, 1, Role::Responder, FCGI_KEEP_CONN);
    encode_params(&mut wire, 1, &params);
    encode_stream_end(&mut wire, StreamType::Params, 1);
    encode_stream_end(&mut wire, StreamType::Stdin, 1);
    wire.to_vec()
}

fn decode(decoder: &mut RecordDecoder, request: &[u8]) -> Option<Params> {
    decoder.feed(request);
    let mut params = Some(ParamsDecoder::new(ProtocolLimits::default()));
    let mut done = None;
    while let Some(record) = decoder.next_record().ok()? {
        if let Record::Params { content, .. } = record {
            if content.is_empty() {
                done = Some(params.take()?.finish().ok()?);
            } else {
                params.as_mut()?.push(&content).ok()?;
            }
        }
    }
    done
}

#[test]
fn the_common_path_allocates_only_params_storage() {
    let request = nginx_request();
    let mut decoder = RecordDecoder::with_capacity(4096);
    // The first request may set up the decoder's buffer; later ones reuse it.
    let first = decode(&mut decoder, &request).expect("valid request");
    assert_eq!(first.len(), 22);
    for _ in 0..3 {
        let (allocations, params) = allocations_in(|| decode(&mut decoder, &request));
        let params = params.expect("valid request");
        assert_eq!(params.get("SCRIPT_NAME"), Some("/index.php"));
        drop(params);
        assert_eq!(
            allocations, 2,
            "one name/value buffer and one offsets vector"
        );
    }

    let mut out = BytesMut::with_capacity(1024);
    for _ in 0..3 {
        let (allocations, ()) = allocations_in(|| {
            out.clear();
            encode_stream(
                &mut out,
                StreamType::Stdout,
                1,
                b"Content-Type: text/plain\r\n\r\nHello, World!",
            );
            encode_stream_end(&mut out, StreamType::Stdout, 1);
            encode_end_request(&mut out, 1, 0, ProtocolStatus::RequestComplete);
        });
        assert_eq!(allocations, 0);
    }
}
