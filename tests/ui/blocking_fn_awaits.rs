use fastcgi::prelude::*;

async fn lookup() -> String {
    String::from("x")
}

/// A plain fn that awaits: the error is on the `.await`.
#[fcgi_handler]
fn show() -> String {
    let background = async { lookup().await };
    drop(background);
    lookup().await
}

/// A handler with a mistake is still a handler type: serving it and
/// calling `handle` add no errors of their own.
#[fcgi_handler]
async fn by_ref(name: &str) -> String {
    name.to_owned()
}

#[tokio::main]
async fn main() -> Result<(), fastcgi::Error> {
    let _ = show::handle().await;
    let _ = by_ref::handle("x").await;
    let _ = Router::new().route("/", get(show)).route("/r", get(by_ref));
    Server::from_env()?.serve(by_ref).await
}
