use fastcgi::prelude::*;

#[fcgi_handler]
async fn echo<T: IntoResponse>(value: T) -> T
where
    T: Send,
{
    value
}

fn main() {}
