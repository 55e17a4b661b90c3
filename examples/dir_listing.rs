//! simple-fastcgi's second example: `?path=sub` streams the entries of
//! `DOCUMENT_ROOT/sub` as NDJSON records `{"name","type","size","mtime"}`,
//! each sent as soon as it is read.
//!
//! Unlike simple-fastcgi, it never lists anything outside `DOCUMENT_ROOT`: the
//! path goes through [`safe_join`], which refuses `..`, and symlinks that
//! lead out of the root. A missing directory, or any refused path, is 404.
//!
//! ```sh
//! FCGI_BIND=127.0.0.1:9000 cargo run --example dir_listing
//! ```

use std::path::PathBuf;
use std::time::UNIX_EPOCH;

use fastcgi::path::safe_join;
use fastcgi::prelude::*;
use fastcgi::response::unfold;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Listing {
    /// The directory to list, relative to the document root.
    #[serde(default)]
    path: String,
}

/// One directory entry.
#[derive(Serialize)]
struct Entry {
    name: String,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    /// Milliseconds since the epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    mtime: Option<u64>,
}

/// Streams the listing of `DOCUMENT_ROOT/path`.
#[fcgi_handler]
async fn dir_listing(
    document_root: PathBuf,
    Query(listing): Query<Listing>,
) -> Result<impl IntoResponse, StatusCode> {
    let dir = safe_join(&document_root, &listing.path).map_err(|_| StatusCode::NOT_FOUND)?;
    let entries = tokio::fs::read_dir(&dir)
        .await
        .map_err(|_| StatusCode::NOT_FOUND)?;
    Ok(Ndjson(unfold(entries, |mut entries| async move {
        loop {
            let entry = entries.next_entry().await.ok()??;
            if let Some(record) = describe(&entry).await {
                return Some((record, entries));
            }
        }
    })))
}

/// The record for one entry; `None` for what is neither a file nor a
/// directory (sockets, broken links...), which simple-fastcgi skips too.
async fn describe(entry: &tokio::fs::DirEntry) -> Option<Entry> {
    // Follows symlinks, like simple-fastcgi's `is_dir()` / `stat()`.
    let metadata = tokio::fs::metadata(entry.path()).await.ok()?;
    let kind = if metadata.is_dir() {
        "dir"
    } else if metadata.is_file() {
        "file"
    } else {
        return None;
    };
    let mtime = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as u64);
    Some(Entry {
        name: entry.file_name().to_string_lossy().into_owned(),
        kind,
        size: Some(metadata.len()),
        mtime,
    })
}

#[tokio::main]
async fn main() -> Result<(), fastcgi::Error> {
    Server::from_env()?.serve(dir_listing).await
}
