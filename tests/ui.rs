//! Compile-time behaviour of `#[fcgi_handler]`: the handlers that must
//! compile (`tests/ui/pass_*.rs`), and the error each misuse gives, one
//! file per mistake, pinned in `tests/ui/*.stderr`.
//!
//! Regenerate the snapshots with `TRYBUILD=overwrite cargo test --test ui`
//! and read every diff: rustc's wording drifts between releases.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass_*.rs");
    // Every other file (none of the mistakes is named `p...`).
    t.compile_fail("tests/ui/[!p]*.rs");
}
