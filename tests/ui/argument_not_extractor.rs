use fastcgi::prelude::*;

struct Config {
    verbose: bool,
}

#[fcgi_handler]
async fn show(environ: Environ, config: Config) -> String {
    format!("{} {}", environ.len(), config.verbose)
}

fn main() {}
