//! Instances of a schema, in either dialect a request carries: JSON Schema
//! (OpenAI's `response_format`, lower-case types, `anyOf` with null, `$ref`)
//! or Gemini's OpenAPI subset (`"OBJECT"`, `nullable`).
//!
//! [`conform`] walks the schema beside a candidate answer, keeping what fits
//! and filling in what is missing or wrong, so every answer fits the schema
//! whatever the task's own answer got wrong or did not know about.

use serde_json::{Map, Value, json};

/// What fills values the candidate does not give.
pub(crate) trait Filler {
    /// A string for the property `key` (the nearest named property), item `index`.
    fn string(&self, key: &str, index: usize) -> String;
    /// A whole number within `min..=max` for `key`.
    fn integer(&self, key: &str, index: usize, min: i64, max: i64) -> i64;
}

/// Fills with fixed values.
struct Plain;

impl Filler for Plain {
    fn string(&self, key: &str, index: usize) -> String {
        generic_string(key, index, None, &[])
    }

    fn integer(&self, _key: &str, index: usize, min: i64, max: i64) -> i64 {
        (index as i64).clamp(min, max)
    }
}

/// A string fitting a property's name: a colour for `*color*`, a target for `target`, else words.
pub(crate) fn generic_string(key: &str, index: usize, sentence: Option<&str>, names: &[String]) -> String {
    let key = key.to_lowercase();
    let name = names.get(index % names.len().max(1)).cloned();
    if key.contains("color") || key.contains("colour") || key == "skin" {
        return ["#3a3a3a", "#7a4b2a", "#c9a27e", "#2e4a7a"][index % 4].to_owned();
    }
    if key == "target" {
        return format!("page:{}", index + 1);
    }
    if key.contains("name") || key == "speaker" || key == "cast" || key.contains("character") {
        return name.unwrap_or_else(|| format!("Someone {}", index + 1));
    }
    if key == "id" || key.ends_with("_id") {
        return format!("{}-{}", key.trim_end_matches("_id"), index + 1);
    }
    match sentence {
        Some(text) if !text.is_empty() => text.to_owned(),
        _ => format!("A {} from the fake model.", key.replace('_', " ")).replace("A  ", "A "),
    }
}

/// An instance of `schema` with nothing given: objects with every property, arrays of one item,
/// the first of each enum, numbers within their bounds.
pub fn instance_of(schema: &Value) -> Value {
    conform(schema, None, &Plain)
}

/// `candidate` made to fit `schema`.
pub(crate) fn conform(schema: &Value, candidate: Option<&Value>, filler: &dyn Filler) -> Value {
    Walker { root: schema, filler }.value(schema, candidate, "value", 0, 0)
}

struct Walker<'a> {
    root: &'a Value,
    filler: &'a dyn Filler,
}

/// A schema node's kind and whether null is allowed.
fn kind_of(node: &Value) -> (Option<String>, bool) {
    let nullable = node.get("nullable").and_then(Value::as_bool).unwrap_or(false);
    match node.get("type") {
        Some(Value::String(t)) => {
            let t = t.to_lowercase();
            if t == "null" { (None, true) } else { (Some(t), nullable) }
        }
        Some(Value::Array(types)) => {
            let has_null = types.iter().any(|t| t.as_str().is_some_and(|t| t.eq_ignore_ascii_case("null")));
            let kind = types.iter().filter_map(Value::as_str).find(|t| !t.eq_ignore_ascii_case("null"));
            (kind.map(str::to_lowercase), nullable || has_null)
        }
        _ => {
            let kind = if node.get("properties").is_some() {
                Some("object")
            } else if node.get("items").is_some() {
                Some("array")
            } else if node.get("enum").is_some() {
                Some("string")
            } else {
                None
            };
            (kind.map(str::to_owned), nullable)
        }
    }
}

impl Walker<'_> {
    fn resolve<'b>(&'b self, node: &'b Value, depth: usize) -> &'b Value {
        match node.get("$ref").and_then(Value::as_str) {
            Some(reference) if depth < 32 => {
                let pointer = reference.trim_start_matches('#');
                match self.root.pointer(pointer) {
                    Some(target) => self.resolve(target, depth + 1),
                    None => node,
                }
            }
            _ => node,
        }
    }

    fn value(&self, node: &Value, candidate: Option<&Value>, key: &str, index: usize, depth: usize) -> Value {
        let node = self.resolve(node, depth);
        if depth > 24 {
            return Value::Null;
        }
        // anyOf / oneOf: the option the candidate fits, else the first that is not null.
        for combinator in ["anyOf", "oneOf"] {
            if let Some(Value::Array(options)) = node.get(combinator) {
                let options: Vec<&Value> = options.iter().map(|o| self.resolve(o, depth)).collect();
                let allows_null = options.iter().any(|o| kind_of(o) == (None, true));
                if allows_null && candidate.is_some_and(Value::is_null) {
                    return Value::Null;
                }
                let fitting = candidate.and_then(|c| options.iter().find(|o| fits_kind(o, c)));
                let chosen = fitting.or_else(|| options.iter().find(|o| kind_of(o) != (None, true)));
                return match chosen {
                    Some(option) => self.value(option, candidate, key, index, depth + 1),
                    None => Value::Null,
                };
            }
        }
        if let Some(Value::Array(all)) = node.get("allOf")
            && let Some(first) = all.first()
        {
            return self.value(first, candidate, key, index, depth + 1);
        }
        if let Some(constant) = node.get("const") {
            return constant.clone();
        }
        let (kind, nullable) = kind_of(node);
        if nullable && candidate.is_some_and(Value::is_null) {
            return Value::Null;
        }
        if let Some(Value::Array(choices)) = node.get("enum") {
            let choices: Vec<&Value> = choices.iter().filter(|c| !c.is_null()).collect();
            let wanted = candidate.and_then(Value::as_str).map(str::to_lowercase);
            let found = choices.iter().find(|c| c.as_str().map(str::to_lowercase) == wanted);
            return match (found, choices.first()) {
                (Some(found), _) => (*found).clone(),
                (None, Some(first)) => (*first).clone(),
                (None, None) => Value::Null,
            };
        }
        match kind.as_deref() {
            Some("object") => self.object(node, candidate, key, index, depth),
            Some("array") => self.array(node, candidate, key, depth),
            Some("string") => match candidate {
                Some(Value::String(s)) => Value::String(s.clone()),
                _ => Value::String(self.filler.string(key, index)),
            },
            Some("integer") => {
                let (min, max) = bounds(node);
                let given = candidate.and_then(|c| c.as_i64().or_else(|| c.as_f64().map(|f| f.round() as i64)));
                Value::from(given.unwrap_or_else(|| self.filler.integer(key, index, min, max)).clamp(min, max))
            }
            Some("number") => {
                let (min, max) = (
                    node.get("minimum").and_then(Value::as_f64).unwrap_or(f64::MIN),
                    node.get("maximum").and_then(Value::as_f64).unwrap_or(f64::MAX),
                );
                let given = candidate.and_then(Value::as_f64);
                let fallback =
                    if min > f64::MIN && max < f64::MAX { (min + max) / 2.0 } else { 1.0f64.clamp(min, max) };
                json!(given.unwrap_or(fallback).clamp(min, max))
            }
            Some("boolean") => match candidate {
                Some(Value::Bool(b)) => Value::Bool(*b),
                _ => Value::Bool(key == "ok"),
            },
            _ => candidate.cloned().unwrap_or(Value::Null),
        }
    }

    fn object(&self, node: &Value, candidate: Option<&Value>, _key: &str, index: usize, depth: usize) -> Value {
        let given = candidate.and_then(Value::as_object);
        let Some(properties) = node.get("properties").and_then(Value::as_object) else {
            return Value::Object(given.cloned().unwrap_or_default());
        };
        let mut out = Map::new();
        for (name, property) in properties {
            let value = self.value(property, given.and_then(|g| g.get(name)), name, index, depth + 1);
            out.insert(name.clone(), value);
        }
        Value::Object(out)
    }

    fn array(&self, node: &Value, candidate: Option<&Value>, key: &str, depth: usize) -> Value {
        let items = node.get("items").unwrap_or(&Value::Null);
        let min = node.get("minItems").and_then(value_as_u64).unwrap_or(0) as usize;
        let max = node.get("maxItems").and_then(value_as_u64).map_or(usize::MAX, |m| m as usize);
        let mut out: Vec<Value> = match candidate.and_then(Value::as_array) {
            Some(given) => {
                given.iter().enumerate().map(|(i, v)| self.value(items, Some(v), key, i, depth + 1)).collect()
            }
            None => (0..min.max(1)).map(|i| self.value(items, None, key, i, depth + 1)).collect(),
        };
        while out.len() < min {
            let i = out.len();
            out.push(self.value(items, None, key, i, depth + 1));
        }
        out.truncate(max.max(min));
        Value::Array(out)
    }
}

/// `minItems` and friends are numbers in JSON Schema and strings (int64) in Gemini's.
fn value_as_u64(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

fn bounds(node: &Value) -> (i64, i64) {
    let read = |name: &str| node.get(name).and_then(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok()));
    let min = read("minimum").map_or(i64::MIN, |m| m.ceil() as i64);
    let max = read("maximum").map_or(i64::MAX, |m| m.floor() as i64);
    (min, max.max(min))
}

/// Whether `value` has the kind `node` wants (for choosing among `anyOf` options).
fn fits_kind(node: &Value, value: &Value) -> bool {
    match (kind_of(node).0.as_deref(), value) {
        (None, Value::Null) => kind_of(node).1,
        (Some("object"), Value::Object(_)) | (Some("array"), Value::Array(_)) | (Some("string"), Value::String(_)) => {
            true
        }
        (Some("boolean"), Value::Bool(_)) => true,
        (Some("integer"), Value::Number(n)) => n.is_i64() || n.is_u64(),
        (Some("number"), Value::Number(_)) => true,
        _ => false,
    }
}

/// Why `value` does not fit `schema`, if it does not (a check for the fake's own answers and tests).
pub(crate) fn violation(schema: &Value, value: &Value) -> Option<String> {
    check(schema, schema, value, "$", 0)
}

fn check(root: &Value, node: &Value, value: &Value, at: &str, depth: usize) -> Option<String> {
    let walker = Walker { root, filler: &Plain };
    let node = walker.resolve(node, depth);
    if depth > 24 {
        return None;
    }
    for combinator in ["anyOf", "oneOf"] {
        if let Some(Value::Array(options)) = node.get(combinator) {
            let ok = options.iter().any(|o| check(root, o, value, at, depth + 1).is_none());
            return (!ok).then(|| format!("{at}: fits none of the {combinator} options"));
        }
    }
    let (kind, nullable) = kind_of(node);
    if value.is_null() {
        return (!nullable && kind.is_some()).then(|| format!("{at}: null where {kind:?} is wanted"));
    }
    if let Some(Value::Array(choices)) = node.get("enum")
        && !choices.contains(value)
    {
        return Some(format!("{at}: {value} is not one of {}", Value::Array(choices.clone())));
    }
    match kind.as_deref() {
        Some("object") => {
            let Value::Object(map) = value else { return Some(format!("{at}: not an object")) };
            let properties = node.get("properties").and_then(Value::as_object);
            if let Some(Value::Array(required)) = node.get("required") {
                for name in required.iter().filter_map(Value::as_str) {
                    if !map.contains_key(name) {
                        return Some(format!("{at}: missing {name}"));
                    }
                }
            }
            if node.get("additionalProperties") == Some(&Value::Bool(false)) {
                for name in map.keys() {
                    if !properties.is_some_and(|p| p.contains_key(name)) {
                        return Some(format!("{at}: unexpected {name}"));
                    }
                }
            }
            let properties = properties?;
            map.iter().find_map(|(name, v)| {
                properties.get(name).and_then(|p| check(root, p, v, &format!("{at}.{name}"), depth + 1))
            })
        }
        Some("array") => {
            let Value::Array(items) = value else { return Some(format!("{at}: not an array")) };
            let min = node.get("minItems").and_then(value_as_u64).unwrap_or(0) as usize;
            let max = node.get("maxItems").and_then(value_as_u64).map_or(usize::MAX, |m| m as usize);
            if items.len() < min || items.len() > max {
                return Some(format!("{at}: {} items, wanted {min} to {max}", items.len()));
            }
            let item = node.get("items")?;
            items.iter().enumerate().find_map(|(i, v)| check(root, item, v, &format!("{at}[{i}]"), depth + 1))
        }
        Some("string") => (!value.is_string()).then(|| format!("{at}: not a string")),
        Some("boolean") => (!value.is_boolean()).then(|| format!("{at}: not a boolean")),
        Some("integer") => {
            let Some(n) = value.as_i64() else { return Some(format!("{at}: not an integer")) };
            let (min, max) = bounds(node);
            (!(min..=max).contains(&n)).then(|| format!("{at}: {n} is outside {min} to {max}"))
        }
        Some("number") => (!value.is_number()).then(|| format!("{at}: not a number")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_fits_a_json_schema_and_a_gemini_schema() {
        let json_schema = json!({
            "type": "object", "additionalProperties": false, "required": ["mood", "speaker", "places", "count"],
            "properties": {
                "mood": {"type": "string", "enum": ["calm", "tense"]},
                "speaker": {"type": ["string", "null"]},
                "places": {"type": "array", "items": {"type": "object", "additionalProperties": false,
                    "required": ["name"], "properties": {"name": {"type": "string"}}}},
                "count": {"type": "integer", "minimum": 3, "maximum": 9},
                "nested": {"anyOf": [{"$ref": "#/$defs/Inner"}, {"type": "null"}]},
            },
            "$defs": {"Inner": {"type": "object", "properties": {"ok": {"type": "boolean"}}}},
        });
        let value = instance_of(&json_schema);
        assert_eq!(violation(&json_schema, &value), None, "{value}");
        assert_eq!(value["mood"], "calm");
        assert_eq!(value["count"], 3);
        assert_eq!(value["places"].as_array().unwrap().len(), 1);
        assert_eq!(value["nested"]["ok"], true);

        let gemini = json!({"type": "OBJECT", "properties": {
            "kind": {"type": "STRING", "enum": ["a", "b"]},
            "n": {"type": "INTEGER", "minimum": 1},
            "tags": {"type": "ARRAY", "items": {"type": "STRING"}, "minItems": "2"},
            "maybe": {"type": "STRING", "nullable": true},
        }, "required": ["kind", "n", "tags"]});
        let value = instance_of(&gemini);
        assert_eq!(violation(&gemini, &value), None, "{value}");
        assert_eq!(value["tags"].as_array().unwrap().len(), 2);
        assert!(value["maybe"].is_string());
    }

    #[test]
    fn a_candidate_keeps_what_fits_and_loses_what_does_not() {
        let schema = json!({"type": "object", "properties": {
            "mood": {"type": "string", "enum": ["calm", "tense"]},
            "n": {"type": "integer", "minimum": 0, "maximum": 5},
            "who": {"type": ["string", "null"]},
        }});
        let value = conform(&schema, Some(&json!({"mood": "TENSE", "n": 99, "who": null, "extra": 1})), &Plain);
        assert_eq!(value, json!({"mood": "tense", "n": 5, "who": null}));
        let value = conform(&schema, Some(&json!({"mood": "furious", "n": "x"})), &Plain);
        assert_eq!(value["mood"], "calm");
        assert_eq!(value["n"], 0);
        assert!(violation(&schema, &json!({"mood": "furious"})).is_some());
    }
}
