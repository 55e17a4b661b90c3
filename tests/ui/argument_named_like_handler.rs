use std::path::PathBuf;

use fastcgi::prelude::*;

#[fcgi_handler]
async fn document_root(document_root: PathBuf) -> String {
    document_root.display().to_string()
}

fn main() {}
