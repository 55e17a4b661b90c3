//! Handlers that handle rejections themselves, and streams before the body.
use std::net::IpAddr;

use fastcgi::extract::{JsonRejection, MetaVarRejection, QueryRejection};
use fastcgi::prelude::*;

#[derive(serde::Deserialize)]
struct NewNote {
    text: String,
}

#[derive(serde::Deserialize)]
struct Page {
    n: u32,
}

#[fcgi_handler]
async fn create(
    page: Result<Query<Page>, QueryRejection>,
    maybe_page: Option<Query<Page>>,
    remote_addr: Result<IpAddr, MetaVarRejection>,
    note: Result<Json<NewNote>, JsonRejection>,
) -> String {
    let n = page.map(|Query(p)| p.n).unwrap_or(0) + maybe_page.map_or(0, |q| q.n);
    let addr = remote_addr.map(|a| a.to_string()).unwrap_or_default();
    match note {
        Ok(Json(note)) => format!("{n} {addr} {}", note.text),
        Err(rejection) => rejection.to_string(),
    }
}

/// The response writer and FCGI_DATA leave the body alone: they may come
/// first.
#[fcgi_handler]
async fn filter(mut out: ResponseWriter, Data(data): Data, body: Option<Body>) -> std::io::Result<()> {
    drop((data, body));
    out.write(b"Status: 204\r\n\r\n").await
}

fn main() {
    let _ = (create, filter);
}
