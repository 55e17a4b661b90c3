//! The Filter role: the web server sends the file to filter on FCGI_DATA
//! (after the request body on FCGI_STDIN), with its length and
//! modification time as `FCGI_DATA_LENGTH` and `FCGI_DATA_LAST_MOD`; the
//! app answers with the filtered document.
//!
//! The file is filtered as it arrives, each piece sent on at once: a file
//! of any size costs about one record's worth of memory.
//!
//! ```sh
//! FCGI_BIND=127.0.0.1:9000 cargo run --example filter
//! ```

use bytes::Bytes;
use fastcgi::extract::Data;
use fastcgi::prelude::*;
use fastcgi::request::Body;
use fastcgi::response::{StreamBody, unfold};

/// Upper-cases the filtered file, piece by piece.
#[fcgi_handler]
async fn filter(Data(file): Data) -> impl IntoResponse {
    // The state: the file, and the start of a UTF-8 character cut in two
    // by a record boundary (at most 3 bytes), kept for the next piece.
    let pieces = unfold(
        (file, Vec::new()),
        |(mut file, mut carry): (Body, Vec<u8>)| async move {
            loop {
                match file.chunk().await {
                    Ok(Some(bytes)) => {
                        carry.extend_from_slice(&bytes);
                        let complete = complete_utf8_len(&carry);
                        let upper = String::from_utf8_lossy(&carry[..complete]).to_uppercase();
                        carry.drain(..complete);
                        if !upper.is_empty() {
                            return Some((Ok(Bytes::from(upper)), (file, carry)));
                        }
                    }
                    Ok(None) if carry.is_empty() => return None,
                    // A file that ends inside a character: U+FFFD, as for any
                    // invalid UTF-8.
                    Ok(None) => {
                        let upper = String::from_utf8_lossy(&carry).to_uppercase();
                        return Some((Ok(Bytes::from(upper)), (file, Vec::new())));
                    }
                    // Ends the response early, with the error on FCGI_STDERR.
                    Err(err) => return Some((Err(err), (file, Vec::new()))),
                }
            }
        },
    );
    StreamBody::new(pieces).content_type("text/plain; charset=utf-8")
}

/// The length of `bytes` without a UTF-8 sequence left incomplete at its
/// end (one that the next piece completes).
fn complete_utf8_len(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for back in 1..=n.min(3) {
        let byte = bytes[n - back];
        // Continuation bytes are 10xxxxxx; the first other byte from the
        // end starts the last sequence.
        if byte & 0xC0 != 0x80 {
            let needed = match byte {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => 1,
            };
            return if needed > back { n - back } else { n };
        }
    }
    n
}

#[tokio::main]
async fn main() -> Result<(), fastcgi::Error> {
    Server::from_env()?.serve(filter).await
}
