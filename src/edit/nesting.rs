//! Block ↔ attribute syntax (TF003's fix): a nested block that the provider reads as an
//! attribute becomes `name = { ... }` (or an element of `name = [ ... ]` for lists of objects),
//! with the blocks nested in it; an attribute the provider reads as a block becomes `name { ... }`.
//! Only the converted text changes: the bodies, their comments and their layout are kept (list
//! elements are indented one level more).

use super::render::{indent_of, indent_unit, newline};
use super::{Edit, EditError};
use hcl_edit::expr::{Expression, ObjectKey, ObjectValueAssignment, ObjectValueTerminator};
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::Span;

/// How the nested fields of the converted block are written.
pub struct Shapes<'a> {
    /// Dotted paths (from the resource) that are lists of objects.
    pub lists: &'a [String],
    /// Paths whose shape (object, list of objects, list of strings) is not known: no fix.
    pub unclear: &'a [String],
}

fn err(s: impl Into<String>) -> EditError {
    EditError(s.into())
}

fn parse(text: &str) -> Result<Body, EditError> {
    hcl_edit::parser::parse_body(text)
        .map_err(|e| EditError(format!("HCL syntax error: {}", e.message())))
}

/// The block whose identifier starts at `start`, with the body that holds it.
fn find_block(body: &Body, start: usize) -> Option<(&Body, &Block)> {
    for b in body.iter().filter_map(Structure::as_block) {
        if b.ident.span().is_some_and(|s| s.start == start) {
            return Some((body, b));
        }
        if let Some(x) = find_block(&b.body, start) {
            return Some(x);
        }
    }
    None
}

/// Offsets of a block's `{` and `}`.
fn braces(text: &str, b: &Block) -> Result<(usize, usize), EditError> {
    let span = b.span().ok_or_else(|| err("the block has no span"))?;
    let after = b
        .labels
        .last()
        .and_then(|l| l.span())
        .or_else(|| b.ident.span())
        .map(|r| r.end)
        .unwrap_or(span.start);
    let open = text[after..span.end]
        .find('{')
        .map(|i| after + i)
        .ok_or_else(|| err("the block has no body"))?;
    Ok((open, span.end - 1))
}

/// Edits that write the block whose identifier starts at `start` (at dotted path `path`) as an
/// attribute: an object, or, when `path` is a list of objects or the block is repeated, a list
/// made of it and the blocks of the same name next to it.
pub fn block_to_attribute(
    text: &str,
    start: usize,
    path: &str,
    shapes: &Shapes,
) -> Result<Vec<Edit>, EditError> {
    let body = parse(text)?;
    let (parent, b) = find_block(&body, start).ok_or_else(|| err("the block moved"))?;
    let st = Style {
        text,
        nl: newline(text),
        unit: indent_unit(text),
    };
    let run = run_of(text, parent, b);
    let (first, last) = (
        run[0].span().ok_or_else(|| err("no span"))?,
        run[run.len() - 1].span().ok_or_else(|| err("no span"))?,
    );
    let new = st.field(&run, path, shapes)?;
    Ok(vec![Edit::replace(first.start..last.end, new)])
}

/// The blocks named like `b` that are next to it in `parent` (only blanks between), `b`
/// included, in order.
fn run_of<'b>(text: &str, parent: &'b Body, b: &'b Block) -> Vec<&'b Block> {
    let blocks: Vec<&Block> = parent.iter().filter_map(Structure::as_block).collect();
    let Some(i) = blocks.iter().position(|x| std::ptr::eq(*x, b)) else {
        return vec![b];
    };
    let name = b.ident.as_str();
    let adjacent = |x: &Block, y: &Block| -> bool {
        match (x.span(), y.span()) {
            (Some(a), Some(c)) => a.end <= c.start && text[a.end..c.start].trim().is_empty(),
            _ => false,
        }
    };
    let mut lo = i;
    while lo > 0 && blocks[lo - 1].ident.as_str() == name && adjacent(blocks[lo - 1], blocks[lo]) {
        lo -= 1;
    }
    let mut hi = i;
    while hi + 1 < blocks.len()
        && blocks[hi + 1].ident.as_str() == name
        && adjacent(blocks[hi], blocks[hi + 1])
    {
        hi += 1;
    }
    blocks[lo..=hi].to_vec()
}

struct Style<'a> {
    text: &'a str,
    nl: &'static str,
    unit: String,
}

impl Style<'_> {
    /// `name = { ... }` for one block, `name = [ {...}, ... ]` for a list or a run of blocks.
    fn field(&self, run: &[&Block], path: &str, shapes: &Shapes) -> Result<String, EditError> {
        let b = run[0];
        let name = b.ident.as_str();
        if shapes.unclear.iter().any(|u| u == path) {
            return Err(err(format!(
                "whether `{path}` is an object or a list is not known"
            )));
        }
        if run.iter().any(|x| !x.labels.is_empty()) {
            return Err(err(format!("`{name}` has labels: not an attribute")));
        }
        let list = run.len() > 1 || shapes.lists.iter().any(|l| l == path);
        if !list {
            return Ok(format!("{name} = {}", self.object(b, path, shapes)?));
        }
        let span = b.span().ok_or_else(|| err("no span"))?;
        let ind = indent_of(self.text, span.start);
        let inner = format!("{ind}{}", self.unit);
        let mut out = format!("{name} = [");
        for x in run {
            let obj = self.object(x, path, shapes)?;
            if obj.contains("<<") {
                return Err(err("a heredoc inside the block would be re-indented"));
            }
            out.push_str(self.nl);
            out.push_str(&inner);
            out.push_str(&self.reindent(&obj));
            out.push(',');
        }
        out.push_str(self.nl);
        out.push_str(&ind);
        out.push(']');
        Ok(out)
    }

    /// Every line after the first one level deeper (blank lines stay blank).
    fn reindent(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 16);
        for (i, line) in s.split('\n').enumerate() {
            if i > 0 {
                out.push('\n');
                if !line.trim().is_empty() {
                    out.push_str(&self.unit);
                }
            }
            out.push_str(line);
        }
        out
    }

    /// The block's body as an object `{ ... }`, its nested blocks converted too.
    fn object(&self, b: &Block, path: &str, shapes: &Shapes) -> Result<String, EditError> {
        let (open, close) = braces(self.text, b)?;
        let mut out = String::from("{");
        let mut pos = open + 1;
        let blocks: Vec<&Block> = b.body.iter().filter_map(Structure::as_block).collect();
        let mut done: Vec<*const Block> = Vec::new();
        for x in &blocks {
            if done.contains(&std::ptr::from_ref(*x)) {
                continue;
            }
            let run = run_of(self.text, &b.body, x);
            done.extend(run.iter().map(|y| std::ptr::from_ref(*y)));
            let first = run[0].span().ok_or_else(|| err("no span"))?;
            let last = run[run.len() - 1].span().ok_or_else(|| err("no span"))?;
            out.push_str(&self.text[pos..first.start]);
            let child = format!("{path}.{}", x.ident.as_str());
            out.push_str(&self.field(&run, &child, shapes)?);
            pos = last.end;
        }
        out.push_str(&self.text[pos..close]);
        out.push('}');
        Ok(out)
    }
}

/// Edits that write the attribute whose key starts at `start` as a block: `name = { ... }`
/// becomes `name { ... }`, and `name = [{ ... }, { ... }]` one block per element. The object
/// must read as a block body: identifier keys with `=`, one attribute per line (or a single
/// one), no commas.
pub fn attribute_to_block(text: &str, start: usize) -> Result<Vec<Edit>, EditError> {
    let body = parse(text)?;
    let a = find_attribute(&body, start).ok_or_else(|| err("the attribute moved"))?;
    let key_span = a.key.span().ok_or_else(|| err("no span"))?;
    let name = a.key.as_str();
    let value_span = a.value.span().ok_or_else(|| err("no span"))?;
    match &a.value {
        Expression::Object(o) => {
            check_block_body(o)?;
            Ok(vec![Edit::replace(key_span.end..value_span.start, " ")])
        }
        Expression::Array(items) => {
            let ind = indent_of(text, key_span.start);
            let nl = newline(text);
            let mut parts = Vec::new();
            for e in items.iter() {
                let Expression::Object(o) = e else {
                    return Err(err("the list has elements that are not objects"));
                };
                check_block_body(o)?;
                let r = o.span().ok_or_else(|| err("no span"))?;
                parts.push(format!("{name} {}", dedent(&text[r], &indent_unit(text))));
            }
            if parts.is_empty() {
                return Err(err("the list is empty: remove it, or write the blocks"));
            }
            let sep = format!("{nl}{ind}");
            Ok(vec![Edit::replace(
                key_span.start..value_span.end,
                parts.join(&sep),
            )])
        }
        _ => Err(err(
            "the value is not an object or a list of objects written here",
        )),
    }
}

/// Every line after the first one level shallower, when it is indented by at least `unit`.
fn dedent(s: &str, unit: &str) -> String {
    s.split('\n')
        .enumerate()
        .map(|(i, l)| {
            if i > 0 {
                l.strip_prefix(unit).unwrap_or(l).to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn find_attribute(body: &Body, start: usize) -> Option<&hcl_edit::structure::Attribute> {
    for s in body.iter() {
        if let Some(a) = s.as_attribute() {
            if a.key.span().is_some_and(|r| r.start == start) {
                return Some(a);
            }
        } else if let Some(b) = s.as_block() {
            if let Some(a) = find_attribute(&b.body, start) {
                return Some(a);
            }
        }
    }
    None
}

/// Whether an object literal is also a valid block body.
fn check_block_body(o: &hcl_edit::expr::Object) -> Result<(), EditError> {
    for (k, v) in o.iter() {
        if !matches!(k, ObjectKey::Ident(_)) {
            return Err(err("an object key is quoted or computed: not a block body"));
        }
        if v.assignment() != ObjectValueAssignment::Equals {
            return Err(err("an object key uses `:`: not a block body"));
        }
        if v.terminator() == ObjectValueTerminator::Comma {
            return Err(err(
                "the object's attributes end with commas: write one per line without them first",
            ));
        }
    }
    Ok(())
}
