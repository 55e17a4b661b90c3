//! README.md stays true: each deployment recipe it shows is the file the
//! tests run, verbatim.

use std::path::Path;

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
