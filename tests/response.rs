//! Every `IntoResponse` impl, as the web server receives it: the CGI
//! status, headers and body that come back over real FastCGI records, and
//! what reaches FCGI_STDERR when a response turns into a 500.

use std::borrow::Cow;
use std::convert::Infallible;

use bytes::Bytes;
use fastcgi::client::{ClientError, ClientResponse};
use fastcgi::extract::Text;
use fastcgi::handler::from_fn;
use fastcgi::prelude::*;
use fastcgi::response::{HeaderMap, HeaderValue, ResponseBody, unfold};
use fastcgi::testing::TestClient;

/// What the web server gets for a handler returning `make()`.
async fn served<R, F>(make: F) -> Result<ClientResponse, ClientError>
where
    F: Fn() -> R + Send + Sync + 'static,
    R: IntoResponse + Send + 'static,
{
    let client = TestClient::new(from_fn(move |_| {
        let response = make();
        async move { response }
    }));
    client.get("/").await
}

/// Status, content type, content length and body.
fn summary(response: &ClientResponse) -> (u16, Option<&str>, Option<&str>, Cow<'_, str>) {
    (
        response.status().as_u16(),
        response.header("content-type"),
        response.header("content-length"),
        response.text(),
    )
}

const TEXT: Option<&str> = Some("text/plain; charset=utf-8");
const OCTETS: Option<&str> = Some("application/octet-stream");

#[tokio::test]
async fn text_is_utf8_plain_text_with_its_length() -> Result<(), ClientError> {
    let expected = (200, TEXT, Some("2"), Cow::Borrowed("hi"));
    assert_eq!(summary(&served(|| "hi").await?), expected);
    assert_eq!(summary(&served(|| "hi".to_owned()).await?), expected);
    assert_eq!(summary(&served(|| Cow::Borrowed("hi")).await?), expected);
    let owned: fn() -> Cow<'static, str> = || Cow::Owned("hi".to_owned());
    assert_eq!(summary(&served(owned).await?), expected);
    assert_eq!(summary(&served(|| Text("hi".to_owned())).await?), expected);
    Ok(())
}

#[tokio::test]
async fn bytes_are_an_octet_stream() -> Result<(), ClientError> {
    let expected = (200, OCTETS, Some("3"), Cow::Borrowed("abc"));
    assert_eq!(summary(&served(|| b"abc".to_vec()).await?), expected);
    assert_eq!(
        summary(&served(|| Bytes::from_static(b"abc")).await?),
        expected
    );
    assert_eq!(summary(&served(|| &b"abc"[..]).await?), expected);
    Ok(())
}

#[tokio::test]
async fn unit_and_status_are_empty_documents() -> Result<(), ClientError> {
    assert_eq!(
        summary(&served(|| ()).await?),
        (200, None, Some("0"), Cow::Borrowed(""))
    );
    assert_eq!(
        summary(&served(|| StatusCode::NO_CONTENT).await?),
        (204, None, Some("0"), Cow::Borrowed(""))
    );
    let teapot = served(|| StatusCode::IM_A_TEAPOT).await?;
    assert_eq!(teapot.status(), 418);
    Ok(())
}

#[tokio::test]
async fn status_and_headers_tuples() -> Result<(), ClientError> {
    let created = served(|| (StatusCode::CREATED, "made")).await?;
    assert_eq!(
        summary(&created),
        (201, TEXT, Some("4"), Cow::Borrowed("made"))
    );

    let tagged = served(|| ([("etag", "\"v1\""), ("content-type", "text/csv")], "a,b")).await?;
    assert_eq!(tagged.status(), 200);
    assert_eq!(tagged.header("etag"), Some("\"v1\""));
    assert_eq!(tagged.header("content-type"), Some("text/csv"));

    let map = served(|| {
        let mut headers = HeaderMap::new();
        headers.append("x-one", HeaderValue::from_static("1"));
        headers.append("x-one", HeaderValue::from_static("2"));
        (StatusCode::ACCEPTED, headers, "ok")
    })
    .await?;
    assert_eq!(map.status(), 202);
    let values: Vec<&str> = map
        .headers()
        .get_all("x-one")
        .iter()
        .map(|v| v.to_str().unwrap_or("?"))
        .collect();
    assert_eq!(values, ["1", "2"]);

    // A header that cannot be sent turns the response into a 500 (the
    // status of the tuple does not override it), with the reason logged.
    let bad = served(|| (StatusCode::CREATED, [("x-bad", "a\nb")], "never")).await?;
    assert_eq!(bad.status(), 500);
    assert!(
        bad.stderr_text()
            .contains("invalid response header \"x-bad\""),
        "{}",
        bad.stderr_text()
    );
    Ok(())
}

#[tokio::test]
async fn results_answer_with_either_side() -> Result<(), ClientError> {
    let ok: fn() -> Result<&'static str, StatusCode> = || Ok("fine");
    assert_eq!(served(ok).await?.text(), "fine");
    let err: fn() -> Result<&'static str, StatusCode> = || Err(StatusCode::FORBIDDEN);
    assert_eq!(served(err).await?.status(), 403);
    let never: fn() -> Result<&'static str, Infallible> = || Ok("infallible");
    assert_eq!(served(never).await?.text(), "infallible");
    Ok(())
}

#[tokio::test]
async fn io_errors_are_500s_with_the_error_on_stderr() -> Result<(), ClientError> {
    let response = served(|| std::io::Error::other("disk on fire")).await?;
    assert_eq!(
        summary(&response),
        (
            500,
            TEXT,
            Some("22"),
            Cow::Borrowed("Internal Server Error\n")
        )
    );
    assert!(response.stderr_text().contains("I/O error: disk on fire"));
    Ok(())
}

#[tokio::test]
async fn http_responses_and_bodies_go_out_as_built() -> Result<(), ClientError> {
    let built = served(|| {
        http::Response::builder()
            .status(StatusCode::PARTIAL_CONTENT)
            .header("content-range", "bytes 0-1/10")
            .body("ab")
            .unwrap_or_default()
    })
    .await?;
    assert_eq!(built.status(), 206);
    assert_eq!(built.header("content-range"), Some("bytes 0-1/10"));
    assert_eq!(built.text(), "ab");

    let full = served(|| ResponseBody::full("xyz")).await?;
    assert_eq!(
        summary(&full),
        (200, OCTETS, Some("3"), Cow::Borrowed("xyz"))
    );
    let empty = served(ResponseBody::empty).await?;
    assert_eq!(summary(&empty), (200, None, Some("0"), Cow::Borrowed("")));
    Ok(())
}

#[derive(serde::Serialize)]
struct Item {
    id: u32,
}

#[tokio::test]
async fn json_is_serialized_or_a_500() -> Result<(), ClientError> {
    let item = served(|| Json(Item { id: 3 })).await?;
    assert_eq!(
        summary(&item),
        (
            200,
            Some("application/json"),
            Some("8"),
            Cow::Borrowed(r#"{"id":3}"#)
        )
    );
    // JSON object keys must be strings.
    let unserializable =
        served(|| Json(std::collections::BTreeMap::from([((1, 2), "pair key")]))).await?;
    assert_eq!(unserializable.status(), 500);
    assert!(
        unserializable
            .stderr_text()
            .contains("could not serialize the JSON response")
    );
    Ok(())
}

#[tokio::test]
async fn html_is_utf8_html() -> Result<(), ClientError> {
    let page = served(|| Html("<h1>hi</h1>")).await?;
    assert_eq!(
        summary(&page),
        (
            200,
            Some("text/html; charset=utf-8"),
            Some("11"),
            Cow::Borrowed("<h1>hi</h1>")
        )
    );
    let owned = served(|| Html(String::from("<p>x</p>"))).await?;
    assert_eq!(owned.text(), "<p>x</p>");
    Ok(())
}

#[tokio::test]
async fn redirects_local_and_client() -> Result<(), ClientError> {
    let local = served(|| Redirect::to("/elsewhere?x=1")).await?;
    assert_eq!(local.local_redirect(), Some("/elsewhere?x=1"));
    let found = served(|| Redirect::to("https://example.com/")).await?;
    assert_eq!(found.status(), 302);
    assert_eq!(found.header("location"), Some("https://example.com/"));
    assert_eq!(found.local_redirect(), None);
    for (redirect, status) in [
        (Redirect::moved_permanently as fn(&str) -> Redirect, 301),
        (Redirect::found, 302),
        (Redirect::see_other, 303),
        (Redirect::temporary, 307),
        (Redirect::permanent, 308),
    ] {
        let response = served(move || redirect("/moved")).await?;
        assert_eq!(response.status(), status);
        assert_eq!(response.header("location"), Some("/moved"));
        assert_eq!(response.local_redirect(), None);
    }
    let with_body = served(|| Redirect::to("/next").with_body("text/plain", "go on")).await?;
    assert_eq!(
        summary(&with_body),
        (302, Some("text/plain"), Some("5"), Cow::Borrowed("go on"))
    );
    let invalid = served(|| Redirect::to("/bad\nheader")).await?;
    assert_eq!(invalid.status(), 500);
    assert!(!invalid.stderr_text().is_empty());
    Ok(())
}

/// A streamed body of `items`, then `failure` if any, one item per step.
fn chunks(
    items: &'static [&'static str],
    failure: Option<&'static str>,
    content_type: Option<&'static str>,
) -> impl IntoResponse + Send + 'static {
    let stream = unfold(0, move |i| async move {
        match items.get(i) {
            Some(item) => Some((Ok(*item), i + 1)),
            None if i == items.len() => failure.map(|f| (Err(std::io::Error::other(f)), i + 1)),
            None => None,
        }
    });
    match content_type {
        Some(content_type) => StreamBody::new(stream).content_type(content_type),
        None => StreamBody::new(stream),
    }
}

#[tokio::test]
async fn streamed_bodies_go_out_as_they_come_and_end_early_on_an_error() -> Result<(), ClientError>
{
    let streamed = served(|| chunks(&["a", "b", "c"], None, None)).await?;
    assert_eq!(streamed.status(), 200);
    assert_eq!(streamed.header("content-length"), None);
    assert_eq!(streamed.header("content-type"), OCTETS);
    assert_eq!(streamed.text(), "abc");

    let typed = served(|| chunks(&["x"], None, Some("text/event-stream"))).await?;
    assert_eq!(typed.header("content-type"), Some("text/event-stream"));

    let failed = served(|| chunks(&["a", "b"], Some("backend gone"), None)).await?;
    assert_eq!(failed.status(), 200);
    assert_eq!(failed.text(), "ab");
    assert!(
        failed
            .stderr_text()
            .contains("the response stream failed, ending the response early: backend gone"),
        "{}",
        failed.stderr_text()
    );
    Ok(())
}

#[tokio::test]
async fn ndjson_is_one_record_per_line() -> Result<(), ClientError> {
    let records = served(|| {
        Ndjson(unfold(1, |id| async move {
            (id <= 3).then(|| (Item { id }, id + 1))
        }))
    })
    .await?;
    assert_eq!(records.header("content-type"), Some("application/x-ndjson"));
    assert_eq!(records.text(), "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n");

    let failing = served(|| {
        TryNdjson(unfold(1, |id| async move {
            match id {
                1 | 2 => Some((Ok(Item { id }), id + 1)),
                3 => Some((Err(std::io::Error::other("query failed")), id + 1)),
                _ => None,
            }
        }))
    })
    .await?;
    assert_eq!(failing.header("content-type"), Some("application/x-ndjson"));
    assert_eq!(failing.text(), "{\"id\":1}\n{\"id\":2}\n");
    assert!(
        failing.stderr_text().contains("query failed"),
        "{}",
        failing.stderr_text()
    );
    Ok(())
}

#[tokio::test]
async fn rejections_are_responses() -> Result<(), ClientError> {
    // An unsafe path is a plain 404: nothing to tell the client.
    let escape = served(|| {
        fastcgi::path::safe_join(std::path::Path::new("/srv"), "../etc/passwd").map(|_| "joined")
    })
    .await?;
    assert_eq!(
        summary(&escape),
        (404, TEXT, Some("10"), Cow::Borrowed("Not Found\n"))
    );
    // The extractors' rejections: tests/extract.rs.
    Ok(())
}
