//! `data "aws_iam_policy_document"` rendered the way the AWS provider renders its `json`.
//!
//! The result is the policy as a structured [`Value`] whose elements keep the locations of the
//! HCL that wrote them (the `statement` block, the `actions` list, the `condition` block), so a
//! finding on the rendered JSON points into the `.tf` file.

use crate::value::{Kind, ObjMap, Origin, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Renders an evaluated `aws_iam_policy_document` body. `decode` turns the JSON strings of
/// `source_policy_documents`/`override_policy_documents` into structured policies.
pub fn render(body: &Value, decode: &dyn Fn(&Value) -> Option<Value>) -> Value {
    let origin = body.origin.clone();
    let mut statements: Vec<Value> = Vec::new();
    let mut version: Option<Value> = None;
    let mut id: Option<Value> = None;

    // source_policy_documents: their statements first; ours replace those with the same Sid.
    if let Some(srcs) = body.get("source_policy_documents") {
        for s in srcs.as_items() {
            if let Some(doc) = decode(s) {
                if version.is_none() {
                    version = doc.get("Version").cloned();
                }
                if id.is_none() {
                    id = doc.get("Id").cloned();
                }
                for st in statements_of(&doc) {
                    merge_statement(&mut statements, st);
                }
            }
        }
    }
    if let Some(list) = body.get_list("statement") {
        for st in list {
            merge_statement(&mut statements, render_statement(st));
        }
    }
    // override_policy_documents: replace by Sid, append the rest.
    if let Some(ovs) = body.get("override_policy_documents") {
        for s in ovs.as_items() {
            if let Some(doc) = decode(s) {
                for st in statements_of(&doc) {
                    merge_statement(&mut statements, st);
                }
            }
        }
    }
    let mut map = ObjMap::new();
    let version = match body.get("version") {
        Some(v) if !v.is_null() => v.clone(),
        _ => version.unwrap_or_else(|| Value::string("2012-10-17").with_origin(origin.clone())),
    };
    map.insert("Version".to_string(), version);
    if let Some(pid) = body
        .get("policy_id")
        .filter(|v| !v.is_null())
        .cloned()
        .or(id)
    {
        map.insert("Id".to_string(), pid);
    }
    map.insert(
        "Statement".to_string(),
        Value::new(Kind::List(statements.into()), origin.clone()),
    );
    Value::new(Kind::Object(map.into()), origin)
}

trait BlockList {
    fn get_list(&self, key: &str) -> Option<&[Value]>;
}

impl BlockList for Value {
    fn get_list(&self, key: &str) -> Option<&[Value]> {
        match &self.kind {
            // A nested block written once as an object (Terraform's JSON syntax), or a list.
            Kind::Object(m) => match m.get(key) {
                Some(v) if matches!(v.kind, Kind::Object(_)) => Some(std::slice::from_ref(v)),
                Some(v) => v.as_list(),
                None => None,
            },
            _ => None,
        }
    }
}

fn statements_of(doc: &Value) -> Vec<Value> {
    match doc.get("Statement") {
        Some(v) => v.as_items().into_iter().cloned().collect(),
        None => vec![],
    }
}

/// Adds a statement; one with the Sid of an existing statement replaces it.
fn merge_statement(statements: &mut Vec<Value>, st: Value) {
    let sid = st
        .get("Sid")
        .and_then(|s| s.as_str())
        .filter(|s| !s.is_empty());
    if let Some(sid) = sid {
        if let Some(existing) = statements
            .iter_mut()
            .find(|s| s.get("Sid").and_then(|x| x.as_str()) == Some(sid))
        {
            *existing = st;
            return;
        }
    }
    statements.push(st);
}

/// A list rendered as the provider does: one element becomes a scalar.
fn scalar_or_list(v: &Value) -> Value {
    match &v.kind {
        Kind::List(items) if items.len() == 1 => items[0].clone(),
        _ => v.clone(),
    }
}

fn render_statement(st: &Value) -> Value {
    let origin = st.origin.clone();
    let mut m = ObjMap::new();
    if let Some(sid) = st.get("sid").filter(|v| !v.is_null()) {
        m.insert("Sid".to_string(), sid.clone());
    }
    let effect = match st.get("effect") {
        Some(e) if !e.is_null() => e.clone(),
        _ => Value::string("Allow").with_origin(origin.clone()),
    };
    m.insert("Effect".to_string(), effect);
    for (hcl, json) in [
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        if let Some(v) = st.get(hcl).filter(|v| !v.is_null()) {
            if matches!(&v.kind, Kind::List(items) if items.is_empty()) {
                continue;
            }
            m.insert(json.to_string(), scalar_or_list(v));
        }
    }
    for (hcl, json) in [
        ("principals", "Principal"),
        ("not_principals", "NotPrincipal"),
    ] {
        if let Some(list) = st.get_list(hcl) {
            if let Some(p) = render_principals(list, &origin) {
                m.insert(json.to_string(), p);
            }
        }
    }
    if let Some(list) = st.get_list("condition") {
        let mut cond: ObjMap = ObjMap::new();
        let mut cond_origin: Option<Origin> = None;
        for c in list {
            let test = c.get("test").and_then(|t| t.to_tf_string());
            let var = c.get("variable").and_then(|t| t.to_tf_string());
            let (Some(test), Some(var)) = (test, var) else {
                // Unknown test or variable: keep the whole condition unknown so checks say so.
                if let Some(u) = c
                    .get("test")
                    .and_then(|t| t.first_unknown())
                    .or_else(|| c.get("variable").and_then(|t| t.first_unknown()))
                {
                    cond.insert(
                        "\u{E003}unknown".to_string(),
                        Value::unknown(u.clone()).with_origin(c.origin.clone()),
                    );
                }
                continue;
            };
            cond_origin.get_or_insert_with(|| c.origin.clone());
            let values = c
                .get("values")
                .map(scalar_or_list)
                .unwrap_or_else(|| Value::list(vec![]));
            // The operator key points at the condition block.
            let entry = cond.get_or_insert_with(test, || {
                Value::new(Kind::Object(Default::default()), c.origin.clone())
            });
            if let Kind::Object(inner) = &mut entry.kind {
                Arc::make_mut(inner).insert(var, values);
            }
        }
        if !cond.is_empty() {
            m.insert(
                "Condition".to_string(),
                Value::new(
                    Kind::Object(cond.into()),
                    cond_origin.unwrap_or(origin.clone()),
                ),
            );
        }
    }
    Value::new(Kind::Object(m.into()), origin)
}

fn render_principals(list: &[Value], origin: &Origin) -> Option<Value> {
    let mut by_type: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut first_origin: Option<Origin> = None;
    for p in list {
        first_origin.get_or_insert_with(|| p.origin.clone());
        let t = p.get("type").and_then(|t| t.to_tf_string());
        let ids = p
            .get("identifiers")
            .cloned()
            .unwrap_or_else(|| Value::list(vec![]));
        match t {
            Some(t) if t == "*" => {
                // `type = "*"` renders as `"Principal": "*"`.
                let star = ids
                    .as_items()
                    .into_iter()
                    .next()
                    .cloned()
                    .unwrap_or_else(|| Value::string("*").with_origin(p.origin.clone()));
                return Some(star);
            }
            Some(t) => {
                let e = by_type.entry(t).or_default();
                match &ids.kind {
                    Kind::List(items) => e.extend(items.iter().cloned()),
                    _ => e.push(ids.clone()),
                }
            }
            None => {
                let u = p.get("type").and_then(|t| t.first_unknown()).cloned();
                let u = u.unwrap_or(crate::value::Unknown::new(crate::value::Reason::Other(
                    "a `principals` block without `type`".into(),
                )));
                return Some(Value::unknown(u).with_origin(p.origin.clone()));
            }
        }
    }
    if by_type.is_empty() {
        return None;
    }
    let o = first_origin.unwrap_or(origin.clone());
    let map = by_type
        .into_iter()
        .map(|(k, v)| {
            let v = if v.len() == 1 {
                v.into_iter().next().unwrap()
            } else {
                Value::new(Kind::List(v.into()), o.clone())
            };
            (k, v)
        })
        .collect();
    Some(Value::new(Kind::Object(Arc::new(map)), o))
}
