//! The Filter role: the web server sends the file to filter on FCGI_DATA
//! (after the request body on FCGI_STDIN), with its length and
//! modification time as `FCGI_DATA_LENGTH` and `FCGI_DATA_LAST_MOD`; the
//! app answers with the filtered document.
//!
//! ```sh
//! FCGI_BIND=127.0.0.1:9000 cargo run --example filter
//! ```

use fastcgi::extract::Data;
use fastcgi::prelude::*;

/// Upper-cases the filtered file.
#[fcgi_handler]
async fn filter(
    Data(file): Data,
    fcgi_data_length: Option<u64>,
) -> Result<impl IntoResponse, StatusCode> {
    let limit = 16 * 1024 * 1024;
    if fcgi_data_length.is_some_and(|n| n > limit as u64) {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let bytes = file
        .to_bytes(limit)
        .await
        .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE)?;
    Ok(Text(String::from_utf8_lossy(&bytes).to_uppercase()))
}

#[tokio::main]
async fn main() -> Result<(), fastcgi::Error> {
    Server::from_env()?.serve(filter).await
}
