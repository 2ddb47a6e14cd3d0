//! `--write`: where each missing destination goes, and the edits (through [`crate::edit`]).
//!
//! A list is written where a person would edit it: a literal list in the resource gets a new
//! object; a list made by `for d in COLLECTION : { destination = d, ... }` gets a new string in
//! the list literal its elements come from (a tfvars entry, a variable default, a module
//! argument, a local), or, when it is empty, in the list literal the collection was written as;
//! a list given whole by a variable gets a new object in the list literal that variable's value
//! was written as; an absent list becomes a new attribute of `network_access`. Anything else
//! (values from `--var`/`TF_VAR_`, a `for` that transforms or filters its elements, lists
//! concatenated from several places, files outside the checked paths or inside `.terraform/`)
//! is reported with the entries to add, never written.

use super::model::{ListKind, ListState, Policy};
use super::report::{place, Built, Change, Context};
use crate::edit::{self, Document, Element, Syntax};
use crate::source::Location;
use hcl_edit::expr::{Expression, ForExpr, ObjectKey};
use hcl_edit::Span;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// How new entries go into the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum How {
    /// Objects appended to an array literal.
    Objects,
    /// Strings appended to the array literal a `for` expression's elements come from.
    Strings,
    /// A new `allowed_..._destinations = [...]` attribute of the `network_access` object.
    NewAttribute,
}

/// Where a list's new entries go.
#[derive(Debug, Clone)]
pub struct Target {
    /// The array literal (or the `network_access` object).
    pub loc: Location,
    /// The file (canonical).
    pub path: PathBuf,
    pub how: How,
}

/// Whether a list can be written, and where.
#[derive(Debug, Clone)]
pub enum Plan {
    Write(Target),
    /// Not written: why, and the place a person would edit.
    Report {
        reason: String,
        loc: Option<Location>,
    },
}

fn report(reason: impl Into<String>, loc: Option<Location>) -> Plan {
    Plan::Report {
        reason: reason.into(),
        loc,
    }
}

/// The parsed text of the file of `loc`, as it was evaluated.
fn document(cx: &Context, loc: Location) -> Result<Document, String> {
    let f = cx.sources.get(loc.file);
    Document::parse(&f.text, Syntax::of_path(&f.path)).map_err(|e| {
        format!(
            "it is written in {}, which is not an HCL or JSON file policy-lint can edit ({e})",
            f.display
        )
    })
}

/// Why the file of `loc` must not be edited, if it must not.
fn writable(cx: &Context, loc: Location) -> Result<PathBuf, String> {
    let f = cx.sources.get(loc.file);
    if !f.path.is_absolute() {
        return Err(format!(
            "its values are given outside the configuration ({})",
            f.display
        ));
    }
    let path =
        std::fs::canonicalize(&f.path).map_err(|e| format!("{} cannot be read: {e}", f.display))?;
    let shown = crate::source::display_path(&path, cx.repo_root);
    if path.components().any(|c| c.as_os_str() == ".terraform") {
        return Err(format!(
            "it is written in {shown}, inside .terraform/ (a module `terraform init` installed)"
        ));
    }
    if !path.starts_with(cx.repo_root) || !cx.checked.iter().any(|c| path.starts_with(c)) {
        return Err(format!(
            "it is written in {shown}, outside the checked paths"
        ));
    }
    Ok(path)
}

/// Where the new entries of `kind` of policy `p` go.
pub fn plan(p: &Policy, kind: ListKind, cx: &Context) -> Plan {
    let list = match kind {
        ListKind::Internet => &p.internet,
        ListKind::Storage => &p.storage,
    };
    let field = kind.field();
    let attr = kind.attribute();
    let (loc, how) = match &list.state {
        ListState::Unknown(why) => {
            return report(format!("`{attr}` is not known ({why})"), list.loc)
        }
        ListState::Absent => {
            let Some(na) = list.loc else {
                return report(
                    "the policy has no `egress.network_access` to add the list to",
                    Some(p.loc),
                );
            };
            match document(cx, na) {
                Ok(doc) if doc.object_at(na.range()).is_some() => (na, How::NewAttribute),
                Ok(_) => {
                    return report(
                        "`network_access` is not written as an object or a block",
                        Some(na),
                    )
                }
                Err(e) => return report(e, Some(na)),
            }
        }
        ListState::Known => {
            if list.given_outside {
                return report(
                    format!("`{attr}` gets values from --var or TF_VAR_: add the entries there"),
                    list.loc,
                );
            }
            let Some(lv) = list.loc else {
                return report(format!("`{attr}` has no location"), Some(p.loc));
            };
            let doc = match document(cx, lv) {
                Ok(d) => d,
                Err(e) => return report(e, Some(lv)),
            };
            if doc.array_at(lv.range()).is_some() {
                (lv, How::Objects)
            } else if let Some(shape) = for_shape(doc.text(), lv, field) {
                if let Err(why) = shape {
                    return report(why, Some(lv));
                }
                // The list literal the elements come from.
                let holders: Vec<Option<Location>> = list
                    .items
                    .iter()
                    .map(|i| {
                        let f = i.field?;
                        let d = document(cx, f).ok()?;
                        d.array_holding(f.range())
                            .map(|a| Location::new(f.file, a.span.clone()))
                    })
                    .collect();
                match holders.first() {
                    None => match list.collection {
                        Some(c)
                            if document(cx, c)
                                .map(|d| d.array_at(c.range()).is_some())
                                .unwrap_or(false) =>
                        {
                            (c, How::Strings)
                        }
                        _ => {
                            return report(
                                "the list the `for` expression iterates over is not a list literal in a file",
                                Some(lv),
                            )
                        }
                    },
                    Some(first) => {
                        if holders.iter().any(|h| h.is_none() || h != first) {
                            return report(
                                "its entries do not all come from one list literal (concat, several variables or computed elements)",
                                Some(lv),
                            );
                        }
                        (first.expect("checked"), How::Strings)
                    }
                }
            } else {
                let holders: Vec<Option<Location>> = list
                    .items
                    .iter()
                    .map(|i| {
                        let o = i.object?;
                        let d = document(cx, o).ok()?;
                        d.array_holding(o.range())
                            .map(|a| Location::new(o.file, a.span.clone()))
                    })
                    .collect();
                match holders.first() {
                    Some(Some(first)) if holders.iter().all(|h| h.as_ref() == Some(first)) => {
                        (*first, How::Objects)
                    }
                    _ => {
                        return report(
                            format!(
                                "`{attr}` is computed by an expression policy-lint does not edit"
                            ),
                            Some(lv),
                        )
                    }
                }
            }
        }
    };
    match writable(cx, loc) {
        Ok(path) => Plan::Write(Target { loc, path, how }),
        Err(why) => report(why, Some(loc)),
    }
}

/// For a `for` expression at `loc`: Ok when it is `for x in C : { FIELD = x, ... }` (new strings
/// in C's list become new entries), Err with why otherwise; None when `loc` is not a `for`.
fn for_shape(text: &str, loc: Location, field: &str) -> Option<Result<(), String>> {
    if crate::parse::find_excessive_nesting(text, crate::parse::MAX_HCL_DEPTH).is_some() {
        return None;
    }
    let body = hcl_edit::parser::parse_body(text).ok()?;
    let mut found: Option<&ForExpr> = None;
    for_each_expr(&body, &mut |e| {
        if let Expression::ForExpr(f) = e {
            if f.span() == Some(loc.range()) {
                found = Some(f);
            }
        }
    });
    let f = found?;
    if f.cond.is_some() {
        return Some(Err(
            "the `for` expression filters its elements (`if ...`): add the entries to the list it iterates over by hand".into(),
        ));
    }
    if f.key_expr.is_some() {
        return Some(Err(
            "the `for` expression builds an object, not a list".into()
        ));
    }
    let var = f.intro.value_var.as_str();
    let Expression::Object(obj) = &f.value_expr else {
        return Some(Err(
            "the `for` expression does not build an object literal per element".into(),
        ));
    };
    let value = obj.iter().find_map(|(k, v)| {
        let name = match k {
            ObjectKey::Ident(i) => i.as_str().to_string(),
            ObjectKey::Expression(Expression::String(s)) => s.as_str().to_string(),
            _ => return None,
        };
        (name == field).then_some(v.expr())
    });
    match value {
        Some(Expression::Variable(v)) if v.as_str() == var => Some(Ok(())),
        Some(e) => {
            let shown = e
                .span()
                .and_then(|r| text.get(r))
                .unwrap_or("an expression")
                .to_string();
            Some(Err(format!(
                "the `for` expression computes `{field}` from its element (`{shown}`): add the entries to the list it iterates over by hand"
            )))
        }
        None => Some(Err(format!("the `for` expression sets no `{field}`"))),
    }
}

/// Calls `f` on every expression of `body`, depth first.
fn for_each_expr<'a>(body: &'a hcl_edit::structure::Body, f: &mut dyn FnMut(&'a Expression)) {
    fn expr<'a>(e: &'a Expression, f: &mut dyn FnMut(&'a Expression)) {
        f(e);
        match e {
            Expression::Array(a) => a.iter().for_each(|x| expr(x, f)),
            Expression::Object(o) => o.iter().for_each(|(_, v)| expr(v.expr(), f)),
            Expression::Parenthesis(p) => expr(p.inner(), f),
            Expression::Conditional(c) => {
                expr(&c.cond_expr, f);
                expr(&c.true_expr, f);
                expr(&c.false_expr, f);
            }
            Expression::FuncCall(c) => c.args.iter().for_each(|x| expr(x, f)),
            Expression::ForExpr(fe) => {
                expr(&fe.intro.collection_expr, f);
                if let Some(k) = &fe.key_expr {
                    expr(k, f);
                }
                expr(&fe.value_expr, f);
            }
            Expression::BinaryOp(b) => {
                expr(&b.lhs_expr, f);
                expr(&b.rhs_expr, f);
            }
            Expression::UnaryOp(u) => expr(&u.expr, f),
            Expression::Traversal(t) => expr(&t.expr, f),
            _ => {}
        }
    }
    fn body_exprs<'a>(b: &'a hcl_edit::structure::Body, f: &mut dyn FnMut(&'a Expression)) {
        for s in b.iter() {
            match s {
                hcl_edit::structure::Structure::Attribute(a) => expr(&a.value, f),
                hcl_edit::structure::Structure::Block(bl) => body_exprs(&bl.body, f),
            }
        }
    }
    body_exprs(body, f);
}

/// The element a missing destination becomes.
fn element(kind: ListKind, how: How, name: &str, region: Option<&str>) -> Element {
    match (how, kind) {
        (How::Strings, _) => Element::Str(name.to_string()),
        (_, ListKind::Internet) => Element::object_of_strings(&[
            ("destination", name),
            ("internet_destination_type", "DNS_NAME"),
        ]),
        (_, ListKind::Storage) => {
            let mut attrs = vec![("bucket_name", name)];
            if let Some(r) = region {
                attrs.push(("region", r));
            }
            attrs.push(("storage_destination_type", "AWS_S3"));
            Element::object_of_strings(&attrs)
        }
    }
}

/// What `--write` did.
pub struct Applied {
    pub changes: Vec<Change>,
    /// The unified diff of every file (with `--diff`, what would be written).
    pub diff: String,
    /// Files that could not be edited, with why.
    pub errors: Vec<String>,
}

/// Applies (or, when `write` is false, only computes) the additions of the report.
pub fn apply(built: &Built, cx: &Context, write: bool) -> Applied {
    // Group by file, then by target (span, how, list): the elements, their names, the
    // policies they are for.
    type Key = (usize, usize, How, ListKind);
    type Adds = (Vec<Element>, Vec<String>, Vec<String>);
    let mut files: BTreeMap<PathBuf, (Location, BTreeMap<Key, Adds>)> = BTreeMap::new();
    for a in &built.additions {
        let super::write::Plan::Write(t) = &a.plan else {
            continue;
        };
        let entry = files
            .entry(t.path.clone())
            .or_insert_with(|| (t.loc, BTreeMap::new()));
        let key = (t.loc.start as usize, t.loc.end as usize, t.how, a.kind);
        let slot = entry.1.entry(key).or_default();
        let policy = built.policies[a.policy].address.clone();
        if !slot.2.contains(&policy) {
            slot.2.push(policy);
        }
        for (name, region) in &a.names {
            if slot.1.contains(name) {
                continue;
            }
            slot.1.push(name.clone());
            slot.0.push(element(a.kind, t.how, name, region.as_deref()));
        }
    }
    let mut out = Applied {
        changes: Vec::new(),
        diff: String::new(),
        errors: Vec::new(),
    };
    for (path, (any_loc, targets)) in files {
        let shown = crate::source::display_path(&path, cx.repo_root);
        let evaluated = cx.sources.get(any_loc.file).text.clone();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                out.errors.push(format!("{shown}: cannot read: {e}"));
                continue;
            }
        };
        if *text != *evaluated {
            out.errors.push(format!(
                "{shown} changed since it was read; run the command again"
            ));
            continue;
        }
        let syntax = Syntax::of_path(&path);
        let doc = match Document::parse(&text, syntax) {
            Ok(d) => d,
            Err(e) => {
                out.errors.push(format!("{shown}: {e}"));
                continue;
            }
        };
        let mut edits = Vec::new();
        let mut changes = Vec::new();
        let mut failed = None;
        for ((start, end, how, kind), (elements, names, policies)) in &targets {
            let range = *start..*end;
            let res = match how {
                How::Objects | How::Strings => match doc.array_at(range.clone()) {
                    Some(a) => doc.insert_elements(a, elements),
                    None => Err(edit::EditError("the list literal moved".into())),
                },
                How::NewAttribute => match doc.object_at(range.clone()) {
                    Some(o) => {
                        doc.insert_attribute(o, kind.attribute(), &Element::Array(elements.clone()))
                    }
                    None => Err(edit::EditError("the object moved".into())),
                },
            };
            match res {
                Ok(e) => edits.extend(e),
                Err(e) => {
                    failed = Some(e.to_string());
                    break;
                }
            }
            let at = place(
                cx.sources,
                cx.repo_root,
                Location::new(any_loc.file, range.clone()),
            );
            changes.push(Change {
                file: shown.clone(),
                line: at.line,
                policy: policies.join(", "),
                list: kind.attribute(),
                added: names.clone(),
                written: false,
            });
        }
        if let Some(e) = failed {
            out.errors.push(format!("{shown}: {e}"));
            continue;
        }
        let new = match edit::apply_checked(&text, syntax, &edits) {
            Ok(n) => n,
            Err(e) => {
                out.errors.push(format!("{shown}: {e}"));
                continue;
            }
        };
        out.diff
            .push_str(&edit::diff::unified(&shown, &text, &new, 3));
        if write {
            if let Err(e) = std::fs::write(&path, &new) {
                out.errors.push(format!("{shown}: cannot write: {e}"));
                continue;
            }
            for c in &mut changes {
                c.written = true;
            }
        }
        out.changes.extend(changes);
    }
    out
}
