use fastcgi::prelude::*;

#[fcgi_handler]
async fn hello(environ: Environ) -> Json<Environ> {
    let missing = ;
    Json(environ)
}

fn main() {}
