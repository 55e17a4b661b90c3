//! How each web server is set up: its recipe from `examples/deploy/`
//! written into a fresh run directory, the app started (or left to the
//! server to start), the server started in the foreground.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::deployment::{App, Deployment, ready};
use super::install::{self, WebServer};
use super::process;
use crate::common;

/// Where the app listens when the tests start it (nginx, Apache).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppSocket {
    Tcp,
    Unix,
}

/// Writes the recipe `examples/deploy/NAME`, placeholders filled in, into
/// the run directory.
fn write_recipe(
    name: &str,
    run_dir: &Path,
    vars: &[(&'static str, String)],
) -> Result<PathBuf, String> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/deploy")
        .join(name);
    let template = std::fs::read_to_string(&source)
        .map_err(|e| format!("cannot read the recipe {}: {e}", source.display()))?;
    let text = super::deployment::render(&template, vars);
    if let Some(at) = text.find("{{") {
        let rest: String = text[at..].chars().take(40).collect();
        return Err(format!(
            "{}: placeholder left unfilled: {rest}",
            source.display()
        ));
    }
    let path = run_dir.join(name);
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// A fresh run directory with an empty document root, readable by all
/// (Apache's workers run as www-data).
fn run_dir(name: &str) -> Result<PathBuf, String> {
    use std::os::unix::fs::PermissionsExt;
    let dir = common::temp_dir(name);
    let www = dir.join("www");
    std::fs::create_dir_all(&www).map_err(|e| format!("cannot create {}: {e}", www.display()))?;
    for path in [&dir, &www] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("cannot chmod {}: {e}", path.display()))?;
    }
    Ok(dir)
}

/// The run directory's name and the label of a deployment of `program`:
/// echo's as they were, another example's named after it.
fn labelled(name: &str, label: &str, program: App) -> (String, String) {
    if program.name == App::ECHO.name {
        (name.to_owned(), label.to_owned())
    } else {
        (
            format!("{name}-{}", program.name),
            format!("{label}, example {}", program.name),
        )
    }
}

fn base_vars(run_dir: &Path, port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("RUN_DIR", run_dir.display().to_string()),
        ("DOC_ROOT", run_dir.join("www").display().to_string()),
        ("HTTP_PORT", port.to_string()),
    ]
}

/// nginx in front of the app listening on TCP or on a unix socket
/// (`examples/deploy/nginx.conf`). `Ok(None)`: nginx is missing and the
/// tests are skipped.
pub async fn nginx(socket: AppSocket) -> Result<Option<Deployment>, String> {
    nginx_with(socket, App::ECHO).await
}

/// [`nginx`] in front of another example.
pub async fn nginx_with(socket: AppSocket, program: App) -> Result<Option<Deployment>, String> {
    let Some(nginx) = install::locate(WebServer::Nginx)? else {
        return Ok(None);
    };
    let (name, label) = match socket {
        AppSocket::Tcp => ("web-nginx-tcp", "nginx (app on TCP)"),
        AppSocket::Unix => ("web-nginx-unix", "nginx (app on a unix socket)"),
    };
    let (name, label) = labelled(name, label, program);
    let dir = run_dir(&name)?;
    let port = process::free_port();
    let app_addr = match socket {
        AppSocket::Tcp => format!("127.0.0.1:{}", process::free_port()),
        AppSocket::Unix => format!("unix:{}", dir.join("echo.sock").display()),
    };
    let mut vars = base_vars(&dir, port);
    vars.push(("APP_ADDR", app_addr.clone()));
    let mut deployment = Deployment::new(label, ([127, 0, 0, 1], port).into(), dir.clone(), vars)?
        .with_program(program)
        .with_offload("nginx:/internal/");
    deployment.start_app(&app_addr)?;
    let conf = write_recipe("nginx.conf", &dir, &deployment.vars)?;
    let mut command = Command::new(nginx);
    nginx_foreground(&mut command, &dir, &conf);
    deployment.start_web("nginx", command)?;
    ready(deployment).await
}

/// Adds to `command` (nginx, or a wrapper that runs it) the arguments
/// that run nginx from `run_dir` with `conf`, in the foreground and as one
/// process, its error log in `run_dir/error.log`: as the recipes say to
/// start it.
pub fn nginx_foreground<'c>(
    command: &'c mut Command,
    run_dir: &Path,
    conf: &Path,
) -> &'c mut Command {
    command
        .arg("-p")
        .arg(run_dir)
        .arg("-c")
        .arg(conf)
        .arg("-e")
        .arg(run_dir.join("error.log"))
        .args(["-g", "daemon off; master_process off;"])
}

/// Writes the recipe `examples/deploy/nginx-upstreams.conf` into
/// `run_dir`: nginx on 127.0.0.1:`http_port` balancing over the app
/// instances at `app_a` and `app_b` (FCGI_BIND's TCP syntax). Returns the
/// config file's path.
pub fn nginx_upstreams(
    run_dir: &Path,
    app_a: &str,
    app_b: &str,
    http_port: u16,
) -> Result<PathBuf, String> {
    let vars = [
        ("RUN_DIR", run_dir.display().to_string()),
        ("HTTP_PORT", http_port.to_string()),
        ("APP_A", app_a.to_owned()),
        ("APP_B", app_b.to_owned()),
    ];
    write_recipe("nginx-upstreams.conf", run_dir, &vars)
}

/// Writes the recipe `examples/deploy/nginx-one-address.conf` into
/// `run_dir`: nginx on 127.0.0.1:`http_port` in front of the one app
/// address `app` (nginx's syntax: `127.0.0.1:9000` or `unix:/path`).
/// Returns the config file's path.
pub fn nginx_one_address(run_dir: &Path, app: &str, http_port: u16) -> Result<PathBuf, String> {
    let vars = [
        ("RUN_DIR", run_dir.display().to_string()),
        ("HTTP_PORT", http_port.to_string()),
        ("APP", app.to_owned()),
    ];
    write_recipe("nginx-one-address.conf", run_dir, &vars)
}

/// Writes the recipe `examples/deploy/apache.conf` into a fresh run
/// directory named `name`: Apache on 127.0.0.1:`http_port` in front of the
/// app at `app` (TCP). Returns the run directory and the config file.
pub fn apache_conf(name: &str, app: &str, http_port: u16) -> Result<(PathBuf, PathBuf), String> {
    let dir = run_dir(name)?;
    let mut vars = base_vars(&dir, http_port);
    vars.push(("APP_ADDR", app.to_owned()));
    let conf = write_recipe("apache.conf", &dir, &vars)?;
    Ok((dir, conf))
}

/// lighttpd, which starts the app itself with its listening socket on fd 0
/// (`examples/deploy/lighttpd.conf`).
pub async fn lighttpd() -> Result<Option<Deployment>, String> {
    lighttpd_with(App::ECHO).await
}

/// [`lighttpd`] in front of another example.
pub async fn lighttpd_with(program: App) -> Result<Option<Deployment>, String> {
    let Some(lighttpd) = install::locate(WebServer::Lighttpd)? else {
        return Ok(None);
    };
    let (name, label) = labelled("web-lighttpd", "lighttpd (app spawned on fd 0)", program);
    let dir = run_dir(&name)?;
    let port = process::free_port();
    let mut vars = base_vars(&dir, port);
    vars.push((
        "APP_BIN",
        common::example_path(program.name).display().to_string(),
    ));
    let mut deployment = Deployment::new(label, ([127, 0, 0, 1], port).into(), dir.clone(), vars)?
        .with_program(program)
        .with_offload("x-sendfile");
    let conf = write_recipe("lighttpd.conf", &dir, &deployment.vars)?;
    let mut command = Command::new(lighttpd);
    // lighttpd passes its environment on to the app: without these removed,
    // the app would listen where they say instead of on fd 0.
    command
        .arg("-D")
        .arg("-f")
        .arg(&conf)
        .env_remove("FCGI_BIND")
        .env_remove("LISTEN_FDS")
        .env_remove("LISTEN_PID")
        .envs(super::ops::APP_ENV)
        .env("ECHO_OFFLOAD", "x-sendfile")
        .current_dir(&dir);
    deployment.start_web("lighttpd", command)?;
    ready(deployment).await
}

/// Where Debian's libapache2-mod-xsendfile puts the module.
const MOD_XSENDFILE: &str = "/usr/lib/apache2/modules/mod_xsendfile.so";

/// Apache httpd with mod_proxy_fcgi in front of the app on TCP
/// (`examples/deploy/apache.conf`).
pub async fn apache() -> Result<Option<Deployment>, String> {
    apache_with(App::ECHO).await
}

/// [`apache`] in front of another example.
pub async fn apache_with(program: App) -> Result<Option<Deployment>, String> {
    let Some(apache) = install::locate(WebServer::Apache)? else {
        return Ok(None);
    };
    let (name, label) = labelled("web-apache", "apache (mod_proxy_fcgi, app on TCP)", program);
    let dir = run_dir(&name)?;
    let port = process::free_port();
    let app_addr = format!("127.0.0.1:{}", process::free_port());
    let mut vars = base_vars(&dir, port);
    vars.push(("APP_ADDR", app_addr.clone()));
    let mut deployment = Deployment::new(label, ([127, 0, 0, 1], port).into(), dir.clone(), vars)?
        .with_program(program);
    // The recipe loads mod_xsendfile when it is installed; without it the
    // app serves its files itself.
    if Path::new(MOD_XSENDFILE).exists() {
        deployment = deployment.with_offload("x-sendfile");
    } else {
        process::loud(&format!(
            "SKIPPED the X-Sendfile check behind Apache: {MOD_XSENDFILE} is missing (apt-get install libapache2-mod-xsendfile)"
        ));
    }
    deployment.start_app(&app_addr)?;
    let conf = write_recipe("apache.conf", &dir, &deployment.vars)?;
    let mut command = Command::new(apache);
    command
        .arg("-f")
        .arg(&conf)
        .arg("-DFOREGROUND")
        .current_dir(&dir);
    deployment.start_web("apache2", command)?;
    ready(deployment).await
}
