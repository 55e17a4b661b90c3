//! Every shape of handler that must compile.

use std::net::IpAddr;
use std::path::PathBuf;

use fastcgi::prelude::*;

#[derive(serde::Deserialize)]
struct Listing {
    path: String,
}

#[derive(serde::Deserialize, serde::Serialize)]
struct Item {
    name: String,
}

/// Async, by name, by type, renamed, destructured, `Result<impl IntoResponse, StatusCode>`.
#[fcgi_handler]
pub async fn dir_listing(
    document_root: PathBuf,
    remote_addr: Option<IpAddr>,
    #[fcgi(name = "HTTP_X_FORWARDED_FOR")] forwarded_for: Option<String>,
    Query(listing): Query<Listing>,
    _: AbortSignal,
) -> Result<impl IntoResponse, StatusCode> {
    if listing.path.contains("..") {
        return Err(StatusCode::BAD_REQUEST);
    }
    Ok(format!(
        "{} {} {remote_addr:?} {forwarded_for:?}",
        document_root.display(),
        listing.path
    ))
}

/// A plain fn runs on the blocking pool.
#[fcgi_handler]
fn store(r#type: Option<String>, Json(item): Json<Item>) -> (StatusCode, Json<Item>) {
    let _ = r#type;
    (StatusCode::CREATED, Json(item))
}

/// No arguments, no return type.
#[fcgi_handler]
async fn nothing() {}

#[allow(dead_code)]
mod nested {
    use fastcgi::prelude::*;

    #[fcgi_handler(crate = "::fastcgi")]
    pub(crate) async fn whole(request: Request) -> impl IntoResponse {
        request.environ().len().to_string()
    }
}

fn assert_handler<H: Handler + Clone + Copy + std::fmt::Debug + Default>(_: H) {}

fn main() {
    assert_handler(dir_listing);
    assert_handler(store);
    assert_handler(nothing);
    assert_handler(nested::whole);
    let _ = store::handle(None, Json(Item { name: "a".into() }));
    let _ = dir_listing::handle(
        PathBuf::from("/srv"),
        None,
        None,
        Query(Listing { path: ".".into() }),
        AbortSignal::new(),
    );
}
