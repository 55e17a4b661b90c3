use fastcgi::prelude::*;

#[fcgi_handler(openapi(tags = "items", status = 700, response(description = "gone"), operation_id = create))]
async fn create_item() -> StatusCode {
    StatusCode::CREATED
}

#[fcgi_handler(openapi = "items")]
async fn list_items() -> &'static str {
    "items"
}

fn main() {}
