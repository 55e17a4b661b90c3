//! Several processes of one app on one machine, sharing one listening
//! socket, and graceful stops with SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{ChildGuard, RawPeer, example_path, free_port};

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits (bounded) for the child to exit and returns whether it exited 0.
fn wait_exit(child: &mut Child) -> bool {
    let deadline = Instant::now() + common::LIMIT;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return status.success();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the app did not exit after SIGTERM");
}

async fn get(addr: &str, query: &str) -> Option<String> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let mut peer = RawPeer::from_stream(stream);
    peer.request(1, false, &[("QUERY_STRING", query)], b"")
        .await;
    Some(peer.response(1).await.text())
}

async fn wait_serving(addr: &str) {
    for _ in 0..200 {
        if get(addr, "mode=json").await.is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("nothing serves on {addr}");
}

fn echo(addr: &str, reuse_port: bool) -> Child {
    let mut command = Command::new(example_path("echo"));
    command
        .env("FCGI_BIND", addr)
        .env_remove("LISTEN_FDS")
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    if reuse_port {
        command.env("FCGI_REUSEPORT", "1");
    }
    command.spawn().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_in_flight_requests_then_exits_0() {
    let addr = format!("127.0.0.1:{}", free_port());
    let mut child = echo(&addr, false);
    wait_serving(&addr).await;
    let in_flight = tokio::spawn({
        let addr = addr.clone();
        async move { get(&addr, "mode=sleep&ms=700").await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    sigterm(&child);
    let answered = in_flight
        .await
        .unwrap()
        .expect("the in-flight request was cut");
    assert!(answered.ends_with("slept 700"), "{answered}");
    assert!(wait_exit(&mut child), "SIGTERM must end in exit status 0");
    // Stopped accepting: nothing listens any more.
    assert!(tokio::net::TcpStream::connect(&addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn instances_share_a_port_with_reuseport() {
    let addr = format!("127.0.0.1:{}", free_port());
    let first = echo(&addr, true);
    let mut first = ChildGuard(first);
    wait_serving(&addr).await;
    let mut second = ChildGuard(echo(&addr, true));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        second.0.try_wait().unwrap().is_none(),
        "the second instance could not bind the shared port"
    );
    // Without FCGI_REUSEPORT the port is taken: a clear error.
    let mut third = echo(&addr, false);
    assert!(!wait_exit(&mut third));
    let mut stderr = String::new();
    std::io::Read::read_to_string(third.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("could not listen on"), "{stderr}");

    // Stop one: the other keeps serving every request.
    sigterm(&first.0);
    assert!(wait_exit(&mut first.0));
    for _ in 0..20 {
        let answer = get(&addr, "mode=json")
            .await
            .expect("the remaining instance");
        assert!(answer.contains("\"name\":\"echo\""));
    }
    sigterm(&second.0);
    assert!(wait_exit(&mut second.0));
}

#[tokio::test(flavor = "multi_thread")]
async fn spawn_fcgi_forks_workers_on_one_socket() {
    if !std::path::Path::new("/usr/bin/spawn-fcgi").exists() {
        assert!(
            std::env::var("CI").is_err(),
            "spawn-fcgi missing under CI=true"
        );
        eprintln!("SKIPPED: spawn-fcgi not installed (bash .ci/install-web-servers)");
        return;
    }
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    // Without -n, spawn-fcgi forks -F workers that share the socket on fd
    // 0, prints their pids and exits.
    let output = Command::new("spawn-fcgi")
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-F", "2", "--"])
        .arg(example_path("echo"))
        .env_remove("FCGI_BIND")
        .env_remove("LISTEN_FDS")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    let pids: Vec<u32> = text
        .lines()
        .filter_map(|line| line.rsplit("PID: ").next()?.trim().parse().ok())
        .collect();
    assert_eq!(pids.len(), 2, "spawn-fcgi said: {text}");
    struct Kill(Vec<u32>);
    impl Drop for Kill {
        fn drop(&mut self) {
            for pid in &self.0 {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        }
    }
    let workers = Kill(pids.clone());
    wait_serving(&addr).await;
    // Stop one worker: the other answers everything.
    Command::new("kill")
        .args(["-TERM", &pids[0].to_string()])
        .status()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..20 {
        let answer = get(&addr, "mode=json").await.expect("the other worker");
        assert!(answer.contains("\"name\":\"echo\""));
    }
    drop(workers);
}
