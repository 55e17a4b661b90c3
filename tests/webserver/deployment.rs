//! A running deployment: the web server, the echo app, their logs, the
//! client side of the tests, and the clean-up when it is over.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::http;
use super::process::{self, Process, Reaper};
use crate::common;

/// How long a server or the app may take to start.
const START_LIMIT: Duration = Duration::from_secs(15);

/// Which example runs behind the web server, and how to tell it is ready.
#[derive(Debug, Clone, Copy)]
pub struct App {
    /// The example's name (`cargo run --example NAME`).
    pub name: &'static str,
    /// A GET that answers 200 with `ready_body` once the app serves.
    pub probe: &'static str,
    pub ready_body: &'static [u8],
}

impl App {
    /// The conformance app every web test runs.
    pub const ECHO: App = App {
        name: "echo",
        probe: "/?mode=json",
        ready_body: br#"{"name":"echo","n":3,"tags":["a","b"]}"#,
    };
}

/// A web server and the echo app behind it, stopped when dropped.
pub struct Deployment {
    /// Names the deployment in failure messages, e.g. `nginx (app on a unix socket)`.
    pub label: String,
    /// Where the web server listens.
    pub http: SocketAddr,
    pub run_dir: PathBuf,
    /// The web server's error log, where FCGI_STDERR lines go.
    pub error_log: PathBuf,
    /// The recipe's placeholders and their values.
    pub vars: Vec<(&'static str, String)>,
    /// The example behind the web server.
    pub program: App,
    /// ECHO_OFFLOAD for the app: how this server takes files over.
    pub offload: Option<&'static str>,
    turn: tokio::sync::Mutex<()>,
    web: Option<Process>,
    app: Option<Process>,
    /// Processes the web server started itself (lighttpd's app).
    spawned: Vec<u32>,
    reaper: Option<Reaper>,
}

impl Drop for Deployment {
    fn drop(&mut self) {
        drop(self.reaper.take());
        if let Some(mut web) = self.web.take() {
            web.stop();
        }
        // The web server stops what it started; these are for one that
        // did not.
        for signal in ["TERM", "KILL"] {
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline && self.spawned.iter().any(|pid| alive(*pid)) {
                std::thread::sleep(Duration::from_millis(20));
            }
            for pid in self.spawned.iter().filter(|pid| alive(**pid)) {
                process::signal(*pid, signal);
            }
        }
        if let Some(mut app) = self.app.take() {
            app.stop();
        }
        let _ = std::fs::remove_dir_all(&self.run_dir);
    }
}

fn alive(pid: u32) -> bool {
    // A zombie (exited, not yet reaped by init) counts as gone.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| !stat.rsplit(") ").next().unwrap_or("").starts_with('Z'))
}

impl Deployment {
    /// Waits for this test's turn: the checks of one deployment run one at
    /// a time, so timings (streaming) are not disturbed by a 20 MiB upload
    /// running beside them.
    pub async fn turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.turn.lock().await
    }

    /// `template` with this deployment's `{{PLACEHOLDERS}}` filled in.
    pub fn render(&self, template: &str) -> String {
        render(template, &self.vars)
    }

    /// The tails of the web server's error log and of each process's
    /// output, for failure messages.
    pub fn diagnostics(&self) -> String {
        let mut out = format!(
            "--- {} error log {}:\n{}",
            self.label,
            self.error_log.display(),
            process::read_tail(&self.error_log)
        );
        for process in self.web.iter().chain(self.app.iter()) {
            out.push_str(&format!(
                "\n--- {} output {}:\n{}",
                process.name,
                process.log.display(),
                process::read_tail(&process.log)
            ));
        }
        out
    }

    /// Sends `request` and reads the whole response, within `limit`;
    /// panics with the server's logs when that fails.
    pub async fn send_within(
        &self,
        request: &http::Request<'_>,
        limit: Duration,
    ) -> http::Response {
        match tokio::time::timeout(limit, http::send(self.http, request)).await {
            Ok(Ok(response)) => response,
            Ok(Err(err)) => panic!(
                "{}: {} {} failed: {err}\n{}",
                self.label,
                request.method,
                request.target,
                self.diagnostics()
            ),
            Err(_) => panic!(
                "{}: {} {} got no whole response within {limit:?}\n{}",
                self.label,
                request.method,
                request.target,
                self.diagnostics()
            ),
        }
    }

    /// `send_within` with the usual limit of 30 s.
    pub async fn send(&self, request: &http::Request<'_>) -> http::Response {
        self.send_within(request, Duration::from_secs(30)).await
    }

    pub async fn get(&self, target: &str) -> http::Response {
        self.send(&http::Request::get(target)).await
    }
}

impl Deployment {
    /// An empty deployment whose reaper is already watching.
    pub(super) fn new(
        label: String,
        http: SocketAddr,
        run_dir: PathBuf,
        vars: Vec<(&'static str, String)>,
    ) -> Result<Self, String> {
        let reaper = Reaper::start(&run_dir)?;
        Ok(Self {
            label,
            http,
            error_log: run_dir.join("error.log"),
            run_dir,
            vars,
            program: App::ECHO,
            offload: None,
            turn: tokio::sync::Mutex::new(()),
            web: None,
            app: None,
            spawned: Vec::new(),
            reaper: Some(reaper),
        })
    }

    fn reaper(&mut self) -> &mut Reaper {
        self.reaper
            .as_mut()
            .expect("the reaper is there until drop")
    }

    /// Runs `program` instead of the echo example.
    pub(super) fn with_program(mut self, program: App) -> Self {
        self.program = program;
        self
    }

    /// The app hands files to the web server as ECHO_OFFLOAD=`offload` says.
    pub(super) fn with_offload(mut self, offload: &'static str) -> Self {
        self.offload = Some(offload);
        self
    }

    /// Starts the example listening on `bind` (FCGI_BIND's syntax).
    pub(super) fn start_app(&mut self, bind: &str) -> Result<(), String> {
        let name = self.program.name;
        let offload = self.offload;
        let app = start_app(&self.run_dir.clone(), bind, name, offload, self.reaper())?;
        self.app = Some(app);
        Ok(())
    }

    /// Starts the web server, its output in RUN_DIR/NAME.out.
    pub(super) fn start_web(&mut self, name: &str, command: Command) -> Result<(), String> {
        let log = self.run_dir.join(format!("{name}.out"));
        let web = Process::spawn(name, command, &log, self.reaper())?;
        self.web = Some(web);
        Ok(())
    }
}

/// Fills `{{NAME}}` placeholders.
pub fn render(template: &str, vars: &[(&'static str, String)]) -> String {
    let mut text = template.to_owned();
    for (name, value) in vars {
        text = text.replace(&format!("{{{{{name}}}}}"), value);
    }
    text
}

/// Starts the example `name` listening on `bind` (FCGI_BIND's syntax).
fn start_app(
    run_dir: &Path,
    bind: &str,
    name: &str,
    offload: Option<&str>,
    reaper: &mut Reaper,
) -> Result<Process, String> {
    let mut command = Command::new(common::example_path(name));
    if let Some(offload) = offload {
        command.env("ECHO_OFFLOAD", offload);
    }
    command
        .env("FCGI_BIND", bind)
        .envs(super::ops::APP_ENV)
        .env_remove("LISTEN_FDS")
        .env_remove("LISTEN_PID")
        .current_dir(run_dir);
    let mut app = Process::spawn(name, command, &run_dir.join("app.log"), reaper)?;
    match bind.strip_prefix("unix:") {
        Some(path) => process::wait_unix(Path::new(path), START_LIMIT, &mut [&mut app])?,
        None => {
            let addr = bind
                .parse()
                .map_err(|e| format!("bad address {bind}: {e}"))?;
            process::wait_tcp(addr, START_LIMIT, &mut [&mut app])?
        }
    }
    Ok(app)
}

/// Waits until the web server answers and the app behind it too: the
/// program's probe answered 200 with its ready body (for echo, a GET of
/// `/?mode=json` answered with its typed JSON).
async fn wait_ready(deployment: &mut Deployment) -> Result<(), String> {
    let mut watch: Vec<&mut Process> = deployment.web.iter_mut().collect();
    process::wait_tcp(deployment.http, START_LIMIT, &mut watch)?;
    let deadline = Instant::now() + START_LIMIT;
    let program = deployment.program;
    let request = http::Request::get(program.probe);
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Some(web) = deployment.web.as_mut() {
            web.check_running()?;
        }
        match tokio::time::timeout(
            Duration::from_secs(5),
            http::send(deployment.http, &request),
        )
        .await
        {
            Ok(Ok(response)) if response.status == 200 && response.body == program.ready_body => {
                return Ok(());
            }
            Ok(Ok(response)) => last = response.describe(),
            Ok(Err(err)) => last = err.to_string(),
            Err(_) => last = "no answer within 5 s".into(),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!(
        "{} did not serve GET {} within {START_LIMIT:?}; last: {last}\n{}",
        deployment.label,
        program.probe,
        deployment.diagnostics()
    ))
}

/// Finishes a deployment whose processes are started: waits until it
/// serves, then tells the reaper about the processes the web server
/// started itself.
pub(super) async fn ready(mut deployment: Deployment) -> Result<Option<Deployment>, String> {
    wait_ready(&mut deployment).await?;
    if let Some(web) = &deployment.web {
        deployment.spawned = process::children(web.id());
    }
    if let Some(reaper) = deployment.reaper.as_mut() {
        for pid in &deployment.spawned {
            reaper.watch(*pid);
        }
    }
    Ok(Some(deployment))
}
