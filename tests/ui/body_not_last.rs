use fastcgi::prelude::*;

#[derive(serde::Deserialize)]
struct NewNote {
    text: String,
}

/// The body is read by `Json`, then `Body` finds it gone: refused.
#[fcgi_handler]
async fn create(Json(note): Json<NewNote>, body: Body) -> String {
    drop(body);
    note.text
}

/// A body extractor before a parts extractor: refused too.
#[fcgi_handler]
async fn upload(bytes: Bytes, Query(q): Query<std::collections::HashMap<String, String>>) -> String {
    format!("{} {}", bytes.len(), q.len())
}

fn main() {}
