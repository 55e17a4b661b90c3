use fastcgi::prelude::*;

struct Page {
    title: String,
}

#[fcgi_handler]
async fn page(query: Query<String>) -> Page {
    Page { title: query.0 }
}

fn main() {}
