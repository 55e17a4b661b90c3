//! Records for inactive request ids (spec §3.3) are ignored without
//! allocating per record: a peer that floods them costs its bytes on the
//! wire and nothing more. Counted by a global allocator around a real
//! server on a real socket.
//!
//! This file holds a single test, on a current-thread runtime, so nothing
//! else allocates while it counts.

// Helpers outside `#[test]` fns unwrap too: this whole file is a test.
#![allow(clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::BytesMut;
use fastcgi_core::handler::from_fn;
use fastcgi_core::protocol::{
    self, FCGI_KEEP_CONN, Params, Record, RecordDecoder, Role, StreamType,
};
use fastcgi_core::server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Delegates to the system allocator, counting allocations while
/// `COUNTING` is set.
struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static COUNTING: AtomicBool = AtomicBool::new(false);

fn note_allocation() {
    if COUNTING.load(Ordering::Relaxed) {
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

const LIMIT: Duration = Duration::from_secs(10);

/// A whole request for `id` (keep-alive), as a web server sends it.
fn request(id: u16) -> BytesMut {
    let mut out = BytesMut::new();
    protocol::encode_begin_request(&mut out, id, Role::Responder, FCGI_KEEP_CONN);
    let params: Params = [("QUERY_STRING", "q=1")].into_iter().collect();
    protocol::encode_params(&mut out, id, &params);
    protocol::encode_stream_end(&mut out, StreamType::Params, id);
    protocol::encode_stream_end(&mut out, StreamType::Stdin, id);
    out
}

/// Sends `bytes`, then reads until END_REQUEST; returns the allocations
/// made by both sides meanwhile.
async fn counted(
    stream: &mut TcpStream,
    decoder: &mut RecordDecoder,
    chunk: &mut [u8],
    bytes: &[u8],
) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    stream.write_all(bytes).await.unwrap();
    loop {
        match decoder.next_record().unwrap() {
            Some(Record::EndRequest { .. }) => break,
            Some(_) => continue,
            None => {}
        }
        let n = stream.read(chunk).await.unwrap();
        assert!(n > 0, "the server closed the connection");
        decoder.feed(&chunk[..n]);
    }
    COUNTING.store(false, Ordering::Relaxed);
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

#[tokio::test]
async fn ignoring_stray_records_allocates_nothing_per_record() {
    let server = Server::bind("127.0.0.1:0").unwrap().handle_signals(false);
    let addr = server.tcp_addr().unwrap();
    let shutdown = server.shutdown_handle();
    let task = tokio::spawn(server.serve(from_fn(|_| async { "ok" })));

    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut decoder = RecordDecoder::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let request = request(1);
    // 30,000 records for ids never begun, and for id 1 once it ended.
    let mut strays = BytesMut::new();
    for i in 0..10_000u16 {
        let id = 2 + i % 500;
        protocol::encode_stream(&mut strays, StreamType::Stdin, id, b"stray");
        protocol::encode_abort_request(&mut strays, id);
        protocol::encode_stream(&mut strays, StreamType::Data, 1, b"late");
    }
    let mut strays_then_request = strays.clone();
    strays_then_request.extend_from_slice(&request);

    // Warm up: buffers at their working size.
    for _ in 0..3 {
        counted(&mut stream, &mut decoder, &mut chunk, &strays_then_request).await;
    }
    let plain = counted(&mut stream, &mut decoder, &mut chunk, &request).await;
    let with_strays = counted(&mut stream, &mut decoder, &mut chunk, &strays_then_request).await;
    // The strays arrive in a few 64 KiB reads (~570 KiB): at most a few
    // allocations per read, far from one per record.
    assert!(
        with_strays <= plain + 100,
        "30,000 stray records cost {} allocations over a plain request's {plain}",
        with_strays - plain.min(with_strays)
    );

    drop(stream);
    shutdown.shutdown();
    tokio::time::timeout(LIMIT, task)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
