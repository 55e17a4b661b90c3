use fastcgi::prelude::*;

#[fcgi_handler]
async fn forwarded(
    #[fcgi(nme = "HTTP_X_FORWARDED_FOR")] forwarded_for: Option<String>,
    #[fcgi(name = 3)] port: u16,
    #[fcgi(name = "http_user_agent")] agent: String,
    #[fcgi] host: String,
) -> String {
    format!("{forwarded_for:?} {port} {agent} {host}")
}

fn main() {}
