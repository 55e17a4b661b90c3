//! Where the listening socket comes from: fd 0 (as spawn-fcgi, lighttpd's
//! bin-path and mod_fcgid start apps), systemd socket activation (fd 3 with
//! LISTEN_FDS/LISTEN_PID), FCGI_BIND, and the error when none is there.

mod common;

use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{ChildGuard, RawPeer, example_path};

const ENV: &[(&str, &str)] = &[("QUERY_STRING", "from=child")];

async fn ask(addr: &str) -> String {
    // The child may still be starting.
    let mut last = None;
    for _ in 0..100 {
        match tokio::net::TcpStream::connect(addr).await {
            Ok(stream) => {
                let mut peer = RawPeer::from_stream(stream);
                peer.request(1, true, ENV, b"").await;
                return peer.response(1).await.text();
            }
            Err(err) => last = Some(err),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the app never answered on {addr}: {last:?}");
}

#[tokio::test]
async fn serves_on_a_listening_socket_passed_as_fd_0() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let child = Command::new(example_path("hello"))
        .env_remove("FCGI_BIND")
        .env_remove("LISTEN_FDS")
        .stdin(Stdio::from(OwnedFd::from(listener)))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let _guard = ChildGuard(child);
    let text = ask(&addr).await;
    assert!(text.contains("\"QUERY_STRING\":\"from=child\""), "{text}");
    // The socket moved to a descriptor of its own: fd 0 stays open, on
    // /dev/null, so programs the app runs do not inherit the socket.
    let fd0 = std::fs::read_link(format!("/proc/{pid}/fd/0")).unwrap();
    assert_eq!(fd0, std::path::Path::new("/dev/null"));
}

#[tokio::test]
async fn serves_on_a_unix_socket_passed_as_fd_0() {
    let dir = common::temp_dir("fd0-unix");
    let path = dir.join("app.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let child = Command::new(example_path("hello"))
        .env_remove("FCGI_BIND")
        .env_remove("LISTEN_FDS")
        .stdin(Stdio::from(OwnedFd::from(listener)))
        .spawn()
        .unwrap();
    let _guard = ChildGuard(child);
    let stream = tokio::net::UnixStream::connect(&path).await.unwrap();
    let mut peer = RawPeer::from_stream(stream);
    peer.request(1, true, ENV, b"").await;
    assert!(peer.response(1).await.text().contains("from=child"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn serves_under_systemd_socket_activation() {
    // What systemd does: the socket on fd 3, LISTEN_FDS=1 and LISTEN_PID set
    // to the service's own pid (the shell's $$ survives its exec).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let child = Command::new("sh")
        .arg("-c")
        .arg(r#"LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" 3<&0 0</dev/null"#)
        .arg(example_path("hello"))
        .env_remove("FCGI_BIND")
        .stdin(Stdio::from(OwnedFd::from(listener)))
        .spawn()
        .unwrap();
    let _guard = ChildGuard(child);
    assert!(ask(&addr).await.contains("from=child"));
}

#[tokio::test]
async fn serves_on_fcgi_bind() {
    let port = common::free_port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(example_path("hello"))
        .env("FCGI_BIND", &addr)
        .env_remove("LISTEN_FDS")
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = ChildGuard(child);
    assert!(ask(&addr).await.contains("from=child"));
}

#[test]
fn no_socket_is_an_error_naming_the_three_ways() {
    let output = Command::new(example_path("hello"))
        .env_remove("FCGI_BIND")
        .env_remove("LISTEN_FDS")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for needle in ["FCGI_BIND", "LISTEN_FDS", "fd 0"] {
        assert!(stderr.contains(needle), "{needle} missing from: {stderr}");
    }
}

#[test]
fn a_bad_fcgi_bind_says_what_is_expected() {
    let output = Command::new(example_path("hello"))
        .env("FCGI_BIND", "/run/app.sock")
        .env_remove("LISTEN_FDS")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unix:"), "{stderr}");
}

#[tokio::test]
async fn serves_under_spawn_fcgi() {
    // The README's recipe: spawn-fcgi binds and passes the socket as fd 0.
    if !std::path::Path::new("/usr/bin/spawn-fcgi").exists() {
        assert!(
            std::env::var("CI").is_err(),
            "spawn-fcgi is missing under CI=true: .ci/install-web-servers installs it"
        );
        eprintln!("SKIPPED: spawn-fcgi not installed (bash .ci/install-web-servers)");
        return;
    }
    let port = common::free_port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new("spawn-fcgi")
        .args(["-n", "-a", "127.0.0.1", "-p", &port.to_string(), "--"])
        .arg(example_path("hello"))
        .env_remove("FCGI_BIND")
        .env_remove("LISTEN_FDS")
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = ChildGuard(child);
    assert!(ask(&addr).await.contains("from=child"));
}
