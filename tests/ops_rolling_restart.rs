//! Zero-downtime restarts: nginx balances over two instances of the app
//! (examples/deploy/nginx-upstreams.conf), wrk drives a bounded load, and
//! each instance is stopped with SIGTERM and started again in turn. Not one
//! request may fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod webserver;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{ChildGuard, example_path};
use webserver::install::{WebServer, locate, under_ci};
use webserver::process::{free_port, loud};
use webserver::servers;

/// How long wrk runs; the restarts happen inside it.
const LOAD_SECONDS: u64 = 12;

fn start_app(port: u16) -> Child {
    Command::new(example_path("echo"))
        .env("FCGI_BIND", format!("127.0.0.1:{port}"))
        .env_remove("LISTEN_FDS")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait_listening(port: u16) {
    let deadline = Instant::now() + common::LIMIT;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// SIGTERM, then wait for exit status 0, then start a new instance.
fn restart(app: &mut ChildGuard, port: u16) -> Duration {
    let started = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &app.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + common::LIMIT;
    let exit = loop {
        if let Some(status) = app.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the instance ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(
        exit.success(),
        "SIGTERM must end in exit status 0, got {exit}"
    );
    *app = ChildGuard(start_app(port));
    wait_listening(port);
    started.elapsed()
}

/// httpoxy (CVE-2016-5385) through this recipe too: a client's `Proxy:`
/// header does not reach the app as HTTP_PROXY.
fn proxy_header_does_not_reach_the_app(http: u16) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", http)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET /?mode=env HTTP/1.0\r\nHost: localhost\r\nProxy: http://evil.example\r\nX-Echo-Test: yes\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.contains("\"HTTP_X_ECHO_TEST\":\"yes\""),
        "{response}"
    );
    assert!(
        !response.contains("HTTP_PROXY") && !response.contains("evil.example"),
        "the client's Proxy header reached the app: {response}"
    );
}

#[test]
fn rolling_restart_under_load_fails_no_request() {
    let Some(nginx) = locate(WebServer::Nginx).unwrap() else {
        return;
    };
    if !Path::new("/usr/bin/wrk").exists() {
        assert!(
            !under_ci(),
            "wrk is missing under CI=true: bash .ci/install-web-servers"
        );
        loud("SKIPPED: wrk not installed (bash .ci/install-web-servers)");
        return;
    }
    let (port_a, port_b, http) = (free_port(), free_port(), free_port());
    let run_dir = common::temp_dir("rolling-restart");
    let conf = servers::nginx_upstreams(
        &run_dir,
        &format!("127.0.0.1:{port_a}"),
        &format!("127.0.0.1:{port_b}"),
        http,
    )
    .unwrap();

    let mut app_a = ChildGuard(start_app(port_a));
    let mut app_b = ChildGuard(start_app(port_b));
    wait_listening(port_a);
    wait_listening(port_b);
    let _nginx = ChildGuard(
        servers::nginx_foreground(&mut Command::new(nginx), &run_dir, &conf)
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_listening(http);
    proxy_header_does_not_reach_the_app(http);

    // Requests that take a few ms, so some are in flight at every SIGTERM.
    let wrk = Command::new("/usr/bin/wrk")
        .args(["-t1", "-c16", &format!("-d{LOAD_SECONDS}s"), "--latency"])
        .arg(format!("http://127.0.0.1:{http}/?mode=sleep&ms=3"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut restarts = Vec::new();
    std::thread::sleep(Duration::from_secs(2));
    for _ in 0..2 {
        restarts.push(restart(&mut app_a, port_a));
        std::thread::sleep(Duration::from_millis(1500));
        restarts.push(restart(&mut app_b, port_b));
        std::thread::sleep(Duration::from_millis(1500));
    }
    let output = wrk.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    loud(&format!(
        "rolling restart: {} restarts, each (SIGTERM to serving again) {restarts:?}\n{report}",
        restarts.len()
    ));
    assert!(output.status.success(), "wrk failed: {report}");
    let requests: u64 = report
        .lines()
        .find_map(|line| {
            line.trim()
                .split(" requests in")
                .next()?
                .trim()
                .parse()
                .ok()
        })
        .expect("wrk's request count");
    assert!(
        requests > 1000,
        "too little load to prove anything: {report}"
    );
    assert!(
        !report.contains("Non-2xx or 3xx responses") && !report.contains("Socket errors"),
        "requests failed during the rolling restart:\n{report}\nnginx error log:\n{}",
        std::fs::read_to_string(run_dir.join("error.log")).unwrap_or_default()
    );
    let _ = std::fs::remove_dir_all(run_dir);
}
