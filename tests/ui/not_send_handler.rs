use std::rc::Rc;

use fastcgi::prelude::*;

async fn tick() {}

/// An async handler runs on any worker thread: what it holds across an
/// `.await` must be `Send`.
#[fcgi_handler]
async fn counter() -> String {
    let rc = Rc::new(1);
    tick().await;
    rc.to_string()
}

static HITS: std::sync::Mutex<u64> = std::sync::Mutex::new(0);

/// A `std::sync::MutexGuard` held across an `.await`.
#[fcgi_handler]
async fn hits() -> String {
    let mut guard = HITS.lock().unwrap();
    *guard += 1;
    tick().await;
    guard.to_string()
}

/// A plain fn runs on the blocking pool: what it returns must be `Send`.
#[fcgi_handler]
fn counter_sync() -> Rc<String> {
    Rc::new(String::new())
}

fn main() {}
