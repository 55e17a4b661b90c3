use fastcgi::prelude::*;

#[fcgi_handler]
extern "C" fn hello() -> u32 {
    200
}

fn main() {}
