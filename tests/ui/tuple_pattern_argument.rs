use fastcgi::prelude::*;

#[fcgi_handler]
async fn sum((a, b): (u8, u8)) -> String {
    (a + b).to_string()
}

fn main() {}
