use fastcgi::prelude::*;

struct App;

impl App {
    #[fcgi_handler]
    async fn hello(&self, environ: Environ) -> Json<Environ> {
        Json(environ)
    }
}

fn main() {}
