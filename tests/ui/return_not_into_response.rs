use fastcgi::prelude::*;

struct Page {
    title: String,
}

#[fcgi_handler]
async fn page(query: Query<String>) -> Page {
    Page { title: query.0 }
}

/// A plain fn: the same check.
#[fcgi_handler]
fn page_sync() -> Vec<Page> {
    Vec::new()
}

fn main() {}
