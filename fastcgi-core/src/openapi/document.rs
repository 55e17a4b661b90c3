//! The document: [`OpenApi`], assembled from the operations a router
//! lists, with what could not be described ([`Gap`]).

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde_json::{Map, Value, json};

use super::operation::OperationDoc;
use super::schemas::{Schemas, rename_refs};
use super::{DescribeFn, Operation};

/// The document's `info`: what the API is called and its version.
#[derive(Debug, Clone)]
pub struct Info {
    title: String,
    version: String,
    description: Option<String>,
    servers: Vec<String>,
}

impl Info {
    /// An API named `title`, at `version` (the API's, not OpenAPI's).
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Self {
        Info {
            title: title.into(),
            version: version.into(),
            description: None,
            servers: Vec::new(),
        }
    }

    /// A longer description (CommonMark).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// A URL the API is served at (`https://example.com/app`): where the
    /// web server mounts the FastCGI app, which the app cannot know.
    pub fn server(mut self, url: impl Into<String>) -> Self {
        self.servers.push(url.into());
        self
    }
}

/// Something the document does not say about an operation, because the
/// types could not: a handler that is not an `#[fcgi_handler]` fn, an
/// argument or return type that does not describe itself...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// The operation's method, upper-case (`GET`).
    pub method: String,
    /// The route's pattern (`/items/{id}`).
    pub path: String,
    /// What is missing and how to fill it in.
    pub what: String,
}

impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.method, self.path, self.what)
    }
}

/// An OpenAPI 3.1 document, as a JSON value.
#[derive(Debug, Clone)]
pub struct OpenApi {
    document: Value,
    gaps: Vec<Gap>,
}

impl OpenApi {
    /// The document as JSON.
    pub fn to_json(&self) -> String {
        self.document.to_string()
    }

    /// The document as indented JSON, for people.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(&self.document).unwrap_or_else(|_| self.to_json())
    }

    /// The document as a JSON value.
    pub fn as_value(&self) -> &Value {
        &self.document
    }

    /// What the document could not describe: empty when every operation
    /// is described fully.
    pub fn gaps(&self) -> &[Gap] {
        &self.gaps
    }
}

/// One parameter of a route's pattern.
pub(crate) struct PatternParam<'a> {
    pub(crate) name: &'a str,
    /// `{*name}`: the rest of the path.
    pub(crate) catch_all: bool,
}

/// Collects operations, then makes the document.
pub(crate) struct DocumentBuilder {
    schemas: Schemas,
    operations: Vec<(String, String, OperationDoc)>,
    gaps: Vec<Gap>,
}

impl DocumentBuilder {
    pub(crate) fn new() -> Self {
        DocumentBuilder {
            schemas: Schemas::new(),
            operations: Vec::new(),
            gaps: Vec::new(),
        }
    }

    /// Adds the operation `method` on the route `pattern` (`/files/{*path}`,
    /// whose parameters are `params`), described by `describe` (`None`: a
    /// handler that does not describe itself).
    pub(crate) fn operation(
        &mut self,
        pattern: &str,
        params: &[PatternParam<'_>],
        method: &str,
        describe: Option<DescribeFn>,
    ) {
        let mut operation = Operation::new(&mut self.schemas);
        match describe {
            Some(describe) => describe(&mut operation),
            None => operation.undescribed(
                "its handler does not describe itself (not an `#[fcgi_handler]` fn): its parameters, body and responses are missing",
            ),
        }
        let mut doc = operation.doc;
        doc.apply_default_status();
        let parameters = path_parameters(params, doc.path.take(), &mut doc.gaps);
        doc.parameters.splice(0..0, parameters);
        for what in &doc.gaps {
            self.gaps.push(Gap {
                method: method.to_owned(),
                path: pattern.to_owned(),
                what: what.clone(),
            });
        }
        self.operations
            .push((template(pattern), method.to_ascii_lowercase(), doc));
    }

    /// Records a gap that is not any one operation's (a route served for
    /// every method...).
    pub(crate) fn gap(&mut self, method: &str, pattern: &str, what: impl Into<String>) {
        self.gaps.push(Gap {
            method: method.to_owned(),
            path: pattern.to_owned(),
            what: what.into(),
        });
    }

    pub(crate) fn finish(self, info: &Info) -> OpenApi {
        let (components, renames) = self.schemas.finish();
        let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
        let mut ids = HashSet::new();
        for (template, method, doc) in self.operations {
            let mut operation = operation_value(doc, &mut ids);
            if let Some(responses) = operation.get_mut("responses") {
                rename_refs(responses, &renames);
            }
            paths.entry(template).or_default().insert(method, operation);
        }
        let mut info_value = json!({ "title": info.title, "version": info.version });
        if let Some(description) = &info.description {
            info_value["description"] = json!(description);
        }
        let mut document = json!({
            "openapi": "3.1.0",
            "info": info_value,
            "paths": paths,
        });
        if !info.servers.is_empty() {
            let servers: Vec<Value> = info
                .servers
                .iter()
                .map(|url| json!({ "url": url }))
                .collect();
            document["servers"] = Value::Array(servers);
        }
        if !components.is_empty() {
            document["components"] = json!({ "schemas": components });
        }
        OpenApi {
            document,
            gaps: self.gaps,
        }
    }
}

/// The OpenAPI path template of a pattern: `{*rest}` is `{rest}`.
fn template(pattern: &str) -> String {
    pattern.replace("{*", "{")
}

/// The path parameters: every one of the pattern's, typed by the
/// handler's `Path<T>` where it says.
fn path_parameters(
    params: &[PatternParam<'_>],
    typed: Option<Value>,
    gaps: &mut Vec<String>,
) -> Vec<Value> {
    let string = json!({ "type": "string" });
    let typed = typed.filter(|schema| !schema.is_null());
    let by_name = typed
        .as_ref()
        .and_then(|schema| schema.get("properties"))
        .and_then(Value::as_object);
    let by_position = typed
        .as_ref()
        .and_then(|schema| schema.get("prefixItems"))
        .and_then(Value::as_array);
    params
        .iter()
        .enumerate()
        .map(|(i, param)| {
            let schema = match (&typed, by_name, by_position) {
                (_, Some(fields), _) => fields.get(param.name).cloned(),
                (_, _, Some(items)) => items.get(i).cloned(),
                (Some(one), None, None) if params.len() == 1 => Some(one.clone()),
                (None, _, _) => Some(string.clone()),
                _ => None,
            };
            let schema = schema.unwrap_or_else(|| {
                gaps.push(format!(
                    "the handler's `Path<T>` does not say the type of the parameter `{}`",
                    param.name
                ));
                string.clone()
            });
            let mut value = json!({
                "name": param.name,
                "in": "path",
                "required": true,
                "schema": schema,
            });
            if param.catch_all {
                value["description"] = json!("The rest of the path; may contain `/`.");
            }
            value
        })
        .collect()
}

/// One operation object.
fn operation_value(doc: OperationDoc, ids: &mut HashSet<String>) -> Value {
    let mut operation = Map::new();
    if !doc.tags.is_empty() {
        operation.insert("tags".into(), json!(doc.tags));
    }
    if let Some(summary) = doc.summary {
        operation.insert("summary".into(), json!(summary));
    }
    if let Some(description) = doc.description {
        operation.insert("description".into(), json!(description));
    }
    if let Some(id) = doc.operation_id {
        // Unique in the document: the same handler on two routes gets
        // `name_2`.
        let mut unique = id.clone();
        let mut n = 1;
        while !ids.insert(unique.clone()) {
            n += 1;
            unique = format!("{id}_{n}");
        }
        operation.insert("operationId".into(), json!(unique));
    }
    if !doc.parameters.is_empty() {
        operation.insert("parameters".into(), json!(doc.parameters));
    }
    if !doc.body.is_empty() {
        let content: Map<String, Value> = doc
            .body
            .into_iter()
            .map(|(media_type, schema)| {
                let media = match schema {
                    Some(schema) => json!({ "schema": schema }),
                    None => json!({}),
                };
                (media_type, media)
            })
            .collect();
        operation.insert(
            "requestBody".into(),
            json!({ "required": doc.body_required, "content": content }),
        );
    }
    if !doc.responses.is_empty() {
        let responses: Map<String, Value> = doc
            .responses
            .iter()
            .map(|(status, response)| (status.key(), response.to_value()))
            .collect();
        operation.insert("responses".into(), Value::Object(responses));
    }
    if !doc.gaps.is_empty() {
        operation.insert("x-undescribed".into(), json!(doc.gaps));
    }
    Value::Object(operation)
}
