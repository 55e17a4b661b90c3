use std::io::{Read, Write};

use fastcgi::prelude::*;

/// A plain fn with the async streams: `body.read(..)` would be the async
/// one, and `out.flush()` a future nobody awaits.
#[fcgi_handler]
fn copy(mut out: ResponseWriter, mut body: Body) -> std::io::Result<()> {
    let mut buf = [0u8; 64];
    let n = Read::read(&mut body, &mut buf)?;
    out.write_all(&buf[..n])?;
    Write::flush(&mut out)
}

fn main() {}
