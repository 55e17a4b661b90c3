use fastcgi::prelude::*;

#[fcgi_handler(path = "/hello")]
async fn hello() -> &'static str {
    "hello"
}

fn main() {}
