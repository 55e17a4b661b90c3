use fastcgi::prelude::*;

#[fcgi_handler]
async fn greet(remote_user: &str, environ: &Environ, script_name: Option<&'static str>) -> String {
    format!("{remote_user} {} {script_name:?}", environ.len())
}

fn main() {}
