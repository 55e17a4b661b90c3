use fastcgi::prelude::*;

#[fcgi_handler]
struct Hello;

fn main() {}
