//! The processes of a deployment: started in the foreground with their
//! output in files, stopped (SIGTERM, then SIGKILL) when dropped, and a
//! reaper that stops them when the test process ends without dropping them
//! (a deployment shared through a `static` is never dropped).

use std::fs::File;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a process gets to stop after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// A free TCP port on 127.0.0.1 (free when asked: bind it soon).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("no free port on 127.0.0.1");
    listener
        .local_addr()
        .expect("bound socket has no address")
        .port()
}

/// A child process with its stdout and stderr in `log`.
pub struct Process {
    pub name: String,
    pub log: PathBuf,
    child: Child,
}

impl Process {
    /// Starts `command` with stdin closed and its output in `log`.
    /// The reaper learns its pid at once.
    pub fn spawn(
        name: &str,
        mut command: Command,
        log: &Path,
        reaper: &mut Reaper,
    ) -> Result<Self, String> {
        let out = File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("cannot clone {}: {e}", log.display()))?;
        command.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {name} ({command:?}): {e}"))?;
        reaper.watch(child.id());
        Ok(Self {
            name: name.to_owned(),
            log: log.to_owned(),
            child,
        })
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// `Err` with the process's output when it has exited.
    pub fn check_running(&mut self) -> Result<(), String> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(format!(
                "{} exited ({status}); its output:\n{}",
                self.name,
                read_tail(&self.log)
            )),
            Err(err) => Err(format!("cannot wait for {}: {err}", self.name)),
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited in time.
    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        signal(self.child.id(), "TERM");
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            if !matches!(self.child.try_wait(), Ok(None)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A shell that stops the processes of a deployment when the test process
/// ends without dropping it (a `static` is never dropped; a test binary may
/// also abort). It reads the pids to stop from its stdin, a pipe whose
/// write end only this process holds; at EOF (the test process is gone) it
/// sends SIGTERM, then SIGKILL to those still alive after 5 s, and removes
/// the run directory. Dropping the reaper kills it first: the deployment
/// then stops its processes itself.
pub struct Reaper {
    child: Child,
    stdin: ChildStdin,
}

impl Reaper {
    pub fn start(run_dir: &Path) -> Result<Self, String> {
        let script = format!(
            "pids=\n\
             while read -r pid; do pids=\"$pids $pid\"; done\n\
             [ -n \"$pids\" ] && kill -TERM $pids 2>/dev/null\n\
             i=0\n\
             while [ -n \"$pids\" ] && [ $i -lt 50 ]; do\n\
               alive=\n\
               for p in $pids; do kill -0 $p 2>/dev/null && alive=1; done\n\
               [ -z \"$alive\" ] && break\n\
               sleep 0.1; i=$((i + 1))\n\
             done\n\
             [ -n \"$pids\" ] && kill -KILL $pids 2>/dev/null\n\
             rm -rf '{}'\n",
            run_dir.display()
        );
        let mut child = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the reaper shell: {e}"))?;
        let stdin = child.stdin.take().ok_or("the reaper has no stdin")?;
        Ok(Self { child, stdin })
    }

    /// Adds a process to stop.
    pub fn watch(&mut self, pid: u32) {
        let _ = writeln!(self.stdin, "{pid}");
        let _ = self.stdin.flush();
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until something accepts TCP connections on `addr`, while every
/// process in `watch` keeps running.
pub fn wait_tcp(
    addr: SocketAddr,
    limit: Duration,
    watch: &mut [&mut Process],
) -> Result<(), String> {
    wait_until(limit, watch, &format!("a listener on {addr}"), || {
        TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
    })
}

/// Waits until something accepts connections on the unix socket `path`.
pub fn wait_unix(path: &Path, limit: Duration, watch: &mut [&mut Process]) -> Result<(), String> {
    wait_until(
        limit,
        watch,
        &format!("a listener on {}", path.display()),
        || std::os::unix::net::UnixStream::connect(path).is_ok(),
    )
}

/// Polls `ready` every 20 ms until it holds, `limit` passes, or a watched
/// process exits.
pub fn wait_until(
    limit: Duration,
    watch: &mut [&mut Process],
    what: &str,
    mut ready: impl FnMut() -> bool,
) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    loop {
        for process in watch.iter_mut() {
            process
                .check_running()
                .map_err(|e| format!("while waiting for {what}: {e}"))?;
        }
        if ready() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!("no {what} after {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The last 4 KiB of a file, for failure messages.
pub fn read_tail(path: &Path) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let start = text.len().saturating_sub(4096);
    String::from_utf8_lossy(&text[start..]).into_owned()
}

/// Writes a line straight to the terminal, past the test harness's output
/// capture: for SKIPPED notices that must be seen.
pub fn loud(line: &str) {
    let mut stderr = std::io::stderr();
    let _ = writeln!(stderr, "{line}");
}

/// Sends `signal` (e.g. "TERM") to `pid`; whether it was delivered.
pub fn signal(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The children of process `pid` (from /proc), e.g. the app lighttpd spawned.
pub fn children(pid: u32) -> Vec<u32> {
    let path = format!("/proc/{pid}/task/{pid}/children");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|id| id.parse().ok())
        .collect()
}
