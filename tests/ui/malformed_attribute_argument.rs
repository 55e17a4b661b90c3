use fastcgi::prelude::*;

#[fcgi_handler(crate)]
async fn hello() -> &'static str {
    "hello"
}

#[fcgi_handler(crate = fastcgi)]
async fn bye() -> &'static str {
    "bye"
}

fn main() {}
