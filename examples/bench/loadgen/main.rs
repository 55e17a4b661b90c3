//! A FastCGI load generator on `fastcgi::client`: it plays the web server,
//! sending requests to an application as fast as the application answers.
//!
//! ```sh
//! FCGI_BIND=127.0.0.1:9000 cargo run --release --example plaintext &
//! cargo run --release --example loadgen -- --connect 127.0.0.1:9000 -c 32 -d 10s
//! ```
//!
//! Each of `-c` connections keeps `-m` requests in flight (more than one
//! multiplexes them on the connection); `--no-keep-conn` opens a new
//! connection per request instead. Every request carries the params nginx's
//! stock `fastcgi_params` send. It prints a progress line every second, then
//! requests/s, latency percentiles and errors; `--json` adds one
//! machine-readable line on stdout.
//!
//! Requests/s counts the requests answered between the warm-up and the end
//! of the run; the latency percentiles also cover requests answered in the
//! grace period after it (so a server that leaves some connections waiting
//! shows them in `max`), and requests still unanswered then are errors.
//! `served` counts the connections answered at least once in the measured
//! window: a server serving 8 of 32 connections shows `8 of 32` there.
//! Response bodies are checked chunk by chunk as they arrive, never gathered.
//! Run it on a core of its own (`taskset -c 0`): a current-thread runtime
//! is the default, as one core is all it should use.
//!
//! Run `loadgen --help` for every option.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

mod histogram;
mod options;
mod run;

use options::{USAGE, parse_args};
use run::{Run, Tally, Target, run_load};

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("loadgen: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let target = match Target::parse(&options.connect) {
        Ok(target) => target,
        Err(message) => {
            eprintln!("loadgen: {message}");
            return ExitCode::from(2);
        }
    };
    let body: Option<Bytes> =
        (options.body > 0).then(|| (0..options.body).map(|i| (i % 251) as u8).collect());
    let expected = if options.expect_echo {
        Some(body.clone().unwrap_or_default())
    } else {
        options.expect.clone().map(Bytes::from)
    };

    let runtime = if options.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(options.threads)
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("loadgen: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let start = Instant::now();
    let run = Arc::new(Run {
        target,
        body,
        expected,
        start,
        measure_from: start + options.warmup,
        deadline: options.duration.map(|d| start + options.warmup + d),
        issued: AtomicU64::new(0),
        completed: AtomicU64::new(0),
        failed: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        errors: Mutex::new(BTreeMap::new()),
        options: options.clone(),
    });
    let (total, elapsed) = runtime.block_on(run_load(Arc::clone(&run)));
    report(&run, &total, elapsed);
    if total.errors > 0 || total.answered == 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn report(run: &Run, total: &Tally, elapsed: Duration) {
    let options = &run.options;
    let seconds = elapsed.as_secs_f64().max(1e-9);
    let rps = total.in_window as f64 / seconds;
    let us = |q: f64| total.latency.quantile(q) as f64 / 1000.0;
    let (p50, p90, p99, max) = (
        us(0.50),
        us(0.90),
        us(0.99),
        total.latency.max as f64 / 1000.0,
    );
    let body_mib_s = total.body_bytes as f64 / seconds / (1024.0 * 1024.0);
    let shape = format!(
        "{} conns x {} in flight, keep-conn {}",
        options.connections,
        options.in_flight,
        if options.keep_conn { "on" } else { "off" }
    );
    println!("target     {} ({shape})", options.connect);
    println!(
        "requests   {} in {seconds:.2}s: {rps:.0} requests/s",
        total.in_window
    );
    if options.body > 0 {
        println!(
            "body       {} bytes each: {body_mib_s:.0} MiB/s of request body",
            options.body
        );
    }
    println!("latency    p50 {p50:.0} us  p90 {p90:.0} us  p99 {p99:.0} us  max {max:.0} us");
    println!(
        "served     {} of {} connections answered in the measured window",
        total.served_connections, options.connections
    );
    println!("errors     {}", total.errors);
    let errors = run
        .errors
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for (message, count) in errors.iter().take(10) {
        println!("  {count} x {message}");
    }
    if options.json {
        let summary = serde_json::json!({
            "target": options.connect,
            "connections": options.connections,
            "in_flight": options.in_flight,
            "keep_conn": options.keep_conn,
            "body_bytes": options.body,
            "requests": total.in_window,
            "errors": total.errors,
            "served_connections": total.served_connections,
            "seconds": seconds,
            "rps": rps,
            "p50_us": p50,
            "p90_us": p90,
            "p99_us": p99,
            "max_us": max,
            "body_mib_s": body_mib_s,
        });
        println!("{summary}");
    }
}
