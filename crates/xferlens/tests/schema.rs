//! The JSON report matches `docs/report.schema.json` exactly: every field
//! is declared (no undocumented field), every declared required field is
//! present, and every value has the declared type. A small validator for
//! the subset of JSON Schema the file uses keeps this test dependency-free.

mod common;
use common::*;

use serde_json::Value;

struct Validator<'s> {
    root: &'s Value,
}

impl Validator<'_> {
    fn resolve<'a>(&'a self, s: &'a Value) -> &'a Value {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let name = r.trim_start_matches("#/$defs/");
                &self.root["$defs"][name]
            }
            None => s,
        }
    }

    fn type_ok(t: &str, v: &Value) -> bool {
        match t {
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            "object" => v.is_object(),
            "array" => v.is_array(),
            _ => false,
        }
    }

    fn check(&self, schema: &Value, v: &Value, path: &str, errs: &mut Vec<String>) {
        let s = self.resolve(schema);
        if let Some(any) = s.get("anyOf").and_then(Value::as_array) {
            let ok = any.iter().any(|alt| {
                let mut e = Vec::new();
                self.check(alt, v, path, &mut e);
                e.is_empty()
            });
            if !ok {
                errs.push(format!("{path}: matches no alternative"));
            }
            return;
        }
        if let Some(c) = s.get("const") {
            if c != v {
                errs.push(format!("{path}: expected {c}"));
            }
        }
        if let Some(e) = s.get("enum").and_then(Value::as_array) {
            if !e.contains(v) {
                errs.push(format!("{path}: {v} not in {e:?}"));
            }
        }
        match s.get("type") {
            Some(Value::String(t)) if !Self::type_ok(t, v) => {
                errs.push(format!("{path}: not {t}: {v}"))
            }
            Some(Value::Array(ts))
                if !ts
                    .iter()
                    .any(|t| Self::type_ok(t.as_str().unwrap_or(""), v)) =>
            {
                errs.push(format!("{path}: not {ts:?}: {v}"))
            }
            _ => {}
        }
        if let (Some(props), Some(o)) = (
            s.get("properties").and_then(Value::as_object),
            v.as_object(),
        ) {
            for (k, x) in o {
                match props.get(k) {
                    Some(ps) => self.check(ps, x, &format!("{path}.{k}"), errs),
                    None => errs.push(format!("{path}.{k}: field not in the schema")),
                }
            }
            for r in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !o.contains_key(r.as_str().unwrap_or("")) {
                    errs.push(format!("{path}: required field {r} missing"));
                }
            }
        }
        if let Some(a) = v.as_array() {
            let prefix = s.get("prefixItems").and_then(Value::as_array);
            for (n, x) in a.iter().enumerate() {
                let p = format!("{path}[{n}]");
                match (prefix.and_then(|pi| pi.get(n)), s.get("items")) {
                    (Some(ps), _) => self.check(ps, x, &p, errs),
                    (None, Some(Value::Bool(false))) => {
                        errs.push(format!("{p}: no item allowed here"))
                    }
                    (None, Some(is)) => self.check(is, x, &p, errs),
                    (None, None) => {}
                }
            }
        }
    }
}

#[test]
fn json_reports_match_the_published_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/report.schema.json")).unwrap(),
    )
    .unwrap();
    let v = Validator { root: &schema };
    let mut paths: Vec<String> = std::fs::read_dir(fixture("sessions"))
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    paths.sort();
    paths.push(
        fixture("seed/vm5docscpanelcopya20140224163412sylG")
            .display()
            .to_string(),
    );
    let mut args = vec!["report", "--format", "json", "-q"];
    args.extend(paths.iter().map(String::as_str));
    let (code, out, _) = run(&args);
    assert_eq!(code, 0);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["sessions"].as_array().unwrap().len(), 14);
    let mut errs = Vec::new();
    v.check(&schema, &report, "$", &mut errs);
    assert!(
        errs.is_empty(),
        "{} schema violations, first: {:#?}",
        errs.len(),
        &errs[..errs.len().min(10)]
    );
    // The validator itself catches drift.
    let mut bad = report.clone();
    bad["sessions"][0]["undocumented"] = Value::Bool(true);
    bad["sessions"][0]["queues"][0]["success"] = Value::String("3".into());
    let mut e = Vec::new();
    v.check(&schema, &bad, "$", &mut e);
    assert_eq!(e.len(), 2, "{e:#?}");
}
