//! The OpenAPI document of examples/openapi.rs, proved valid by an
//! independent validator (openapi-spec-validator, through
//! `.ci/openapi-check`), and true: every operation it documents is driven
//! through `TestClient`, and each real response is checked against the
//! documented statuses, media types and JSON Schemas (the Python
//! `jsonschema` package, in the same script).

#![allow(clippy::unwrap_used)]

mod common;

#[allow(dead_code)]
#[path = "../examples/openapi.rs"]
mod example;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use fastcgi::client::ClientResponse;
use fastcgi::server::Server;
use fastcgi::testing::TestClient;
use serde_json::{Value, json};

/// Runs `.ci/openapi-check` on `document` (and `exchanges`): its exit
/// status and what it wrote on stderr. Fails the test, saying why, when
/// the check cannot run at all: a validator that did not run proves
/// nothing.
fn check(name: &str, document: &Value, exchanges: Option<&Value>) -> (bool, String) {
    let dir = common::temp_dir(&format!("openapi-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let doc_path = dir.join("openapi.json");
    std::fs::write(&doc_path, document.to_string()).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".ci/openapi-check");
    let mut command = Command::new("python3");
    command.arg(&script).arg(&doc_path);
    if let Some(exchanges) = exchanges {
        let path = dir.join("exchanges.json");
        std::fs::write(&path, exchanges.to_string()).unwrap();
        command.arg(path);
    }
    let output = command.output().unwrap_or_else(|err| {
        panic!(
            "cannot run `python3 {}` ({err}): install Python 3 to validate the OpenAPI document",
            script.display()
        )
    });
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    match output.status.code() {
        Some(0) => (true, stderr),
        Some(1) => (false, stderr),
        other => panic!(
            "the OpenAPI check could not run (exit {other:?}): {stderr}{}",
            String::from_utf8_lossy(&output.stdout)
        ),
    }
}

fn document() -> Value {
    let document = example::routes().openapi(&example::info());
    assert!(
        document.gaps().is_empty(),
        "the example is described fully: {:?}",
        document.gaps()
    );
    document.as_value().clone()
}

#[test]
fn the_example_document_is_valid_openapi_3_1() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");
    let (valid, errors) = check("valid", &document, None);
    assert!(
        valid,
        "openapi-spec-validator rejects the document:\n{errors}"
    );
}

#[test]
fn the_validator_rejects_a_broken_document() {
    // A path parameter the template names, left out: the validator must
    // notice, or its approval of the real document means nothing.
    let mut document = document();
    document["paths"]["/items/{id}"]["get"]["parameters"] = json!([]);
    let (valid, errors) = check("broken", &document, None);
    assert!(!valid, "a document without the `id` parameter passed");
    assert!(errors.contains("id"), "{errors}");
}

/// One request to the example and what it must answer.
struct Call {
    method: &'static str,
    template: &'static str,
    uri: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: Option<(&'static str, &'static str)>,
    status: u16,
}

const fn call(
    method: &'static str,
    template: &'static str,
    uri: &'static str,
    status: u16,
) -> Call {
    Call {
        method,
        template,
        uri,
        headers: &[],
        body: None,
        status,
    }
}

/// Every operation, with its success and error answers, in an order that
/// leaves the store as each call expects.
const CALLS: &[Call] = &[
    call("GET", "/health", "/health", 200),
    call("GET", "/items", "/items", 200),
    Call {
        body: Some(("application/json", r#"{"name":"pen","tags":["office"]}"#)),
        ..call("POST", "/items", "/items", 201)
    },
    Call {
        body: Some(("application/json", r#"{"name":"cup"}"#)),
        ..call("POST", "/items", "/items", 201)
    },
    Call {
        body: Some(("application/json", r#"{"name":"  "}"#)),
        ..call("POST", "/items", "/items", 422)
    },
    // JSON of the wrong shape (the rejection names the field), then not
    // JSON at all.
    Call {
        body: Some(("application/json", r#"{"tags":[]}"#)),
        ..call("POST", "/items", "/items", 422)
    },
    Call {
        body: Some(("application/json", r#"{"name":"#)),
        ..call("POST", "/items", "/items", 400)
    },
    Call {
        body: Some(("text/plain", "pen")),
        ..call("POST", "/items", "/items", 415)
    },
    call("GET", "/items", "/items?tag=office&limit=5", 200),
    call("GET", "/items", "/items?limit=many", 400),
    call("GET", "/items/{id}", "/items/1", 200),
    call("GET", "/items/{id}", "/items/99", 404),
    call("GET", "/items/{id}", "/items/one", 400),
    call("DELETE", "/items/{id}", "/items/1", 401),
    Call {
        headers: &[("X-Api-Key", "secret")],
        ..call("DELETE", "/items/{id}", "/items/1", 204)
    },
    Call {
        headers: &[("X-Api-Key", "secret")],
        ..call("DELETE", "/items/{id}", "/items/1", 404)
    },
];

async fn send(client: &TestClient, call: &Call) -> ClientResponse {
    let mut request = client.method(call.method, call.uri);
    for (name, value) in call.headers {
        request = request.header(name, value);
    }
    if let Some((content_type, body)) = call.body {
        request = request.header("Content-Type", content_type).body(body);
    }
    request.await.unwrap()
}

fn exchange(call: &Call, response: &ClientResponse) -> Value {
    json!({
        "method": call.method.to_ascii_lowercase(),
        "path": call.template,
        "status": response.status().as_u16(),
        "content_type": response.header("content-type"),
        "body": response.text(),
    })
}

#[tokio::test]
async fn every_documented_operation_answers_as_documented() {
    let document = document();
    let client = TestClient::with_server(
        Server::new().with_state(example::Store::default()),
        example::app(),
    );

    let served = client.get("/openapi.json").await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.header("content-type"), Some("application/json"));
    let served: Value = serde_json::from_slice(served.body()).unwrap();
    assert_eq!(served, document, "/openapi.json serves the document");
    let viewer = client.get("/docs").await.unwrap();
    assert_eq!(
        viewer.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        viewer.text().contains(r#"data-url="openapi.json""#),
        "{}",
        viewer.text()
    );

    let mut exchanges = Vec::new();
    for call in CALLS {
        let response = send(&client, call).await;
        assert_eq!(
            response.status().as_u16(),
            call.status,
            "{} {}: {}",
            call.method,
            call.uri,
            response.text()
        );
        exchanges.push(exchange(call, &response));
    }

    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    let driven: BTreeSet<(String, String)> = CALLS
        .iter()
        .map(|call| (call.method.to_ascii_lowercase(), call.template.to_owned()))
        .collect();
    assert_eq!(
        driven, documented,
        "every documented operation is driven, and only those"
    );

    let (valid, errors) = check(
        "exchanges",
        &document,
        Some(&Value::Array(exchanges.clone())),
    );
    assert!(valid, "real responses do not match the document:\n{errors}");

    // The same check, on an answer the document does not allow, fails.
    let mut wrong = exchanges[10].clone();
    assert_eq!(wrong["status"], 200);
    wrong["body"] = json!(r#"{"id":"one","name":"pen"}"#);
    let (valid, errors) = check("wrong-exchange", &document, Some(&json!([wrong])));
    assert!(!valid, "a body off the schema passed");
    assert!(errors.contains("tags"), "{errors}");
}

#[test]
fn print_writes_the_served_document() {
    let output = Command::new(common::example_path("openapi"))
        .arg("--print")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed, document());
}
