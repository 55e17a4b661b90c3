//! [`Operation`]: what one handler says about itself, written by its
//! arguments' and return type's [`OperationInput`](super::OperationInput)
//! and [`OperationOutput`](super::OperationOutput) impls.

use std::collections::BTreeMap;

use http::StatusCode;
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use super::schemas::Schemas;

/// The status a response is documented under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ResponseStatus {
    /// One status code: `200`, `404`...
    Code(StatusCode),
    /// A class of codes, by first digit: `Range(3)` is `3XX`.
    Range(u8),
    /// Any code not documented otherwise (OpenAPI's `default`): what a
    /// `StatusCode` chosen at run time answers.
    Default,
}

impl From<StatusCode> for ResponseStatus {
    fn from(status: StatusCode) -> Self {
        ResponseStatus::Code(status)
    }
}

impl ResponseStatus {
    /// The key of the `responses` object.
    pub(crate) fn key(self) -> String {
        match self {
            ResponseStatus::Code(code) => code.as_u16().to_string(),
            ResponseStatus::Range(digit) => format!("{digit}XX"),
            ResponseStatus::Default => "default".to_owned(),
        }
    }

    fn default_description(self) -> String {
        match self {
            ResponseStatus::Code(code) => code.canonical_reason().unwrap_or("Response").to_owned(),
            ResponseStatus::Range(3) => "Redirection".to_owned(),
            ResponseStatus::Range(digit) => format!("A {digit}XX response"),
            ResponseStatus::Default => "Any other status".to_owned(),
        }
    }
}

/// One API operation (a route and a method) as its handler describes it:
/// the parameters and body it reads, the responses it answers, its
/// summary. The [`OperationInput`](super::OperationInput) impl of each
/// argument's type and the [`OperationOutput`](super::OperationOutput)
/// impl of the return type write into it; `#[fcgi_handler]` calls them.
pub struct Operation<'a> {
    schemas: &'a mut Schemas,
    pub(crate) doc: OperationDoc,
    /// Set while a `(StatusCode, T)` describes its `T`: the status is
    /// chosen at run time, so `T`'s responses move there.
    status_override: Option<ResponseStatus>,
}

/// What an [`Operation`] collected, before it becomes JSON.
#[derive(Default)]
pub(crate) struct OperationDoc {
    pub(crate) summary: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) operation_id: Option<String>,
    pub(crate) tags: Vec<String>,
    /// The schema of `Path<T>`'s `T`, resolved (no top-level `$ref`), or
    /// `Value::Null` for `PathParams` (all strings).
    pub(crate) path: Option<Value>,
    /// Query and header parameters, as OpenAPI parameter objects.
    pub(crate) parameters: Vec<Value>,
    /// Media type → schema (`None`: any bytes).
    pub(crate) body: BTreeMap<String, Option<Value>>,
    pub(crate) body_required: bool,
    pub(crate) responses: BTreeMap<ResponseStatus, ResponseDoc>,
    /// Where the `default` responses go, when the handler says.
    pub(crate) default_status: Option<StatusCode>,
    /// What could not be described, in words.
    pub(crate) gaps: Vec<String>,
}

#[derive(Default)]
pub(crate) struct ResponseDoc {
    pub(crate) description: String,
    /// Media type → schemas (several when several types answer with the
    /// same status and media type: `anyOf`).
    pub(crate) content: BTreeMap<String, Vec<Value>>,
    pub(crate) headers: BTreeMap<String, Value>,
}

impl<'a> Operation<'a> {
    pub(crate) fn new(schemas: &'a mut Schemas) -> Self {
        Operation {
            schemas,
            doc: OperationDoc::default(),
            status_override: None,
        }
    }

    /// The handler's doc comment: its first paragraph becomes the summary
    /// (one line), the rest the description.
    pub fn docs(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let (first, rest) = match text.split_once("\n\n") {
            Some((first, rest)) => (first, rest.trim()),
            None => (text, ""),
        };
        let summary = first.split_whitespace().collect::<Vec<_>>().join(" ");
        self.doc.summary = Some(summary);
        if !rest.is_empty() {
            self.doc.description = Some(rest.to_owned());
        }
    }

    /// Sets the summary (one line).
    pub fn summary(&mut self, summary: impl Into<String>) {
        self.doc.summary = Some(summary.into());
    }

    /// Sets the description (CommonMark).
    pub fn description(&mut self, description: impl Into<String>) {
        self.doc.description = Some(description.into());
    }

    /// Sets the operation id (unique in the document; by default the
    /// handler's name).
    pub fn operation_id(&mut self, id: impl Into<String>) {
        self.doc.operation_id = Some(id.into());
    }

    /// Adds a tag, which viewers group operations by.
    pub fn tag(&mut self, tag: impl Into<String>) {
        self.doc.tags.push(tag.into());
    }

    /// The schema of `T` as the API reads it (serde's `Deserialize`
    /// contract): a `$ref` into the document's components for a named type.
    pub fn input_schema<T: JsonSchema + ?Sized>(&mut self) -> Schema {
        self.schemas.input.subschema_for::<T>()
    }

    /// The schema of `T` as the API writes it (serde's `Serialize`
    /// contract).
    pub fn output_schema<T: JsonSchema + ?Sized>(&mut self) -> Schema {
        self.schemas.output.subschema_for::<T>()
    }

    /// The route's path parameters are `T`'s (`Path<T>`): one value, a
    /// tuple by position, or a struct's fields by name.
    pub fn path_parameters<T: JsonSchema + ?Sized>(&mut self) {
        self.doc.path = Some(self.schemas.inline_input::<T>());
    }

    /// The route's path parameters are read by name as strings
    /// (`PathParams`).
    pub fn path_parameters_as_strings(&mut self) {
        self.doc.path.get_or_insert(Value::Null);
    }

    /// The query string is `T`, form-encoded: one query parameter per
    /// field of a struct.
    pub fn query_parameters<T: JsonSchema + ?Sized>(&mut self) {
        let resolved = self.schemas.inline_input::<T>();
        let properties = resolved.get("properties").and_then(Value::as_object);
        let flat = properties.is_some() && resolved.get("type") == Some(&json!("object"));
        match properties.filter(|_| flat) {
            Some(properties) => {
                let required: Vec<&str> = resolved
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|names| names.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for (name, schema) in properties {
                    let required = required.contains(&name.as_str());
                    let schema = if required {
                        schema.clone()
                    } else {
                        without_null(schema)
                    };
                    let mut param = json!({
                        "name": name,
                        "in": "query",
                        "required": required,
                        "schema": schema,
                    });
                    move_description(&schema, &mut param);
                    self.doc.parameters.push(param);
                }
            }
            None => {
                // A map, an enum, a flattened struct: free-form query
                // parameters, each `name=value` one entry of the object.
                self.doc.parameters.push(json!({
                    "name": "query",
                    "in": "query",
                    "style": "form",
                    "explode": true,
                    "schema": resolved,
                }));
            }
        }
    }

    /// The request header `name` (`X-Api-Key`), a string.
    pub fn header(&mut self, name: &str, required: bool) {
        self.doc.parameters.push(json!({
            "name": name,
            "in": "header",
            "required": required,
            "schema": { "type": "string" },
        }));
    }

    /// The request body, of `media_type`, with `schema` (`None`: any
    /// bytes). Several calls document several accepted media types.
    pub fn request_body(&mut self, media_type: &str, schema: Option<Schema>) {
        self.doc
            .body
            .insert(media_type.to_owned(), schema.map(Schema::to_value));
        self.doc.body_required = true;
    }

    /// A response without a body.
    pub fn response(&mut self, status: impl Into<ResponseStatus>, description: Option<&str>) {
        self.response_doc(status.into(), description);
    }

    /// A response with a body of `media_type`, with `schema` (`None`: any
    /// bytes).
    pub fn response_content(
        &mut self,
        status: impl Into<ResponseStatus>,
        description: Option<&str>,
        media_type: &str,
        schema: Option<Schema>,
    ) {
        let response = self.response_doc(status.into(), description);
        let schemas = response.content.entry(media_type.to_owned()).or_default();
        if let Some(schema) = schema.map(Schema::to_value)
            && !schemas.contains(&schema)
        {
            schemas.push(schema);
        }
    }

    /// A response header, on the response documented under `status`.
    pub fn response_header(&mut self, status: impl Into<ResponseStatus>, name: &str) {
        let response = self.response_doc(status.into(), None);
        response
            .headers
            .insert(name.to_owned(), json!({ "schema": { "type": "string" } }));
    }

    fn response_doc(
        &mut self,
        status: ResponseStatus,
        description: Option<&str>,
    ) -> &mut ResponseDoc {
        let status = self.status_override.unwrap_or(status);
        let response = self.doc.responses.entry(status).or_default();
        match description {
            Some(text) if response.description.is_empty() => {
                text.clone_into(&mut response.description)
            }
            Some(text) if !response.description.contains(text) => {
                response.description.push_str("; ");
                response.description.push_str(text);
            }
            _ => {}
        }
        if response.description.is_empty() {
            response.description = status.default_description();
        }
        response
    }

    /// Documents the responses `describe` adds under `status` instead of
    /// their own: what `(StatusCode, T)` does with `T`'s.
    pub fn with_status(&mut self, status: ResponseStatus, describe: impl FnOnce(&mut Self)) {
        // The outermost tuple sets the status the client sees.
        let outer = self.status_override;
        self.status_override = outer.or(Some(status));
        describe(self);
        self.status_override = outer;
    }

    /// Documents the responses whose status is chosen at run time (a
    /// `StatusCode`, `(StatusCode, T)`: `default` otherwise) under
    /// `status`: what `#[fcgi_handler(openapi(status = 201))]` says.
    pub fn default_status(&mut self, status: u16) {
        match StatusCode::from_u16(status) {
            Ok(status) => self.doc.default_status = Some(status),
            Err(_) => self.undescribed(format!("`{status}` is not a status code")),
        }
    }

    /// A response without a body that the types do not show:
    /// `#[fcgi_handler(openapi(response(status = 409, description = "...")))]`.
    pub fn extra_response(&mut self, status: u16, description: &str) {
        match StatusCode::from_u16(status) {
            Ok(status) => {
                let description = Some(description).filter(|text| !text.is_empty());
                self.response(status, description);
            }
            Err(_) => self.undescribed(format!("`{status}` is not a status code")),
        }
    }

    /// Records something the generator could not describe: the document
    /// is then incomplete, and says so (see
    /// [`OpenApi::gaps`](super::OpenApi::gaps)).
    pub fn undescribed(&mut self, what: impl Into<String>) {
        self.doc.gaps.push(what.into());
    }
}

/// An optional parameter's schema without its `null`: `Option<T>` is
/// `T` or null to serde, but a query string has no null, only absence.
fn without_null(schema: &Value) -> Value {
    let mut schema = schema.clone();
    if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            schema["type"] = only;
        }
    }
    schema
}

/// A parameter's schema carries its field's doc comment: OpenAPI shows it
/// on the parameter.
fn move_description(schema: &Value, param: &mut Value) {
    if let (Some(description), Some(param)) = (schema.get("description"), param.as_object_mut()) {
        param.insert("description".to_owned(), description.clone());
    }
}

impl OperationDoc {
    /// Moves the `default` responses under the status the handler named.
    pub(crate) fn apply_default_status(&mut self) {
        let Some(status) = self.default_status else {
            return;
        };
        let Some(default) = self.responses.remove(&ResponseStatus::Default) else {
            return;
        };
        let target = self
            .responses
            .entry(ResponseStatus::Code(status))
            .or_default();
        if target.description.is_empty() {
            target.description = ResponseStatus::Code(status).default_description();
        }
        for (media_type, schemas) in default.content {
            let existing = target.content.entry(media_type).or_default();
            for schema in schemas {
                if !existing.contains(&schema) {
                    existing.push(schema);
                }
            }
        }
        target.headers.extend(default.headers);
    }
}

impl ResponseDoc {
    pub(crate) fn to_value(&self) -> Value {
        let mut response = Map::new();
        response.insert("description".to_owned(), json!(self.description));
        if !self.headers.is_empty() {
            response.insert("headers".to_owned(), json!(self.headers));
        }
        if !self.content.is_empty() {
            let content: Map<String, Value> = self
                .content
                .iter()
                .map(|(media_type, schemas)| {
                    let media = match schemas.as_slice() {
                        [] => json!({}),
                        [one] => json!({ "schema": one }),
                        many => json!({ "schema": { "anyOf": many } }),
                    };
                    (media_type.clone(), media)
                })
                .collect();
            response.insert("content".to_owned(), Value::Object(content));
        }
        Value::Object(response)
    }
}
