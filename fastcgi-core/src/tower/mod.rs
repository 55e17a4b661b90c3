//! tower and axum over FastCGI (feature `tower`).
//!
//! Two directions:
//!
//! - **A tower service as the app.** [`from_service`] serves any
//!   [`tower_service::Service`] that takes `http::Request<Body>` and
//!   answers `http::Response<B>` with an [`http_body::Body`] (an axum
//!   `Router`, a tower-http `ServeDir`, a hand-written service) over
//!   FastCGI: the request built from the params, its body streamed from
//!   FCGI_STDIN, the response streamed to FCGI_STDOUT as a CGI document.
//! - **Tower middleware around handlers.** [`Router::layer`],
//!   [`Router::route_layer`] and [`MethodRouter::layer`] wrap routes in any
//!   [`tower_layer::Layer`], so tower-http's middleware (timeouts, tracing,
//!   compression, CORS, body limits) works unchanged; [`Extension<T>`]
//!   takes what a layer inserted.
//!
//! ```no_run
//! # #[cfg(any())] mod axum { pub struct Router; }
//! # mod axum {
//! #     #[derive(Clone)] pub struct Router;
//! #     impl Router { pub fn new() -> Self { Router } }
//! #     impl tower_service::Service<http::Request<fastcgi::request::Body>> for Router {
//! #         type Response = http::Response<String>; type Error = std::convert::Infallible;
//! #         type Future = std::future::Ready<Result<Self::Response, Self::Error>>;
//! #         fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> { std::task::Poll::Ready(Ok(())) }
//! #         fn call(&mut self, _: http::Request<fastcgi::request::Body>) -> Self::Future { std::future::ready(Ok(http::Response::new(String::new()))) }
//! #     }
//! # }
//! use fastcgi::server::Server;
//! use fastcgi::tower::from_service;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), fastcgi::Error> {
//!     let app = axum::Router::new(); // .route("/", get(...)) ...
//!     Server::from_env()?.serve(from_service(app)).await
//! }
//! ```
//!
//! The library depends only on the trait crates (`tower-service`,
//! `tower-layer`, `http-body`), not on tower, hyper or axum.
//!
//! [`Router::layer`]: crate::routing::Router::layer
//! [`Router::route_layer`]: crate::routing::Router::route_layer
//! [`MethodRouter::layer`]: crate::routing::MethodRouter::layer

mod body;
mod convert;
mod service;

pub use crate::extract::{Extension, MissingExtension, RemoteAddr};
pub use service::{FromService, HandlerService, Route, from_service, into_service};
