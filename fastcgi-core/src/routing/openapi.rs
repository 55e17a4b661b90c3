//! A [`Router`]'s OpenAPI document (feature `openapi`): its routes'
//! handlers, described by themselves, and the route that serves it.

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use schemars::json_schema;

use super::Router;
use super::pattern::Part;
use crate::handler::Handler;
use crate::openapi::{DocumentBuilder, Info, OpenApi, Operation, PatternParam};
use crate::request::Request;
use crate::response::{Response, ResponseBody};

/// The methods an OpenAPI path item can hold.
const OPENAPI_METHODS: [&str; 8] = [
    "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE",
];

impl Router {
    /// The OpenAPI 3.1 document of the routes added so far: one operation
    /// per route and method, described by its handler (see the
    /// [`openapi`](crate::openapi) module).
    ///
    /// What could not be described is in [`OpenApi::gaps`]; a fallback
    /// and nested routers' fallbacks are not operations and are left out.
    pub fn openapi(&self, info: &Info) -> OpenApi {
        let mut builder = DocumentBuilder::new();
        for (pattern, methods) in self.routes() {
            let params: Vec<PatternParam<'_>> = pattern
                .parts
                .iter()
                .filter_map(|part| match part {
                    Part::Static(_) => None,
                    Part::Param(name) => Some(PatternParam {
                        name,
                        catch_all: false,
                    }),
                    Part::CatchAll(name) => Some(PatternParam {
                        name,
                        catch_all: true,
                    }),
                })
                .collect();
            let (endpoints, any) = methods.endpoints();
            for (method, endpoint) in endpoints {
                if OPENAPI_METHODS.contains(&method) {
                    builder.operation(
                        &pattern.text,
                        &params,
                        method,
                        endpoint.describe_operation(),
                    );
                } else {
                    builder.gap(
                        method,
                        &pattern.text,
                        "OpenAPI 3.1 has no place for this method: the operation is left out",
                    );
                }
            }
            if any.is_some() {
                builder.gap(
                    "*",
                    &pattern.text,
                    "served for any method (`any`): OpenAPI lists methods one by one, so this handler is left out; route it with `get`, `post`...",
                );
            }
        }
        builder.finish(info)
    }

    /// Serves this router's OpenAPI document (of the routes added so far)
    /// as JSON at `path`, for `GET`, and logs what it could not describe
    /// as warnings, once, now: at start-up.
    ///
    /// ```
    /// use fastcgi_core::openapi::Info;
    /// use fastcgi_core::routing::Router;
    ///
    /// let app = Router::new()
    ///     // .route(...) for each route first
    ///     .openapi_route("/openapi.json", Info::new("Items", "1.0"));
    /// ```
    ///
    /// # Panics
    ///
    /// As [`route`](Self::route): when `path` is malformed or taken.
    pub fn openapi_route(self, path: &str, info: Info) -> Self {
        let document = self.openapi(&info);
        for gap in document.gaps() {
            tracing::warn!("OpenAPI document at {path}: {gap}");
        }
        let json = Bytes::from(document.to_json());
        self.route(path, super::get(ServeDocument(json)))
    }

    /// Serves, for `GET` at `path`, a page that shows the document at
    /// `document_url` in a browser: Scalar's API reference, whose script
    /// the page loads from the jsDelivr CDN (the page is a few lines; the
    /// viewer is not compiled into the app). A relative `document_url`
    /// (`openapi.json`) keeps working wherever the web server mounts the
    /// app.
    ///
    /// ```
    /// use fastcgi_core::openapi::Info;
    /// use fastcgi_core::routing::Router;
    ///
    /// let app = Router::new()
    ///     .openapi_route("/openapi.json", Info::new("Items", "1.0"))
    ///     .openapi_viewer("/docs", "openapi.json");
    /// ```
    ///
    /// # Panics
    ///
    /// As [`route`](Self::route).
    pub fn openapi_viewer(self, path: &str, document_url: &str) -> Self {
        let page = format!(
            "<!doctype html>\n<html>\n<head><meta charset=\"utf-8\"><title>API reference</title></head>\n<body>\n<script id=\"api-reference\" data-url=\"{}\"></script>\n<script src=\"{VIEWER_SCRIPT}\"></script>\n</body>\n</html>\n",
            escape_attribute(document_url)
        );
        self.route(path, super::get(ServePage(Bytes::from(page))))
    }
}

/// The viewer's script, pinned to a major version.
const VIEWER_SCRIPT: &str = "https://cdn.jsdelivr.net/npm/@scalar/api-reference@1";

/// `text` safe inside a double-quoted HTML attribute.
fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Answers with the viewer page.
#[derive(Clone)]
struct ServePage(Bytes);

impl Handler for ServePage {
    async fn call(&self, _request: Request) -> Response {
        let mut response = Response::new(ResponseBody::full(self.0.clone()));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            const { HeaderValue::from_static("text/html; charset=utf-8") },
        );
        response
    }

    fn describe_operation(&self) -> Option<crate::openapi::DescribeFn> {
        Some(describe_page)
    }
}

fn describe_page(operation: &mut Operation<'_>) {
    operation.summary("This API's reference, for a browser");
    operation.operation_id("openapi_viewer");
    operation.response_content(
        StatusCode::OK,
        Some("An HTML page"),
        "text/html; charset=utf-8",
        Some(json_schema!({ "type": "string" })),
    );
}

/// Answers with the document, as built once.
#[derive(Clone)]
struct ServeDocument(Bytes);

impl Handler for ServeDocument {
    async fn call(&self, _request: Request) -> Response {
        let mut response = Response::new(ResponseBody::full(self.0.clone()));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            const { HeaderValue::from_static("application/json") },
        );
        response
    }

    fn describe_operation(&self) -> Option<crate::openapi::DescribeFn> {
        Some(describe_document)
    }
}

fn describe_document(operation: &mut Operation<'_>) {
    operation.summary("This API's OpenAPI 3.1 document");
    operation.operation_id("openapi_document");
    operation.response_content(
        StatusCode::OK,
        Some("The document"),
        "application/json",
        Some(json_schema!({ "type": "object", "required": ["openapi", "info"] })),
    );
}
