use std::net::IpAddr;

use fastcgi::prelude::*;

#[fcgi_handler]
async fn show(_: IpAddr) -> &'static str {
    "ok"
}

fn main() {}
