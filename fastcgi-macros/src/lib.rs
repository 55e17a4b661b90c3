//! The `#[fcgi_handler]` attribute of the [`fastcgi`](https://docs.rs/fastcgi) crate.
//!
//! Depend on `fastcgi` and use the attribute through it; this crate holds only
//! the proc-macro code.
