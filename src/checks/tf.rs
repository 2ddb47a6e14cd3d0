//! TF001–TF003: the provider schema of the modelled resources.

use super::{at_value, nearest, unresolved, Ctx};
use crate::finding::{Change, Finding, Fix};
use crate::source::SpanFile;
use crate::value::{Kind, Value};
use hcl_edit::structure::Body;
use hcl_edit::Span;

pub fn check(ctx: &mut Ctx) {
    if ctx.on("TF001") {
        enums(ctx);
    }
    if ctx.on("TF002") || ctx.on("TF003") {
        syntax(ctx);
    }
}

/// Values found at a dotted path, stepping through lists; an unknown on the way stands for
/// what it hides. Each value comes with how many segments of `path` lead to it (fewer than all
/// for an unknown met on the way).
fn values_at<'a>(v: &'a Value, path: &[&str], depth: usize, out: &mut Vec<(&'a Value, usize)>) {
    match &v.kind {
        Kind::Unknown(_) => out.push((v, depth)),
        Kind::List(items) => {
            for i in items.iter() {
                values_at(i, path, depth, out);
            }
        }
        Kind::Object(m) => {
            if let Some((first, rest)) = path.split_first() {
                if let Some(x) = m.get(first) {
                    if rest.is_empty() {
                        out.push((x, depth + 1));
                    } else {
                        values_at(x, rest, depth + 1, out);
                    }
                }
            }
        }
        _ => {}
    }
}

/// The value an invalid enum value evidently meant: the valid value it differs from only in
/// case, `DRY_RUN` for `MONITOR_ONLY` (the console's name for a dry run), the only valid value,
/// or the one valid value nearest to it by edit distance when no other is as near.
fn intended<'a>(s: &str, valid: &[&'a str]) -> Option<&'a str> {
    if let Some(v) = valid.iter().find(|v| v.eq_ignore_ascii_case(s)) {
        return Some(v);
    }
    if s == "MONITOR_ONLY" && valid.contains(&"DRY_RUN") {
        return Some("DRY_RUN");
    }
    if let [only] = valid {
        return Some(only);
    }
    let n = nearest(s, valid.iter().copied())?;
    let d = |c: &str| strsim::levenshtein(&s.to_ascii_lowercase(), &c.to_ascii_lowercase());
    let best = d(n);
    (valid.iter().filter(|v| d(v) == best).count() == 1).then_some(n)
}

fn enums(ctx: &mut Ctx) {
    let enums = (ctx.params)("TF001", "enums");
    let Some(serde_json::Value::Object(entries)) = enums.as_deref() else {
        return;
    };
    let unit = ctx.unit;
    // One EVAL001 per unknown value, however many enum attributes it hides.
    let mut reported: crate::hash::HashSet<*const Value> = Default::default();
    for entry in entries.values() {
        let (Some(rtype), Some(attr)) = (
            entry.get("resource").and_then(|v| v.as_str()),
            entry.get("attribute").and_then(|v| v.as_str()),
        ) else {
            continue;
        };
        let valid: Vec<&str> = entry
            .get("values")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        let case_sensitive = entry
            .get("case_sensitive")
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        let path: Vec<&str> = attr.split('.').collect();
        for r in unit.of_type(rtype) {
            let mut found = Vec::new();
            values_at(&r.body, &path, 0, &mut found);
            for (v, depth) in found {
                // What could not be checked: the attribute, or the block that hides it.
                let at = if depth == 0 {
                    attr.to_string()
                } else {
                    path[..depth].join(".")
                };
                let items: Vec<&Value> = match &v.kind {
                    Kind::List(items) => items.iter().collect(),
                    _ => vec![v],
                };
                for item in items {
                    let Some(s) = item.as_str() else {
                        // An unknown or partly known value may be outside the enum.
                        if matches!(item.kind, Kind::Unknown(_) | Kind::Partial(_))
                            && reported.insert(std::ptr::from_ref(item))
                        {
                            ctx.push(unresolved("TF001", r, &at, item));
                        }
                        continue;
                    };
                    let ok = valid.iter().any(|x| {
                        if case_sensitive {
                            *x == s
                        } else {
                            x.eq_ignore_ascii_case(s)
                        }
                    });
                    if ok {
                        continue;
                    }
                    let list = valid
                        .iter()
                        .map(|x| format!("`{x}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let mut f = at_value(
                        "TF001",
                        r,
                        attr,
                        Some(item),
                        format!(
                            "`{attr} = \"{s}\"` is not one of the documented values for `{rtype}` (valid: {list})"
                        ),
                    );
                    let hint = if s == "MONITOR_ONLY" {
                        Some("DRY_RUN")
                    } else {
                        nearest(s, valid.iter().copied())
                    };
                    if let Some(n) = hint {
                        f = f.with_help(format!("did you mean `\"{n}\"`?"));
                    }
                    match (intended(s, &valid), item.loc()) {
                        (Some(n), Some(at)) => {
                            let mut fix = Fix::safe(format!("set `{attr}` to `\"{n}\"`")).change(
                                Change::SetString {
                                    at,
                                    from: s.to_string(),
                                    value: n.to_string(),
                                },
                            );
                            if n == "DRY_RUN" {
                                // A dry run in production is NET001's to report.
                                fix = fix.expecting("NET001");
                            }
                            f = f.with_fix(fix);
                        }
                        (None, _) => f.no_fix("the intended value is not clear"),
                        _ => {}
                    }
                    ctx.push(f);
                }
            }
        }
    }
}

/// TF002 and TF003 work on the syntax of every file of the unit.
fn syntax(ctx: &mut Ctx) {
    let resources_param = (ctx.params)("TF002", "resources");
    let data_sources_param = (ctx.params)("TF002", "data_sources");
    let resources = super::str_list(resources_param.as_deref());
    let data_sources = super::str_list(data_sources_param.as_deref());
    let nesting = (ctx.params)("TF003", "nesting");
    // Known mistakes: the type meant and the arguments it does not accept (a table entry), or
    // just the type (a string).
    let renames: Vec<(String, String, Vec<String>)> =
        match (ctx.params)("TF002", "known_mistakes").as_deref() {
            Some(serde_json::Value::Object(m)) => m
                .iter()
                .filter_map(|(k, v)| match v {
                    serde_json::Value::String(t) => Some((k.clone(), t.clone(), Vec::new())),
                    serde_json::Value::Object(o) => Some((
                        k.clone(),
                        o.get("type")?.as_str()?.to_string(),
                        o.get("drop")
                            .and_then(|d| d.as_array())
                            .map(|a| {
                                a.iter()
                                    .filter_map(|x| x.as_str().map(str::to_string))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    )),
                    _ => None,
                })
                .collect(),
            _ => vec![(
                "databricks_workspace_network_policy_binding".into(),
                "databricks_workspace_network_option".into(),
                vec!["account_id".into()],
            )],
        };
    let tf002 = ctx.on("TF002") && !resources.is_empty();
    let tf003 = ctx.on("TF003");
    let nesting_of = |rtype: &str| nesting.as_ref().and_then(|e| e.get(rtype));
    // The blocks either rule reads (found without parsing the rest of a large file).
    let wanted = |kind: &str, labels: &[&str]| match labels.first() {
        Some(rtype) if kind == "resource" || kind == "data" => {
            (tf002 && rtype.starts_with("databricks_"))
                || (tf003 && kind == "resource" && nesting_of(rtype).is_some())
        }
        _ => false,
    };
    let files = ctx.unit.files.clone();
    for f in files {
        for (i, b) in f.tree.blocks_where(wanted) {
            let at = f.spans(i);
            let kind = b.ident.as_str();
            let Some(label) = b.labels.first() else {
                continue;
            };
            let rtype = label.as_str();
            let loc = at.loc(label.span());
            if tf002 && rtype.starts_with("databricks_") {
                let known = if kind == "resource" {
                    &resources
                } else {
                    &data_sources
                };
                if !known.contains(&rtype) {
                    let mistake = renames.iter().find(|(k, _, _)| k == rtype);
                    let suggestion = mistake
                        .map(|(_, v, _)| v.clone())
                        .or_else(|| nearest_type(rtype, known));
                    let what = if kind == "resource" {
                        "resource"
                    } else {
                        "data source"
                    };
                    let mut fd = Finding::new(
                        "TF002",
                        loc,
                        format!(
                            "the Databricks provider has no {what} type `{rtype}`; Terraform fails at init/plan"
                        ),
                    );
                    if let Some(sg) = suggestion {
                        fd = fd.with_help(format!("did you mean `{sg}`?"));
                    }
                    // A known mistake is renamed with its references; a mere nearest name is
                    // a guess, not a fix.
                    match (mistake, b.labels.get(1)) {
                        (Some((from, to, drop)), Some(name)) if kind == "resource" && !f.json => {
                            fd = fd.with_fix(
                                Fix::safe(format!(
                                    "rename the resource type to `{to}` and its references{}",
                                    if drop.is_empty() {
                                        String::new()
                                    } else {
                                        format!(
                                            ", without {} (not an argument of `{to}`)",
                                            drop.iter()
                                                .map(|d| format!("`{d}`"))
                                                .collect::<Vec<_>>()
                                                .join(", ")
                                        )
                                    }
                                ))
                                .change(Change::RenameType {
                                    at: loc,
                                    block: at.loc(b.span()),
                                    from: from.clone(),
                                    to: to.clone(),
                                    name: name.as_str().to_string(),
                                    drop: drop.clone(),
                                }),
                            );
                        }
                        (None, _) => fd.no_fix(if fd.help.is_some() {
                            "the nearest type is a guess"
                        } else {
                            "which type is meant is not known"
                        }),
                        _ => {}
                    }
                    ctx.push(fd);
                }
            }
            // In JSON syntax a block and an attribute look the same: nothing to report.
            if tf003 && kind == "resource" && !f.json {
                if let Some(entry) = nesting_of(rtype) {
                    let list = |k: &str| -> Vec<String> {
                        entry
                            .get(k)
                            .and_then(|v| v.as_array())
                            .map(|a| {
                                a.iter()
                                    .filter_map(|x| x.as_str().map(str::to_string))
                                    .collect()
                            })
                            .unwrap_or_default()
                    };
                    let attrs = list("attributes");
                    let blocks = list("blocks");
                    let shapes = (list("lists"), list("unclear"));
                    nesting_walk(ctx, at, rtype, &b.body, "", &attrs, &blocks, &shapes);
                }
            }
        }
    }
}

fn nearest_type(t: &str, known: &[&str]) -> Option<String> {
    let tokens: Vec<&str> = t.split('_').collect();
    known
        .iter()
        .map(|k| {
            let kt: Vec<&str> = k.split('_').collect();
            let shared = tokens.iter().filter(|x| kt.contains(x)).count();
            (std::cmp::Reverse(shared), strsim::levenshtein(t, k), k)
        })
        .filter(|(s, d, _)| s.0 >= 2 || *d <= 3)
        .min()
        .map(|(_, _, k)| k.to_string())
}

/// Paths of the blocks nested in `body` (at `prefix`) that are attributes.
fn inner_blocks(body: &Body, prefix: &str, attrs: &[String], out: &mut Vec<String>) {
    for b in body.iter().filter_map(|s| s.as_block()) {
        let p = format!("{prefix}.{}", b.ident.as_str());
        if attrs.contains(&p) {
            out.push(p.clone());
        }
        inner_blocks(&b.body, &p, attrs, out);
    }
}

/// Paths that are lists of objects, and paths whose shape is not known (TF003's fix).
type Shapes = (Vec<String>, Vec<String>);

#[allow(clippy::too_many_arguments)]
fn nesting_walk(
    ctx: &mut Ctx,
    file: SpanFile,
    rtype: &str,
    body: &Body,
    prefix: &str,
    attrs: &[String],
    blocks: &[String],
    shapes: &Shapes,
) {
    for s in body.iter() {
        if let Some(b) = s.as_block() {
            let name = b.ident.as_str();
            if name == "dynamic" || name == "lifecycle" {
                continue;
            }
            let p = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            };
            if attrs.contains(&p) {
                // One finding at the outermost wrong block: writing it as an attribute makes
                // everything inside it object syntax, so the blocks nested in it are named here.
                let mut inner = Vec::new();
                inner_blocks(&b.body, &p, attrs, &mut inner);
                let also = if inner.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; so are the blocks nested in it ({}), which become object attributes with it",
                        inner
                            .iter()
                            .map(|i| format!("`{i}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                let loc = file.loc(b.ident.span());
                ctx.push(
                    Finding::new(
                        "TF003",
                        loc,
                        format!(
                            "`{p}` of `{rtype}` is an attribute, but it is written as a block (`{name} {{ ... }}`); Terraform rejects this (\"Unsupported block type\"){also}"
                        ),
                    )
                    .with_path(p.clone())
                    .with_help(format!("write `{name} = {{ ... }}` (an attribute with an object value)"))
                    .with_fix(
                        Fix::safe(format!("write `{p}` (and the blocks nested in it) in attribute syntax"))
                            .change(Change::BlockToAttribute {
                                at: loc,
                                path: p.clone(),
                                lists: shapes.0.to_vec(),
                                unclear: shapes.1.to_vec(),
                            }),
                    ),
                );
                continue;
            }
            nesting_walk(ctx, file, rtype, &b.body, &p, attrs, blocks, shapes);
        } else if let Some(a) = s.as_attribute() {
            let name = a.key.as_str();
            let p = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            };
            if blocks.contains(&p) {
                let loc = file.loc(a.key.span());
                ctx.push(
                    Finding::new(
                        "TF003",
                        loc,
                        format!(
                            "`{p}` of `{rtype}` is a block, but it is written as an attribute (`{name} = ...`); Terraform rejects this (\"An argument named `{name}` is not expected here\")"
                        ),
                    )
                    .with_path(p.clone())
                    .with_help(format!("write it as a block: `{name} {{ ... }}` without `=`"))
                    .with_fix(
                        Fix::safe(format!("write `{p}` in block syntax"))
                            .change(Change::AttributeToBlock { at: loc }),
                    ),
                );
            }
        }
    }
}
