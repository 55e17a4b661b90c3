//! Several machines: app instances on their own hosts (network namespaces
//! joined by a bridge), nginx on another balancing over them by TCP, and
//! FCGI_WEB_SERVER_ADDRS admitting only the nginx host. Needs root (CI is).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod webserver;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{ChildGuard, example_path};
use webserver::install::{WebServer, locate, under_ci};
use webserver::process::loud;
use webserver::servers;

const SUBNET: &str = "10.77.0";

/// The test's network: namespaces named after this process, removed on
/// drop.
struct Network {
    tag: String,
    namespaces: Vec<String>,
}

fn ip(args: &[&str]) -> Output {
    Command::new("ip")
        .args(args)
        .output()
        .expect("ip (iproute2)")
}

fn ip_ok(args: &[&str]) {
    let out = ip(args);
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Network {
    /// A bridge in its own namespace, and one namespace per host with a
    /// veth into the bridge. `None` when namespaces cannot be made here.
    fn build(hosts: &[(&str, u8)]) -> Option<Self> {
        let tag = format!("{}", std::process::id() % 100_000);
        let switch = format!("fsw{tag}");
        if !ip(&["netns", "add", &switch]).status.success() {
            return None;
        }
        let mut network = Network {
            tag: tag.clone(),
            namespaces: vec![switch.clone()],
        };
        ip_ok(&["-n", &switch, "link", "add", "br0", "type", "bridge"]);
        ip_ok(&["-n", &switch, "link", "set", "br0", "up"]);
        for (host, octet) in hosts {
            let ns = network.ns(host);
            ip_ok(&["netns", "add", &ns]);
            network.namespaces.push(ns.clone());
            let (inside, port) = (format!("v{host}{tag}"), format!("p{host}{tag}"));
            ip_ok(&[
                "link", "add", &inside, "type", "veth", "peer", "name", &port,
            ]);
            ip_ok(&["link", "set", &inside, "netns", &ns]);
            ip_ok(&["link", "set", &port, "netns", &switch]);
            ip_ok(&["-n", &switch, "link", "set", &port, "master", "br0"]);
            ip_ok(&["-n", &switch, "link", "set", &port, "up"]);
            ip_ok(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("{SUBNET}.{octet}/24"),
                "dev",
                &inside,
            ]);
            ip_ok(&["-n", &ns, "link", "set", &inside, "up"]);
            ip_ok(&["-n", &ns, "link", "set", "lo", "up"]);
        }
        Some(network)
    }

    fn ns(&self, host: &str) -> String {
        format!("f{host}{}", self.tag)
    }

    /// `command` run on `host`.
    fn on(&self, host: &str, program: &Path) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.ns(host)]).arg(program);
        command
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        for ns in self.namespaces.iter().rev() {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

/// A FastCGI request from `host` to `addr` with python3's sockets (no
/// client of ours runs inside a namespace): the reply's length in bytes.
fn raw_request_from(network: &Network, host: &str, addr: &str, port: u16) -> usize {
    let script = format!(
        r#"
import socket, struct
def rec(t, body=b''):
    pad = (8 - len(body) % 8) % 8
    return struct.pack('>BBHHBB', 1, t, 1, len(body), pad, 0) + body + b'\0' * pad
s = socket.create_connection(('{addr}', {port}), timeout=5)
s.sendall(rec(1, struct.pack('>HB5x', 1, 0)) + rec(4, bytes([12, 4]) + b'QUERY_STRINGmode') + rec(4) + rec(5))
got = b''
try:
    while True:
        d = s.recv(65536)
        if not d: break
        got += d
except Exception:
    pass
print(len(got))
"#
    );
    let out = network
        .on(host, Path::new("/usr/bin/python3"))
        .args(["-c", &script])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("python3 said: {}", String::from_utf8_lossy(&out.stderr)))
}

fn wait_port(network: &Network, host: &str, addr: &str, port: u16) {
    let deadline = Instant::now() + common::LIMIT;
    loop {
        let probe = network
            .on(host, Path::new("/usr/bin/python3"))
            .args([
                "-c",
                &format!("import socket; socket.create_connection(('{addr}', {port}), timeout=1)"),
            ])
            .stderr(Stdio::null())
            .status()
            .unwrap();
        if probe.success() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "nothing listens on {addr}:{port} from {host}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn nginx_balances_over_app_hosts_and_only_it_may_connect() {
    let Some(nginx) = locate(WebServer::Nginx).unwrap() else {
        return;
    };
    let Some(network) = Network::build(&[("web", 1), ("app1", 11), ("app2", 12), ("evil", 99)])
    else {
        assert!(
            !under_ci(),
            "could not create network namespaces under CI=true (needs root)"
        );
        loud("SKIPPED: cannot create network namespaces here (needs root and iproute2)");
        return;
    };
    let web = format!("{SUBNET}.1");
    let mut apps = Vec::new();
    for (host, octet) in [("app1", 11), ("app2", 12)] {
        apps.push(ChildGuard(
            network
                .on(host, &example_path("echo"))
                .env("FCGI_BIND", format!("{SUBNET}.{octet}:9000"))
                .env("FCGI_WEB_SERVER_ADDRS", &web)
                .env_remove("LISTEN_FDS")
                .stdin(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        ));
        wait_port(&network, "web", &format!("{SUBNET}.{octet}"), 9000);
    }

    let run_dir = common::temp_dir("hosts");
    let conf = servers::nginx_upstreams(
        &run_dir,
        &format!("{SUBNET}.11:9000"),
        &format!("{SUBNET}.12:9000"),
        8080,
    )
    .unwrap();
    let _nginx = ChildGuard(
        servers::nginx_foreground(&mut network.on("web", &nginx), &run_dir, &conf)
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_port(&network, "web", "127.0.0.1", 8080);

    // Through nginx, from the web host: every request answered (nginx
    // sends them round-robin to both app hosts).
    let script = r#"
import http.client, json
for i in range(20):
    c = http.client.HTTPConnection('127.0.0.1', 8080, timeout=5)
    c.request('GET', '/?mode=env')
    r = c.getresponse()
    body = r.read()
    assert r.status == 200, (r.status, body)
    assert json.loads(body)['QUERY_STRING'] == 'mode=env'
print('ok')
"#;
    let out = network
        .on("web", Path::new("/usr/bin/python3"))
        .args(["-c", script])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.starts_with("ok"),
        "through nginx: {said}{}\nnginx log: {}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(run_dir.join("error.log")).unwrap_or_default()
    );

    // Straight to each app from the web host: admitted, a real answer.
    for app in [11, 12] {
        assert!(raw_request_from(&network, "web", &format!("{SUBNET}.{app}"), 9000) > 100);
    }
    // From any other host: closed at once, not one byte of answer.
    for app in [11, 12] {
        assert_eq!(
            raw_request_from(&network, "evil", &format!("{SUBNET}.{app}"), 9000),
            0
        );
    }
    drop(apps);
    let _ = std::fs::remove_dir_all(run_dir);
}
