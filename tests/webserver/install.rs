//! Finding a web server, and installing it with apt-get when it is missing
//! and the tests run as root. Under CI a server that is still missing is a
//! failure; elsewhere the tests say loudly that they were skipped.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use super::process::loud;

/// The web servers the tests run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebServer {
    Nginx,
    Lighttpd,
    Apache,
}

impl WebServer {
    pub fn name(self) -> &'static str {
        match self {
            Self::Nginx => "nginx",
            Self::Lighttpd => "lighttpd",
            Self::Apache => "apache2",
        }
    }

    /// The Debian package that brings everything below.
    fn package(self) -> &'static str {
        match self {
            Self::Nginx => "nginx",
            Self::Lighttpd => "lighttpd",
            Self::Apache => "apache2",
        }
    }

    /// The executable, then every other file the recipe needs.
    fn files(self) -> &'static [&'static str] {
        match self {
            Self::Nginx => &["/usr/sbin/nginx", "/etc/nginx/fastcgi_params"],
            Self::Lighttpd => &["/usr/sbin/lighttpd"],
            Self::Apache => &[
                "/usr/sbin/apache2",
                "/usr/lib/apache2/modules/mod_mpm_event.so",
                "/usr/lib/apache2/modules/mod_proxy_fcgi.so",
            ],
        }
    }

    fn missing(self) -> Vec<&'static str> {
        self.files()
            .iter()
            .copied()
            .filter(|file| !Path::new(file).exists())
            .collect()
    }
}

/// Whether the tests run under CI (`CI=true`), where nothing may be skipped.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| !matches!(value.as_str(), "" | "0" | "false"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// apt-get runs one at a time, and `apt-get update` once per test process.
static APT: Mutex<bool> = Mutex::new(false);

/// Runs a command, its output captured; `Err` with that output on failure.
fn run(args: &[&str]) -> Result<(), String> {
    let out = Command::new("timeout")
        .arg("900")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {args:?}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let start = text.len().saturating_sub(3000);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    Err(format!(
        "{args:?} failed ({}):\n{}",
        out.status,
        &text[start..]
    ))
}

fn apt_install(package: &str) -> Result<(), String> {
    let mut updated = APT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !*updated {
        run(&["apt-get", "update"])?;
        *updated = true;
    }
    run(&[
        "apt-get",
        "install",
        "-y",
        "--no-install-recommends",
        package,
    ])?;
    // Where the package started its system service, stop it: the tests run
    // their own instance, and nothing should hold port 80.
    let _ = Command::new("service")
        .args([package, "stop"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    Ok(())
}

/// The server's executable; installs the server when it is missing and we
/// are root. `Ok(None)`: missing outside CI, the caller skips (a loud
/// `SKIPPED` line has been printed). `Err`: missing under CI.
pub fn locate(server: WebServer) -> Result<Option<PathBuf>, String> {
    let binary = PathBuf::from(server.files()[0]);
    if server.missing().is_empty() {
        return Ok(Some(binary));
    }
    let mut why = format!("missing {:?}", server.missing());
    if is_root() {
        loud(&format!(
            "{} is not installed: apt-get install -y {}",
            server.name(),
            server.package()
        ));
        if let Err(err) = apt_install(server.package()) {
            why.push_str(&format!("; installing it failed: {err}"));
        }
        if server.missing().is_empty() {
            return Ok(Some(binary));
        }
    } else {
        why.push_str("; not root, so not installed by the tests");
    }
    if under_ci() {
        return Err(format!(
            "{} is not installed and CI=true: {why}",
            server.name()
        ));
    }
    loud(&format!(
        "SKIPPED: {} not installed ({why}); install the `{}` package to run these tests",
        server.name(),
        server.package()
    ));
    Ok(None)
}
