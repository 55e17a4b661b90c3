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
