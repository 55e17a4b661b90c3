//! A newcomer who sets `FCGI_DEV_HTTP` in a build without the `dev-http`
//! feature is told the feature is missing, not that an address is invalid.
//!
//! Only a build of this crate without the feature runs it (the workspace
//! build switches the feature on for the examples):
//! `cargo test -p fastcgi-core --test dev_http_disabled`, as `.ci/run` does.

#![cfg(not(feature = "dev-http"))]

use fastcgi_core::Error;
use fastcgi_core::server::Server;

#[test]
fn fcgi_dev_http_without_the_feature_names_the_feature() {
    // SAFETY: this test binary holds this one test, so no other thread
    // reads the environment while it changes.
    unsafe {
        std::env::set_var("FCGI_DEV_HTTP", "127.0.0.1:8080");
        std::env::remove_var("FCGI_BIND");
        std::env::remove_var("LISTEN_FDS");
    }
    let err = Server::from_env().expect_err("FCGI_DEV_HTTP without dev-http must fail");
    assert!(
        matches!(&err, Error::DevHttpDisabled { value } if value == "127.0.0.1:8080"),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("`dev-http` feature"), "{message}");
    assert!(message.contains(r#"features = ["dev-http"]"#), "{message}");
    assert!(!message.contains("invalid listen address"), "{message}");
}
