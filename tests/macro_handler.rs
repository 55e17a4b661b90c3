use std::path::PathBuf;
use fastcgi::prelude::*;

#[derive(serde::Deserialize)]
struct Listing { path: String }

/// Lists.
#[fcgi_handler]
pub async fn dir_listing(document_root: PathBuf, Query(listing): Query<Listing>) -> Result<impl IntoResponse, StatusCode> {
    Ok(format!("{}/{}", document_root.display(), listing.path))
}

#[fcgi_handler]
fn sync_one(#[fcgi(name = "HTTP_X_FOO")] foo: Option<String>, _: Environ) -> String {
    format!("{foo:?}")
}

#[test]
fn it() {}
