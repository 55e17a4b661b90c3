//! Files under a directory as responses, through real records: validators,
//! 304, one Range, 404 for everything outside, and the offload headers.

use std::path::PathBuf;

use fastcgi::file::{NamedFile, Offload};
use fastcgi::handler::from_fn;
use fastcgi::request::Request;
use fastcgi::response::IntoResponse;
use fastcgi::testing::TestClient;

struct Tree(PathBuf);

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tree(name: &str) -> Tree {
    let base = std::env::temp_dir().join(format!("ops-files-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(base.join("root/sub dir")).expect("writing the test tree");
    std::fs::create_dir_all(base.join("outside")).expect("writing the test tree");
    std::fs::write(base.join("root/hello.txt"), "hello, file\n").expect("writing the test tree");
    std::fs::write(base.join("root/sub dir/ü.bin"), [1, 2, 3]).expect("writing the test tree");
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(base.join("root/big.bin"), big).expect("writing the test tree");
    std::fs::write(base.join("outside/secret.txt"), "secret").expect("writing the test tree");
    std::os::unix::fs::symlink(base.join("outside"), base.join("root/escape"))
        .expect("writing the test tree");
    Tree(base)
}

/// Serves `?PATH` under the tree's root, offloaded as `offload` says.
fn client(tree: &Tree, offload: Option<Offload>) -> TestClient {
    let root = tree.0.join("root");
    TestClient::new(from_fn(move |request: Request| {
        let root = root.clone();
        let offload = offload.clone();
        async move {
            let path = request.environ().query_string().to_owned();
            let path = percent_decode(&path);
            match NamedFile::open(&root, &path) {
                Ok(file) => file.offload(offload).respond(request.environ()),
                Err(err) => err.into_response(),
            }
        }
    }))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("UTF-8")
}

#[tokio::test]
async fn a_file_comes_whole_with_its_type_length_and_validators() {
    let tree = tree("whole");
    let client = client(&tree, None);
    let response = client.get("/?hello.txt").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text(), "hello, file\n");
    assert_eq!(
        response.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(response.header("content-length"), Some("12"));
    assert_eq!(response.header("accept-ranges"), Some("bytes"));
    let etag = response.header("etag").unwrap();
    assert!(etag.starts_with('"') && etag.ends_with("-c\""), "{etag}");
    assert!(response.header("last-modified").unwrap().ends_with(" GMT"));

    let big = client.get("/?big.bin").send().await.unwrap();
    let expected: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(big.body().as_ref(), expected.as_slice());
    assert_eq!(big.header("content-type"), Some("application/octet-stream"));
}

#[tokio::test]
async fn conditional_requests_get_304() {
    let tree = tree("conditional");
    let client = client(&tree, None);
    let first = client.get("/?hello.txt").send().await.unwrap();
    let etag = first.header("etag").unwrap().to_owned();
    let date = first.header("last-modified").unwrap().to_owned();

    let again = client
        .get("/?hello.txt")
        .header("If-None-Match", &format!("\"other\", W/{etag}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.body().len(), 0);
    assert_eq!(again.header("etag"), Some(etag.as_str()));

    let since = client
        .get("/?hello.txt")
        .header("If-Modified-Since", &date)
        .send()
        .await
        .unwrap();
    assert_eq!(since.status(), 304);

    let changed = client
        .get("/?hello.txt")
        .header("If-None-Match", "\"other\"")
        .header("If-Modified-Since", &date)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200, "If-None-Match decides over the date");
    let old = client
        .get("/?hello.txt")
        .header("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 200);
    assert_eq!(old.text(), "hello, file\n");
}

#[tokio::test]
async fn one_range_gets_206_and_past_the_end_416() {
    let tree = tree("range");
    let client = client(&tree, None);
    let part = client
        .get("/?hello.txt")
        .header("Range", "bytes=7-10")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.text(), "file");
    assert_eq!(part.header("content-range"), Some("bytes 7-10/12"));
    assert_eq!(part.header("content-length"), Some("4"));

    let tail = client
        .get("/?big.bin")
        .header("Range", "bytes=-100000")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), 206);
    let expected: Vec<u8> = (200_000..300_000u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(tail.body().as_ref(), expected.as_slice());

    let past = client
        .get("/?hello.txt")
        .header("Range", "bytes=12-")
        .send()
        .await
        .unwrap();
    assert_eq!(past.status(), 416);
    assert_eq!(past.header("content-range"), Some("bytes */12"));

    let stale = client
        .get("/?hello.txt")
        .header("Range", "bytes=0-0")
        .header("If-Range", "\"not-the-etag\"")
        .send()
        .await
        .unwrap();
    assert_eq!(
        stale.status(),
        200,
        "If-Range that does not match: the whole file"
    );
    assert_eq!(stale.text(), "hello, file\n");
}

#[tokio::test]
async fn anything_but_a_file_under_the_root_is_404() {
    let tree = tree("outside");
    let client = client(&tree, None);
    for path in [
        "missing.txt",
        "sub%20dir",
        "../outside/secret.txt",
        "escape/secret.txt",
        "",
    ] {
        let response = client.get(&format!("/?{path}")).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert!(!response.text().contains("secret"), "{path}");
    }
}

#[tokio::test]
async fn offloaded_files_are_headers_only() {
    let tree = tree("offload");
    let nginx = client(
        &tree,
        Some(Offload::XAccelRedirect {
            prefix: "/internal/".into(),
        }),
    );
    let response = nginx.get("/?sub%20dir/%C3%BC.bin").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.header("x-accel-redirect"),
        Some("/internal/sub%20dir/%C3%BC.bin")
    );
    assert_eq!(response.body().len(), 0);
    assert!(response.header("etag").is_some());
    assert!(response.header("last-modified").is_some());
    assert_eq!(
        response.header("content-type"),
        Some("application/octet-stream")
    );

    let sendfile = client(&tree, Some(Offload::XSendfile));
    let response = sendfile.get("/?hello.txt").send().await.unwrap();
    let resolved = tree.0.join("root/hello.txt").canonicalize().unwrap();
    assert_eq!(
        response.header("x-sendfile"),
        Some(resolved.to_str().unwrap())
    );
    assert_eq!(response.body().len(), 0);
    // Still 404 for what is not there.
    let missing = sendfile.get("/?escape/secret.txt").send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.header("x-sendfile").is_none());
}
