//! The JSON Schemas of a document: one generator for what the API reads
//! and one for what it writes, merged into `components/schemas`.
//!
//! serde may read and write a type differently (`skip_serializing_if`,
//! `default`), and schemars follows it: a type's input schema can differ
//! from its output schema. Both share one namespace in the document, so
//! an output schema that differs from the input one of the same name is
//! renamed (`ItemOutput`) along with the references to it.

use std::collections::{BTreeMap, HashSet};

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value};

/// Where the document keeps its named schemas; `$ref`s point there.
const COMPONENTS: &str = "/components/schemas";
const REF_PREFIX: &str = "#/components/schemas/";

pub(crate) struct Schemas {
    pub(crate) input: SchemaGenerator,
    pub(crate) output: SchemaGenerator,
}

impl Schemas {
    pub(crate) fn new() -> Self {
        let settings = || {
            SchemaSettings::draft2020_12().with(|settings| {
                settings.definitions_path = COMPONENTS.into();
                // The document declares the dialect once
                // (`jsonSchemaDialect`), not each schema.
                settings.meta_schema = None;
            })
        };
        Schemas {
            input: settings().for_deserialize().into_generator(),
            output: settings().for_serialize().into_generator(),
        }
    }

    /// The input schema of `T` itself, not a `$ref` to it: what query and
    /// path parameters are read from. `T` is not kept among the named
    /// schemas unless something else refers to it, since the parameters
    /// carry its fields.
    pub(crate) fn inline_input<T: JsonSchema + ?Sized>(&mut self) -> Value {
        let before: HashSet<String> = self.input.definitions().keys().cloned().collect();
        let schema = self.input.subschema_for::<T>().to_value();
        let Some(name) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix(REF_PREFIX))
        else {
            return schema;
        };
        let definitions = self.input.definitions_mut();
        let resolved = definitions.get(name).cloned().unwrap_or(schema.clone());
        if !before.contains(name) {
            // Asked for again (a body of the same type), schemars adds it
            // back: it looks for the name among the definitions.
            definitions.remove(name);
        }
        resolved
    }

    /// The named schemas of both contracts, and the renames the output
    /// schemas need (old name → new name) where the two differ.
    pub(crate) fn finish(mut self) -> (Map<String, Value>, BTreeMap<String, String>) {
        let mut components = self.input.take_definitions(true);
        let output = self.output.take_definitions(true);
        let mut renames = BTreeMap::new();
        for (name, schema) in &output {
            match components.get(name) {
                Some(existing) if existing != schema => {
                    let mut new = format!("{name}Output");
                    while components.contains_key(&new) || output.contains_key(&new) {
                        new.push('_');
                    }
                    renames.insert(name.clone(), new);
                }
                _ => {}
            }
        }
        for (name, mut schema) in output {
            rename_refs(&mut schema, &renames);
            let name = renames.get(&name).cloned().unwrap_or(name);
            components.entry(name).or_insert(schema);
        }
        (components, renames)
    }
}

/// Points every `$ref` in `value` that names a renamed schema at its new
/// name.
pub(crate) fn rename_refs(value: &mut Value, renames: &BTreeMap<String, String>) {
    if renames.is_empty() {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if key == "$ref"
                    && let Some(target) = item.as_str().and_then(|r| r.strip_prefix(REF_PREFIX))
                    && let Some(new) = renames.get(target)
                {
                    *item = Value::String(format!("{REF_PREFIX}{new}"));
                } else {
                    rename_refs(item, renames);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| rename_refs(item, renames)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refs_to_renamed_schemas_follow_the_rename() {
        let renames = BTreeMap::from([("Item".to_owned(), "ItemOutput".to_owned())]);
        let mut schema = json!({
            "anyOf": [{ "$ref": "#/components/schemas/Item" }, { "$ref": "#/components/schemas/Other" }],
            "properties": { "x": { "$ref": "#/components/schemas/Item" } },
        });
        rename_refs(&mut schema, &renames);
        assert_eq!(
            schema,
            json!({
                "anyOf": [{ "$ref": "#/components/schemas/ItemOutput" }, { "$ref": "#/components/schemas/Other" }],
                "properties": { "x": { "$ref": "#/components/schemas/ItemOutput" } },
            })
        );
    }
}
