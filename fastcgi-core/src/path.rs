//! Joining an untrusted, client-chosen path onto a directory without ever
//! leaving it: the safe version of simple-fastcgi's `os.path.join(doc_root,
//! path.lstrip("/."))`, which `a/../../etc` escapes.
//!
//! ```
//! use fastcgi::path::{safe_join, PathError};
//! # let root = std::env::temp_dir().join(format!("doc-safe-join-{}", std::process::id()));
//! # std::fs::create_dir_all(root.join("sub")).unwrap();
//! // `/sub` and `sub/` both mean the `sub` directory under the root.
//! let dir = safe_join(&root, "/sub/").unwrap();
//! assert!(dir.ends_with("sub"));
//! assert!(matches!(safe_join(&root, "sub/../../etc"), Err(PathError::ParentComponent)));
//! assert!(matches!(safe_join(&root, "missing"), Err(PathError::NotFound(_))));
//! # std::fs::remove_dir_all(&root).unwrap();
//! ```

use std::io;
use std::path::{Component, Path, PathBuf};

use http::StatusCode;

use crate::response::{IntoResponse, Response};

/// Why an untrusted path was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The path has a `..` component.
    #[error("the path contains `..`; only paths below the root are allowed")]
    ParentComponent,
    /// The path has a NUL byte or a backslash (a Windows separator that
    /// some clients send to slip past `/`-based checks).
    #[error("the path contains a NUL byte or a backslash")]
    InvalidCharacter,
    /// The path does not exist (or cannot be read) under the root.
    #[error("no such file or directory under the root: {0}")]
    NotFound(#[source] io::Error),
    /// The path exists but resolves outside the root, through a symlink.
    #[error("the path leads outside the root through a symbolic link")]
    OutsideRoot,
}

/// Joins `untrusted` (a URL-style path from a query string or PATH_INFO,
/// already percent-decoded) onto `root`, and returns the resolved path,
/// which is guaranteed to exist and to lie inside `root`.
///
/// - A leading `/` means the root itself, so `/sub` is `root/sub`; empty
///   components and `.` are skipped.
/// - `..`, NUL bytes and backslashes are refused outright, before touching
///   the file system.
/// - The joined path is resolved (`canonicalize`: symlinks followed), and
///   refused when the result is not inside the resolved root, so a symlink
///   inside the root that points out of it cannot be used.
///
/// Percent-encoded dots (`%2e%2e`) are decoded once by the query string or
/// the web server and then refused as `..`; a doubly encoded one stays a
/// literal name.
pub fn safe_join(root: &Path, untrusted: &str) -> Result<PathBuf, PathError> {
    if untrusted.contains(['\0', '\\']) {
        return Err(PathError::InvalidCharacter);
    }
    let mut joined = root.to_path_buf();
    for component in Path::new(untrusted).components() {
        match component {
            Component::Normal(name) => joined.push(name),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir => return Err(PathError::ParentComponent),
            Component::Prefix(_) => return Err(PathError::InvalidCharacter),
        }
    }
    let root = root.canonicalize().map_err(PathError::NotFound)?;
    let resolved = joined.canonicalize().map_err(PathError::NotFound)?;
    if resolved.starts_with(&root) {
        Ok(resolved)
    } else {
        Err(PathError::OutsideRoot)
    }
}

/// Every refusal is a plain 404, so a client learns nothing about what lies
/// outside the root.
impl IntoResponse for PathError {
    fn into_response(self) -> Response {
        (StatusCode::NOT_FOUND, "Not Found\n").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tree(PathBuf);

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn tree(name: &str) -> Tree {
        let base = std::env::temp_dir().join(format!("safe-join-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("root/sub/deeper")).unwrap();
        std::fs::create_dir_all(base.join("outside")).unwrap();
        std::fs::write(base.join("outside/secret"), "x").unwrap();
        std::os::unix::fs::symlink(base.join("outside"), base.join("root/escape")).unwrap();
        std::os::unix::fs::symlink(base.join("root/sub"), base.join("root/inner")).unwrap();
        Tree(base)
    }

    #[test]
    fn joins_below_the_root() {
        let t = tree("below");
        let root = t.0.join("root");
        for ok in [
            "",
            "/",
            ".",
            "sub",
            "/sub",
            "sub/",
            "./sub//deeper",
            "inner/deeper",
        ] {
            let path = safe_join(&root, ok).unwrap_or_else(|e| panic!("{ok:?}: {e}"));
            assert!(path.starts_with(root.canonicalize().unwrap()), "{ok:?}");
        }
    }

    #[test]
    fn refuses_every_way_out() {
        let t = tree("out");
        let root = t.0.join("root");
        for bad in [
            "..",
            "../outside",
            "sub/../../outside",
            "/..",
            "sub/..",
            "a/../../etc",
        ] {
            assert!(
                matches!(safe_join(&root, bad), Err(PathError::ParentComponent)),
                "{bad:?}"
            );
        }
        assert!(matches!(
            safe_join(&root, "escape"),
            Err(PathError::OutsideRoot)
        ));
        assert!(matches!(
            safe_join(&root, "escape/secret"),
            Err(PathError::OutsideRoot)
        ));
        assert!(matches!(
            safe_join(&root, "sub\\..\\.."),
            Err(PathError::InvalidCharacter)
        ));
        assert!(matches!(
            safe_join(&root, "sub\0"),
            Err(PathError::InvalidCharacter)
        ));
        assert!(matches!(
            safe_join(&root, "nope"),
            Err(PathError::NotFound(_))
        ));
        // A literal, doubly-encoded name is just a name that does not exist.
        assert!(matches!(
            safe_join(&root, "%2e%2e"),
            Err(PathError::NotFound(_))
        ));
        // Absolute paths are rooted at the root, not at `/`.
        assert!(matches!(
            safe_join(&root, "/etc/passwd"),
            Err(PathError::NotFound(_))
        ));
    }
}
