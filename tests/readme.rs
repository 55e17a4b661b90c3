//! README.md stays true: each deployment recipe it shows is the file the
//! tests run, verbatim; its Rust blocks are what rustdoc compiles; and its
//! install block and first program, pasted into a new project, build and
//! answer the quick start's curl as the example does.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Every `<!-- recipe: PATH -->` marker must be followed by a fenced code
/// block holding exactly that file.
#[test]
fn recipes_in_the_readme_are_the_tested_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let mut checked = 0;
    for (index, _) in readme.match_indices("<!-- recipe: ") {
        let rest = &readme[index + "<!-- recipe: ".len()..];
        let path = &rest[..rest.find(" -->").expect("unclosed recipe marker")];
        let file = std::fs::read_to_string(root.join(path))
            .unwrap_or_else(|e| panic!("README names {path}: {e}"));
        let after = &rest[rest.find("-->").unwrap_or(0) + 3..];
        let fence_start = after.find("```").expect("no code block after the marker");
        let body = &after[fence_start..];
        let body = &body[body.find('\n').expect("fence line") + 1..];
        let end = body.find("\n```").expect("unclosed code block");
        assert_eq!(
            body[..end].trim_end(),
            file.trim_end(),
            "README's copy of {path} differs from the file: run `python3 .ci/sync-readme`"
        );
        checked += 1;
    }
    assert!(checked >= 5, "expected at least 5 recipes, found {checked}");
}

/// One fenced code block of README.md: its info string (`rust,no_run`,
/// `toml`...) and its lines.
struct Block {
    info: String,
    text: String,
}

/// Every fenced code block of `readme`, in order.
fn code_blocks(readme: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, Vec<&str>)> = None;
    for line in readme.lines() {
        match &mut open {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    open = Some((info.trim().to_owned(), Vec::new()));
                }
            }
            Some((info, lines)) => {
                if line == "```" {
                    blocks.push(Block {
                        info: std::mem::take(info),
                        text: lines.join("\n"),
                    });
                    open = None;
                } else {
                    lines.push(line);
                }
            }
        }
    }
    assert!(open.is_none(), "README.md ends inside a code block");
    blocks
}

/// What a reader copies is what rustdoc compiles: no Rust block hides lines
/// (`# ` lines, which GitHub shows as text), none is left uncompiled, and
/// each is a whole program, a whole test file, or says it is a fragment.
#[test]
fn rust_blocks_are_whole_programs_or_marked_fragments_without_hidden_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let mut rust = 0;
    for block in code_blocks(&readme) {
        let first = block.text.lines().next().unwrap_or_default();
        // rustdoc compiles a block without an info string as Rust.
        assert!(
            !block.info.is_empty(),
            "a README block has no language (rustdoc would compile it as Rust): {first}"
        );
        if !block.info.starts_with("rust") {
            continue;
        }
        rust += 1;
        assert!(
            !block.info.contains("ignore"),
            "README Rust blocks are all compiled; `{}` is not: {first}",
            block.info
        );
        for line in block.text.lines() {
            let code = line.trim_start();
            assert!(
                code != "#" && !code.starts_with("# ") && !code.starts_with("##"),
                "README block starting `{first}` hides a line from GitHub's readers: {line:?}"
            );
        }
        let program = block.text.contains("fn main()");
        let test = block.text.contains("#[tokio::test]") || block.text.contains("#[test]");
        assert!(
            program || test || first.starts_with("// Fragment:"),
            "README block starting `{first}` has no `fn main` and no test: start it with `// Fragment:` and say what it is part of"
        );
        assert!(
            !test || block.info.contains("test_harness"),
            "README block starting `{first}` holds tests: mark it `rust,test_harness` so they run"
        );
    }
    assert!(rust >= 8, "expected at least 8 Rust blocks, found {rust}");
}

/// `<!-- example: PATH -->` is followed by a Rust block holding exactly that
/// example, less its leading `//!` doc comment; the first Rust block of the
/// README is the main example.
#[test]
fn examples_in_the_readme_are_the_example_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let marker = "<!-- example: ";
    let mut checked = 0;
    for (index, _) in readme.match_indices(marker) {
        let rest = &readme[index + marker.len()..];
        let path = &rest[..rest.find(" -->").expect("unclosed example marker")];
        let file = std::fs::read_to_string(root.join(path))
            .unwrap_or_else(|e| panic!("README names {path}: {e}"));
        let blocks = code_blocks(&rest[rest.find("-->").unwrap_or(0) + 3..]);
        let block = blocks.first().expect("no code block after the marker");
        assert!(block.info.starts_with("rust"), "{path}: `{}`", block.info);
        assert_eq!(
            block.text.trim_end(),
            without_module_docs(&file).trim_end(),
            "README's copy of {path} differs from the file: run `python3 .ci/sync-readme`"
        );
        checked += 1;
    }
    assert!(checked >= 1, "README shows no example file");

    let first_rust = code_blocks(&readme)
        .into_iter()
        .find(|b| b.info.starts_with("rust"))
        .expect("README has Rust blocks");
    let dir_listing =
        std::fs::read_to_string(root.join("examples/dir_listing.rs")).expect("example");
    assert_eq!(
        first_rust.text.trim_end(),
        without_module_docs(&dir_listing).trim_end(),
        "README's first Rust block must be examples/dir_listing.rs"
    );
}

/// `source` without its leading `//!` lines and the blank lines after them.
fn without_module_docs(source: &str) -> String {
    source
        .lines()
        .skip_while(|line| line.starts_with("//!"))
        .skip_while(|line| line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The issue's "done means", as a newcomer does it: `cargo new myapp` in a
/// scratch directory outside the repository, README's install block as the
/// `[dependencies]` of its `Cargo.toml`, README's first Rust block as
/// `src/main.rs`, `cargo build`, then `FCGI_DEV_HTTP=... ./myapp` asked
/// the quick start's curl. It must answer what `examples/dir_listing.rs`
/// answers in the same directory; started with no socket at all, it must
/// say how to give it one, `FCGI_DEV_HTTP` included.
///
/// The install block's path form (`../fastcgi-rs/fastcgi`) is used verbatim:
/// the scratch directory holds `fastcgi-rs`, a link to this checkout, beside
/// `myapp`. The scratch directory and the target directory
/// (`target/readme-quick-start`) are the same on every run, so only the
/// first build compiles the dependencies.
#[test]
fn the_quick_start_works_in_a_new_project() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let install = section_blocks(&readme, "## Install")
        .into_iter()
        .find(|b| b.info == "toml")
        .expect("README's Install section has a ```toml block")
        .text;
    let program = code_blocks(&readme)
        .into_iter()
        .find(|b| b.info.starts_with("rust"))
        .expect("README has Rust blocks")
        .text;
    let quick_start = section(&readme, "## Quick start");
    let dev_addr = "127.0.0.1:8080";
    assert!(
        section_blocks(&readme, "## Quick start")
            .iter()
            .any(|b| b.info == "sh" && b.text == format!("FCGI_DEV_HTTP={dev_addr} cargo run")),
        "the quick start runs the new project with `FCGI_DEV_HTTP={dev_addr} cargo run`"
    );
    let curl = quick_start
        .split("`curl '")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("the quick start shows `curl 'URL'`");
    let target = curl
        .strip_prefix(&format!("http://{dev_addr}"))
        .expect("the quick start's curl asks the development front");

    let scratch = scratch_dir(root);
    let app_dir = new_project(&scratch, root);
    let manifest_path = app_dir.join("Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path).unwrap();
    let manifest = manifest
        .trim_end()
        .strip_suffix("[dependencies]")
        .expect("`cargo new` ends Cargo.toml with an empty [dependencies] section");
    std::fs::write(&manifest_path, format!("{manifest}{install}\n")).unwrap();
    std::fs::write(app_dir.join("src/main.rs"), format!("{program}\n")).unwrap();
    // The versions this workspace is tested with (cargo drops the entries
    // the new project does not use), rather than whatever is newest today.
    std::fs::copy(root.join("Cargo.lock"), app_dir.join("Cargo.lock")).unwrap();

    let target_dir = root.join("target/readme-quick-start");
    let mut build = Command::new(cargo());
    build
        .arg("build")
        .current_dir(&app_dir)
        .env("CARGO_TARGET_DIR", &target_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let output = run_bounded(build, Duration::from_secs(1200));
    assert!(
        output.0.success(),
        "`cargo build` of the README's quick start failed:\n{}",
        output.1
    );
    let app = target_dir.join("debug/myapp");

    // A directory to list, the same for both programs.
    let listed = scratch.join("listed");
    let _ = std::fs::remove_dir_all(&listed);
    std::fs::create_dir_all(listed.join("sub")).unwrap();
    std::fs::write(listed.join("hello.txt"), "hello").unwrap();

    let ours = answer(&app, &listed, dev_addr, target);
    let example = answer(&example_path("dir_listing"), &listed, dev_addr, target);
    assert_eq!(ours.status, 200, "{}", ours.head);
    assert_eq!(ours.status, example.status);
    assert!(
        ours.head
            .to_ascii_lowercase()
            .contains("content-type: application/x-ndjson"),
        "{}",
        ours.head
    );
    let records = ndjson_by_name(&ours.body);
    assert_eq!(
        records,
        ndjson_by_name(&example.body),
        "the new project and the example answer differently"
    );
    let names: Vec<&str> = records
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["hello.txt", "sub"]);
    assert_eq!(records[0]["type"], "file");
    assert_eq!(records[0]["size"], 5);
    assert_eq!(records[1]["type"], "dir");

    // `cargo run` with no socket and no FCGI_DEV_HTTP: a message that says
    // what to set.
    let mut bare = app_command(&app, &listed);
    bare.stdout(Stdio::null()).stderr(Stdio::piped());
    let (status, stderr) = run_bounded(bare, Duration::from_secs(30));
    assert!(!status.success(), "started without a socket: {stderr}");
    assert!(stderr.contains("no listening socket"), "{stderr}");
    assert!(
        stderr.contains("FCGI_BIND") && stderr.contains("FCGI_DEV_HTTP"),
        "{stderr}"
    );
}

/// The text of the README section that starts with `heading`, up to the
/// next heading of the same level.
fn section<'a>(readme: &'a str, heading: &str) -> &'a str {
    let start = readme
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README has no {heading}"));
    let body = &readme[start + heading.len() + 2..];
    match body.find("\n## ") {
        Some(end) => &body[..end],
        None => body,
    }
}

fn section_blocks(readme: &str, heading: &str) -> Vec<Block> {
    code_blocks(section(readme, heading))
}

fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map_or_else(|| PathBuf::from("cargo"), PathBuf::from)
}

/// A directory outside the repository, the same for every run from this
/// checkout, holding `fastcgi-rs`, a link to the checkout.
fn scratch_dir(root: &Path) -> PathBuf {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    root.hash(&mut hasher);
    let scratch =
        std::env::temp_dir().join(format!("fastcgi-rs-quick-start-{:016x}", hasher.finish()));
    std::fs::create_dir_all(&scratch).unwrap();
    let link = scratch.join("fastcgi-rs");
    if std::fs::read_link(&link).ok().as_deref() != Some(root) {
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(root, &link).unwrap();
    }
    scratch
}

/// `cargo new myapp` in `scratch`, replacing the one of an earlier run.
fn new_project(scratch: &Path, root: &Path) -> PathBuf {
    let app_dir = scratch.join("myapp");
    let _ = std::fs::remove_dir_all(&app_dir);
    let mut new = Command::new(cargo());
    new.args(["new", "--vcs", "none", "myapp"])
        .current_dir(scratch)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let (status, stderr) = run_bounded(new, Duration::from_secs(60));
    assert!(status.success(), "cargo new: {stderr}");
    assert!(
        !app_dir.starts_with(root),
        "the new project must be outside the repository"
    );
    app_dir
}

/// Runs `command` to its end, killed after `limit`: its status and stderr.
fn run_bounded(mut command: Command, limit: Duration) -> (ExitStatus, String) {
    let mut child = command.spawn().expect("spawn");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status, reader.join().unwrap())
}

/// The path of a built example (`cargo test` builds every example first).
fn example_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let path = profile_dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is missing: build it with `cargo build --example {name}`",
        path.display()
    );
    path
}

/// The program started in `dir` with none of the ways to give it a socket.
fn app_command(program: &Path, dir: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .current_dir(dir)
        .env_remove("FCGI_BIND")
        .env_remove("FCGI_DEV_HTTP")
        .env_remove("FCGI_DEV_ROOT")
        .env_remove("LISTEN_FDS")
        .env_remove("LISTEN_PID")
        .stdin(Stdio::null());
    command
}

/// Kills the program when dropped, so a failing test leaves nothing running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct HttpAnswer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

/// `program` started in `dir` as the quick start says, with the
/// development front on a free port instead of `dev_addr`, asked for
/// `target` as curl asks (HTTP/1.0, so the body ends at the close).
fn answer(program: &Path, dir: &Path, dev_addr: &str, target: &str) -> HttpAnswer {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = dev_addr.replace("8080", &port.to_string());
    // Its stderr, for the failure message; one file per program, replaced
    // on every run.
    let name = program.file_name().unwrap().to_string_lossy();
    let log = dir.with_extension(format!("{name}.stderr"));
    let mut command = app_command(program, dir);
    command
        .env("FCGI_DEV_HTTP", &addr)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    let mut running = Running(command.spawn().expect("start the app"));
    for _ in 0..400 {
        if let Ok(mut stream) = TcpStream::connect(&addr) {
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            write!(
                stream,
                "GET {target} HTTP/1.0\r\nHost: {addr}\r\nAccept: */*\r\n\r\n"
            )
            .unwrap();
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).unwrap();
            let end = raw
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .expect("an HTTP head");
            let head = String::from_utf8_lossy(&raw[..end]).into_owned();
            let status = head
                .get(9..12)
                .and_then(|code| code.parse().ok())
                .expect("a status code");
            return HttpAnswer {
                status,
                head,
                body: raw[end + 4..].to_vec(),
            };
        }
        if let Some(status) = running.0.try_wait().unwrap() {
            let stderr = std::fs::read_to_string(&log).unwrap_or_default();
            panic!(
                "{} exited before answering ({status}):\n{stderr}",
                program.display()
            );
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("{} did not answer HTTP on {addr}", program.display());
}

/// NDJSON records, sorted by their `name`.
fn ndjson_by_name(body: &[u8]) -> Vec<serde_json::Value> {
    let text = std::str::from_utf8(body).expect("UTF-8 body");
    let mut records: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON record per line"))
        .collect();
    records.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    records
}
