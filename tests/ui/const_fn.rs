use fastcgi::prelude::*;

#[fcgi_handler]
const fn hello() -> &'static str {
    "hello"
}

#[fcgi_handler]
unsafe fn danger() -> &'static str {
    "danger"
}

fn main() {}
