//! A large request body streamed to a file, chunk by chunk, under a size
//! limit: memory stays flat whatever the size.
//!
//! `UPLOAD_DIR` names the directory (default: the system temp dir);
//! `UPLOAD_LIMIT` the largest body in bytes (default 1 GiB). Behind nginx,
//! raise `client_max_body_size` to match.
//!
//! ```sh
//! FCGI_BIND=127.0.0.1:9000 cargo run --example upload
//! ```

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use fastcgi::prelude::*;
use serde::Serialize;
use tokio::io::AsyncWriteExt;

#[derive(Clone)]
struct Config {
    dir: PathBuf,
    limit: u64,
}

#[derive(Serialize)]
struct Stored {
    path: String,
    bytes: u64,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Stores the body in a new file and answers where and how big.
#[fcgi_handler]
async fn upload(
    State(config): State<Config>,
    content_length: Option<u64>,
    mut body: Body,
) -> Result<Json<Stored>, (StatusCode, String)> {
    if content_length.is_some_and(|n| n > config.limit) {
        return Err((StatusCode::PAYLOAD_TOO_LARGE, "too large\n".into()));
    }
    let path = config.dir.join(format!(
        "upload-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let failed = |e: std::io::Error| (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n"));
    let mut file = tokio::fs::File::create(&path).await.map_err(failed)?;
    let mut bytes = 0u64;
    while let Some(chunk) = body
        .chunk()
        .await
        .map_err(|e| (StatusCode::BAD_REQUEST, format!("{e}\n")))?
    {
        bytes += chunk.len() as u64;
        if bytes > config.limit {
            drop(file);
            let _ = tokio::fs::remove_file(&path).await;
            return Err((StatusCode::PAYLOAD_TOO_LARGE, "too large\n".into()));
        }
        file.write_all(&chunk).await.map_err(failed)?;
    }
    file.flush().await.map_err(failed)?;
    Ok(Json(Stored {
        path: path.display().to_string(),
        bytes,
    }))
}

#[tokio::main]
async fn main() -> Result<(), fastcgi::Error> {
    let config = Config {
        dir: std::env::var_os("UPLOAD_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir),
        limit: std::env::var("UPLOAD_LIMIT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1 << 30),
    };
    Server::from_env()?.with_state(config).serve(upload).await
}
