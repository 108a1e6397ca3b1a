//! Schemas for structured answers, generated from our reply types (which use
//! the domain's enums), in the two dialects providers take:
//!
//! - [`json_schema`]: JSON Schema with every `$ref` inlined, `additionalProperties: false` and every
//!   property required (optional ones nullable), as OpenAI's strict `json_schema` mode wants;
//! - [`gemini_schema`]: Gemini's OpenAPI-subset `responseSchema` (`type: "OBJECT"`, `nullable`, no refs).
//!
//! Also [`repair_json`], which closes a truncated answer when that is safe.

use schemars::JsonSchema;
use serde_json::{Map, Value};

/// The inlined, strict JSON Schema of `T`.
pub fn json_schema<T: JsonSchema>() -> Value {
    let root = serde_json::to_value(schemars::schema_for!(T)).unwrap_or(Value::Null);
    let defs = root.get("$defs").cloned().unwrap_or(Value::Object(Map::new()));
    strict(inline(&root, &defs, 0, false))
}

/// Gemini's `responseSchema` form of `T`.
pub fn gemini_schema<T: JsonSchema>() -> Value {
    to_openapi(&json_schema::<T>())
}

/// `in_properties`: `node` is a `properties` map, whose keys are field names (a field may be called `title`).
fn inline(node: &Value, defs: &Value, depth: usize, in_properties: bool) -> Value {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                let name = reference.rsplit('/').next().unwrap_or_default();
                // Our reply types are not recursive; the depth bound only guards a mistake.
                let mut resolved = match defs.get(name) {
                    Some(def) if depth < 16 => inline(def, defs, depth + 1, false),
                    _ => Value::Object(Map::new()),
                };
                // The referring property's own description says more than the type's.
                if let (Value::Object(out), Some(description)) = (&mut resolved, map.get("description")) {
                    out.insert("description".into(), description.clone());
                }
                return resolved;
            }
            let mut out = Map::new();
            for (key, value) in map {
                if !in_properties
                    && matches!(key.as_str(), "$schema" | "$defs" | "definitions" | "title" | "format" | "default")
                {
                    continue;
                }
                out.insert(key.clone(), inline(value, defs, depth, !in_properties && key == "properties"));
            }
            // `oneOf` of single-value enums (documented enum variants) becomes one `enum`.
            if let Some(Value::Array(variants)) = out.get("oneOf") {
                let values: Option<Vec<Value>> = variants
                    .iter()
                    .map(|v| v.get("const").cloned().or_else(|| v.get("enum").and_then(|e| e.get(0)).cloned()))
                    .collect();
                if let Some(values) = values {
                    out.remove("oneOf");
                    out.insert("type".into(), Value::String("string".into()));
                    out.insert("enum".into(), Value::Array(values));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| inline(v, defs, depth, false)).collect()),
        other => other.clone(),
    }
}

/// Every object closed and every property required; a property that was optional may be null.
fn strict(node: Value) -> Value {
    match node {
        Value::Object(mut map) => {
            for value in map.values_mut() {
                *value = strict(std::mem::take(value));
            }
            if let Some(Value::Object(props)) = map.get("properties") {
                let keys: Vec<Value> = props.keys().cloned().map(Value::String).collect();
                map.insert("required".into(), Value::Array(keys));
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            Value::Object(map)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(strict).collect()),
        other => other,
    }
}

fn to_openapi(node: &Value) -> Value {
    let Value::Object(map) = node else { return node.clone() };
    let mut out = Map::new();
    // `anyOf: [X, {type: null}]` (an Option of a referenced type) is X, nullable.
    if let Some(Value::Array(options)) = map.get("anyOf") {
        let non_null: Vec<&Value> = options.iter().filter(|o| o.get("type") != Some(&Value::from("null"))).collect();
        if non_null.len() == 1 {
            let mut inner = to_openapi(non_null[0]);
            if let Value::Object(m) = &mut inner {
                m.insert("nullable".into(), Value::Bool(true));
                if let Some(d) = map.get("description") {
                    m.entry("description").or_insert(d.clone());
                }
            }
            return inner;
        }
    }
    for (key, value) in map {
        match key.as_str() {
            "type" => {
                let (kind, nullable) = match value {
                    Value::Array(kinds) => {
                        let kind = kinds.iter().find(|k| *k != "null").cloned().unwrap_or(Value::from("string"));
                        (kind, kinds.iter().any(|k| k == "null"))
                    }
                    other => (other.clone(), false),
                };
                out.insert("type".into(), Value::String(kind.as_str().unwrap_or("string").to_uppercase()));
                if nullable {
                    out.insert("nullable".into(), Value::Bool(true));
                }
            }
            "properties" => {
                let props: Map<String, Value> =
                    value.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), to_openapi(v))).collect();
                let order: Vec<Value> = props.keys().cloned().map(Value::String).collect();
                out.insert("properties".into(), Value::Object(props));
                out.insert("propertyOrdering".into(), Value::Array(order));
            }
            "items" => {
                out.insert("items".into(), to_openapi(value));
            }
            "enum" | "required" | "description" | "minItems" | "maxItems" | "minimum" | "maximum" => {
                // Gemini's enum is of strings only; null is expressed by `nullable`.
                let value = match (key.as_str(), value) {
                    ("enum", Value::Array(v)) => Value::Array(v.iter().filter(|x| !x.is_null()).cloned().collect()),
                    _ => value.clone(),
                };
                out.insert(key.clone(), value);
            }
            _ => {}
        }
    }
    Value::Object(out)
}

/// Makes a model's text into JSON: strips a Markdown fence, and closes strings,
/// arrays and objects that a length limit cut off. Returns `None` when the text
/// has no JSON object in it. The answer still has to fit the reply type, which
/// is what makes closing safe: a cut-off list that lost required fields fails there.
pub fn repair_json(text: &str) -> Option<String> {
    let text = text.trim();
    let text = text.strip_prefix("```json").or_else(|| text.strip_prefix("```")).unwrap_or(text);
    let text = text.strip_suffix("```").unwrap_or(text).trim();
    let start = text.find('{')?;
    let body = &text[start..];
    if serde_json::from_str::<Value>(body).is_ok() {
        return Some(body.to_owned());
    }
    // Walk the text, remembering the last point where a value had just ended.
    let mut stack: Vec<char> = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    let mut last_complete: Option<(usize, Vec<char>)> = None;
    for (i, c) in body.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => stack.push('}'),
            '[' => stack.push(']'),
            '}' | ']' => {
                stack.pop();
                last_complete = Some((i + 1, stack.clone()));
                if stack.is_empty() {
                    return Some(body[..=i].to_owned());
                }
            }
            ',' => last_complete = Some((i, stack.clone())),
            _ => {}
        }
    }
    let (end, open) = last_complete?;
    let mut repaired = body[..end].trim_end().trim_end_matches(',').to_owned();
    for closer in open.iter().rev() {
        repaired.push(*closer);
    }
    serde_json::from_str::<Value>(&repaired).is_ok().then_some(repaired)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// A sample reply.
    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Sample {
        /// The mood.
        mood: manga_domain::Mood,
        /// Who speaks, if known.
        speaker: Option<String>,
        /// Places.
        places: Vec<Place>,
        /// An optional nested value.
        place: Option<Place>,
    }

    /// A place.
    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Place {
        name: String,
        kind: manga_domain::PlaceKind,
    }

    #[test]
    fn the_json_schema_is_inlined_closed_and_requires_every_property() {
        let schema = json_schema::<Sample>();
        let text = schema.to_string();
        assert!(!text.contains("$ref") && !text.contains("$defs"), "{text}");
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(schema["required"].as_array().unwrap().len(), 4);
        assert_eq!(schema["properties"]["places"]["items"]["additionalProperties"], false);
        let kinds = schema["properties"]["places"]["items"]["properties"]["kind"]["enum"].as_array().unwrap();
        assert!(kinds.contains(&Value::from("water")), "{kinds:?}");
        assert_eq!(schema["properties"]["mood"]["description"], "The mood.");
    }

    #[test]
    fn a_field_named_like_a_schema_keyword_is_kept() {
        // `title` is dropped as schema metadata, but not as a field: phase 1's answer has one.
        let schema = json_schema::<crate::remote::replies::ConceptReply>();
        assert_eq!(schema["properties"]["title"]["type"], "string", "{schema}");
        assert!(schema["required"].as_array().unwrap().contains(&Value::from("title")));
        assert!(schema.get("title").is_none(), "the type's own title is still dropped");
        assert_eq!(gemini_schema::<crate::remote::replies::ConceptReply>()["properties"]["title"]["type"], "STRING");
    }

    #[test]
    fn the_gemini_schema_uses_upper_case_types_and_nullable() {
        let schema = gemini_schema::<Sample>();
        assert_eq!(schema["type"], "OBJECT");
        assert_eq!(schema["properties"]["speaker"]["type"], "STRING");
        assert_eq!(schema["properties"]["speaker"]["nullable"], true);
        assert_eq!(schema["properties"]["places"]["type"], "ARRAY");
        assert_eq!(schema["properties"]["places"]["items"]["properties"]["kind"]["type"], "STRING");
        assert_eq!(schema["properties"]["place"]["nullable"], true);
        assert_eq!(schema["properties"]["place"]["type"], "OBJECT");
        assert!(schema.get("additionalProperties").is_none());
        assert_eq!(schema["propertyOrdering"][0], "mood");
    }

    #[test]
    fn a_truncated_answer_is_closed_at_the_last_complete_value() {
        let cut = r#"{"title":"Kumo","places":[{"name":"sea","kind":"water"},{"name":"tow"#;
        let repaired = repair_json(cut).unwrap();
        let value: Value = serde_json::from_str(&repaired).unwrap();
        assert_eq!(value["places"].as_array().unwrap().len(), 1);
        assert_eq!(repair_json("```json\n{\"a\": 1}\n```").unwrap(), "{\"a\": 1}");
        assert_eq!(repair_json("I cannot help with that."), None);
        assert_eq!(repair_json(r#"{"a": "x"} trailing words"#).unwrap(), r#"{"a": "x"}"#);
    }
}
