//! Declarative rules: an `[assert]` on a resource attribute, evaluated on the same values as the
//! Rust checks (so they see through variables, modules and `for_each` too).

use super::{at_value, unresolved, Ctx};
use crate::eval::ResourceInstance;
use crate::registry::{Assert, Registry, Verdict};
use crate::value::{Kind, Value};

pub fn check_unit(ctx: &mut Ctx, registry: &Registry) {
    for rule in &registry.rules {
        let Some(a) = &rule.assert else { continue };
        // A rule with a Rust check is implemented there (its assert documents the core case).
        if rule.check.is_some() {
            continue;
        }
        if !ctx.on(&rule.code) {
            continue;
        }
        let unit = ctx.unit;
        for rtype in &a.resource {
            for r in unit.of_type(rtype) {
                check_instance(ctx, &rule.code, a, r);
            }
        }
    }
}

/// Values at a dotted path, stepping through lists (nested blocks). `None` when the path is
/// absent everywhere.
fn collect<'a>(v: &'a Value, path: &[&str], out: &mut Vec<&'a Value>) {
    if path.is_empty() {
        out.push(v);
        return;
    }
    match &v.kind {
        Kind::List(items) => {
            for i in items.iter() {
                collect(i, path, out);
            }
        }
        Kind::Object(m) => {
            if let Some(x) = m.get(path[0]) {
                if !x.is_null() {
                    collect(x, &path[1..], out);
                }
            }
        }
        Kind::Unknown(_) => out.push(v),
        _ => {}
    }
}

fn json_of(v: &Value) -> Option<serde_json::Value> {
    if !v.is_known() {
        return None;
    }
    Some(v.to_json())
}

fn eq(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match (a, b) {
        (serde_json::Value::Number(x), serde_json::Value::Number(y)) => x.as_f64() == y.as_f64(),
        (serde_json::Value::String(x), serde_json::Value::Bool(y))
        | (serde_json::Value::Bool(y), serde_json::Value::String(x)) => *x == y.to_string(),
        _ => a == b,
    }
}

fn render(t: &str, r: &ResourceInstance, attr: &str, value: &str, expected: &str) -> String {
    t.replace("{attribute}", attr)
        .replace("{value}", value)
        .replace("{expected}", expected)
        .replace("{address}", &r.full_address())
        .replace("{resource}", r.rtype())
}

fn check_instance(ctx: &mut Ctx, code: &str, a: &Assert, r: &ResourceInstance) {
    let path: Vec<&str> = a.attribute.split('.').collect();
    let mut found = Vec::new();
    collect(&r.body, &path, &mut found);
    let expected = if let Some(e) = &a.equals {
        e.to_string()
    } else if let Some(l) = &a.one_of {
        format!("one of {}", serde_json::Value::Array(l.clone()))
    } else if let Some(l) = &a.not_one_of {
        format!("none of {}", serde_json::Value::Array(l.clone()))
    } else if let Some(m) = &a.matches {
        format!("a value matching /{m}/")
    } else if let Some(m) = &a.not_matches {
        format!("a value not matching /{m}/")
    } else {
        String::new()
    };
    if found.is_empty() {
        if a.absent == Some(Verdict::Fail) {
            let msg = a.absent_message.as_deref().unwrap_or(&a.message);
            ctx.push(at_value(
                code,
                r,
                &a.attribute,
                None,
                render(msg, r, &a.attribute, "(not set)", &expected),
            ));
        }
        return;
    }
    for v in found {
        if a.present == Some(Verdict::Fail) {
            ctx.push(at_value(
                code,
                r,
                &a.attribute,
                Some(v),
                render(&a.message, r, &a.attribute, &show(v), &expected),
            ));
            continue;
        }
        let Some(j) = json_of(v) else {
            ctx.push(unresolved(code, r, &a.attribute, v));
            continue;
        };
        let s = match &j {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut ok = true;
        if let Some(e) = &a.equals {
            ok &= eq(&j, e);
        }
        if let Some(l) = &a.one_of {
            ok &= l.iter().any(|e| eq(&j, e));
        }
        if let Some(l) = &a.not_one_of {
            ok &= !l.iter().any(|e| eq(&j, e));
        }
        if let Some(m) = &a.matches {
            ok &= regex::Regex::new(m)
                .map(|re| re.is_match(&s))
                .unwrap_or(false);
        }
        if let Some(m) = &a.not_matches {
            ok &= !regex::Regex::new(m)
                .map(|re| re.is_match(&s))
                .unwrap_or(false);
        }
        if !ok {
            ctx.push(at_value(
                code,
                r,
                &a.attribute,
                Some(v),
                render(&a.message, r, &a.attribute, &show(v), &expected),
            ));
        }
    }
}

fn show(v: &Value) -> String {
    match &v.kind {
        Kind::String(s) => s.clone(),
        _ => v.to_json().to_string(),
    }
}
