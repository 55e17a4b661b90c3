use fastcgi::prelude::*;

#[fcgi_handler]
async fn show(value: impl std::fmt::Display) -> String {
    value.to_string()
}

fn main() {}
