//! From what a check asks ([`Change`]) to exact edits of the file's text ([`TextEdit`]), or the
//! reason no fix is offered.

use crate::edit::{Document, Syntax};
use crate::finding::{Change, Finding, TextEdit};
use crate::hash::HashMap;
use crate::source::{FileId, Location, SourceMap};
use std::ops::Range;
use std::path::Path;
use std::rc::Rc;

/// Turns the changes of every finding's fix into edits. A fix that cannot be made (the value is
/// computed, it is written outside the repository or inside `.terraform/`) is withdrawn and the
/// finding's help says why.
pub fn realize(findings: &mut [Finding], sources: &SourceMap, repo_root: &Path) {
    let mut cache = Cache::default();
    for f in findings.iter_mut() {
        let Some(fix) = f.fix.as_mut() else { continue };
        let mut edits = Vec::new();
        let mut why = None;
        for c in &fix.changes {
            match edits_of(c, sources, repo_root, &mut cache) {
                Ok(e) => edits.extend(e),
                Err(e) => {
                    why = Some(e);
                    break;
                }
            }
        }
        match why {
            None if !edits.is_empty() => fix.edits = edits,
            None => f.fix = None,
            Some(why) => f.no_fix(&why),
        }
    }
}

/// Why the file of `loc` is not edited, if it is not.
fn editable(loc: Location, sources: &SourceMap, repo_root: &Path) -> Result<(), String> {
    let f = sources.get(loc.file);
    if f.derived.is_some() {
        return Err("the value is written in Terraform's JSON syntax".into());
    }
    if !f.path.is_absolute() {
        return Err(format!(
            "the value is given outside the configuration ({})",
            f.display
        ));
    }
    let canon = std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone());
    if canon.components().any(|c| c.as_os_str() == ".terraform") {
        return Err(
            "the value is written inside a module `terraform init` installed; change it at its source"
                .into(),
        );
    }
    if !canon.starts_with(repo_root) {
        return Err(format!(
            "the value is written in {}, outside the repository",
            f.display
        ));
    }
    Ok(())
}

/// What several findings of one file share: whether it may be edited, its top-level items, the
/// parsed documents of the items edits go into.
#[derive(Default)]
struct Cache {
    /// The Terraform files of the run by directory (for the references of a renamed type).
    by_dir: Option<HashMap<std::path::PathBuf, Vec<std::sync::Arc<crate::source::SourceFile>>>>,
    editable: HashMap<FileId, Result<(), String>>,
    /// The top-level blocks and attributes of an HCL file (`crate::skim`; None when the
    /// recognizer cannot vouch for the file).
    items: HashMap<FileId, Option<Vec<Range<usize>>>>,
    /// Documents by file and the offset of the text they were parsed from.
    docs: HashMap<(FileId, usize), Result<Rc<Document>, String>>,
}

impl Cache {
    /// The top-level item of HCL file `id` that holds `at`, if the file could be skimmed.
    fn item(&mut self, id: FileId, text: &str, at: &Range<usize>) -> Option<Range<usize>> {
        self.items
            .entry(id)
            .or_insert_with(|| {
                crate::skim::skim(text).map(|items| items.into_iter().map(|i| i.range).collect())
            })
            .as_ref()?
            .iter()
            .find(|r| r.start <= at.start && at.end <= r.end)
            .cloned()
    }

    /// A document in which `at` can be located, and the offset of its text in the file: the
    /// top-level item that holds `at` alone (parsing a whole file of resources to add one line
    /// to one of them would cost more than the run), else the whole file.
    fn document(
        &mut self,
        id: FileId,
        text: &str,
        path: &Path,
        at: &Range<usize>,
    ) -> Result<(Rc<Document>, usize), String> {
        let syntax = Syntax::of_path(path);
        let part = match syntax {
            Syntax::Hcl => self.item(id, text, at),
            Syntax::Json => None,
        }
        .unwrap_or(0..text.len());
        let doc = self
            .docs
            .entry((id, part.start))
            .or_insert_with(|| {
                Document::parse(&text[part.clone()], syntax)
                    .map(Rc::new)
                    .map_err(|e| e.0)
            })
            .clone()?;
        Ok((doc, part.start))
    }
}

fn edits_of(
    c: &Change,
    sources: &SourceMap,
    repo_root: &Path,
    cache: &mut Cache,
) -> Result<Vec<TextEdit>, String> {
    let at = c.location();
    cache
        .editable
        .entry(at.file)
        .or_insert_with(|| editable(at, sources, repo_root))
        .clone()?;
    let file = sources.get(at.file);
    let text: &str = &file.text;
    let r = at.range();
    let Some(slice) = text.get(r.clone()) else {
        return Err("the value's location is not in its file".into());
    };
    let edit = |range: std::ops::Range<usize>, t: String| TextEdit {
        loc: Location::new(at.file, range),
        text: t,
    };
    match c {
        Change::SetString { from, value, .. } => {
            let inner = literal_inner(slice)?;
            if inner != from {
                return Err(format!(
                    "the value is computed from `{}` (by a function or an expression), not written as it is",
                    one_line(slice)
                ));
            }
            if value
                .chars()
                .any(|ch| ch == '"' || ch == '\\' || ch == '$' || ch == '%' || ch.is_control())
            {
                return Err("the new value would need escaping".into());
            }
            Ok(vec![edit(r.start + 1..r.end - 1, value.clone())])
        }
        Change::ReplaceLiteral {
            expect, text: t, ..
        } => {
            if slice != expect {
                return Err(format!(
                    "the value there is `{}`, not the literal `{expect}`",
                    one_line(slice)
                ));
            }
            Ok(vec![edit(r, t.clone())])
        }
        Change::Unwrap { function, .. } => {
            if let Some(inner) = call_argument(slice, function) {
                return Ok(vec![edit(r, inner.to_string())]);
            }
            // The value is the argument of nested calls (`jsonencode(jsonencode({...}))`): the
            // outermost one goes.
            let calls = enclosing_calls(text, r.clone(), function);
            match calls.as_slice() {
                [.., inner, outer] => {
                    Ok(vec![edit(outer.clone(), text[inner.clone()].to_string())])
                }
                _ => Err(format!(
                    "the value is not written as `{function}(...)` here (`{}`)",
                    one_line(slice)
                )),
            }
        }
        Change::BlockToAttribute {
            path,
            lists,
            unclear,
            ..
        } => {
            let shapes = crate::edit::nesting::Shapes { lists, unclear };
            let e = crate::edit::nesting::block_to_attribute(text, r.start, path, &shapes)
                .map_err(|e| e.0)?;
            Ok(e.into_iter().map(|e| edit(e.range, e.text)).collect())
        }
        Change::AttributeToBlock { .. } => {
            let e = crate::edit::nesting::attribute_to_block(text, r.start).map_err(|e| e.0)?;
            Ok(e.into_iter().map(|e| edit(e.range, e.text)).collect())
        }
        Change::RenameType {
            block,
            from,
            to,
            name,
            drop,
            ..
        } => {
            let inner = literal_inner(slice)?;
            if inner != from {
                return Err(format!("the type label reads `{inner}`, not `{from}`"));
            }
            let mut out = vec![edit(r.start + 1..r.end - 1, to.clone())];
            let part = if block.file == at.file && block.start <= at.start && at.end <= block.end {
                block.range()
            } else {
                cache.item(at.file, text, &r).unwrap_or(0..text.len())
            };
            for key in drop {
                out.extend(
                    crate::edit::references::remove_attribute(
                        &text[part.clone()],
                        r.start - part.start,
                        key,
                    )
                    .map_err(|e| e.0)?
                    .into_iter()
                    .map(|e| edit(e.range.start + part.start..e.range.end + part.start, e.text)),
                );
            }
            // The references of the module: the items of the directory's Terraform files that
            // refer to `from.name` (only those are parsed; released texts are read, not kept).
            let dir = file
                .path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            let by_dir = cache.by_dir.get_or_insert_with(|| {
                let mut m: HashMap<
                    std::path::PathBuf,
                    Vec<std::sync::Arc<crate::source::SourceFile>>,
                > = HashMap::default();
                for f in sources.all() {
                    if f.derived.is_none() && f.path.extension().is_some_and(|e| e == "tf") {
                        if let Some(d) = f.path.parent() {
                            m.entry(d.to_path_buf()).or_default().push(f);
                        }
                    }
                }
                m
            });
            for other in by_dir.get(&dir).map(Vec::as_slice).unwrap_or_default() {
                let other_text = if other.id == at.file {
                    file.text.clone()
                } else {
                    sources.text_of(other.id)
                };
                if !other_text.contains(&format!("{from}.{name}")) {
                    continue;
                }
                let parts: Vec<Range<usize>> = match crate::skim::skim(&other_text) {
                    Some(items) => items
                        .into_iter()
                        .filter(|i| {
                            i.refs
                                .iter()
                                .any(|(t, n)| t == from && *n == Some(name.as_str()))
                        })
                        .map(|i| i.range)
                        .collect(),
                    None => std::iter::once(0..other_text.len()).collect(),
                };
                for p in parts {
                    let refs = crate::edit::references::rename_references(
                        &other_text[p.clone()],
                        from,
                        to,
                        name,
                    )
                    .map_err(|e| e.0)?;
                    out.extend(refs.into_iter().map(|e| TextEdit {
                        loc: Location::new(
                            other.id,
                            e.range.start + p.start..e.range.end + p.start,
                        ),
                        text: e.text,
                    }));
                }
            }
            Ok(out)
        }
        Change::AddGrantCondition { .. } => {
            let e = crate::edit::policy::add_grant_condition(text, Syntax::of_path(&file.path), r)
                .map_err(|e| e.0)?;
            Ok(e.into_iter().map(|e| edit(e.range, e.text)).collect())
        }
        Change::RemoveElement { .. } => {
            let (doc, off) = cache.document(at.file, text, &file.path, &r)?;
            let (array, i) = doc
                .element_containing(r.start - off..r.end - off)
                .ok_or("the entry is not an element of a list literal")?;
            let el = array.elements[i].start + off..array.elements[i].end + off;
            if el != r && !text[el].trim_start().starts_with('{') {
                return Err("the entry is computed, not written in a list".into());
            }
            let e = doc.remove_element(array, i).map_err(|e| e.0)?;
            Ok(e.into_iter()
                .map(|e| edit(e.range.start + off..e.range.end + off, e.text))
                .collect())
        }
        Change::AddAttribute { key, value, .. } => {
            let hcl = Syntax::of_path(&file.path) == Syntax::Hcl;
            // A whole block that starts its line: its attributes are found by the recognizer,
            // without a parse (indentation is read from whole lines).
            let ls = text[..r.start].rfind('\n').map(|i| i + 1).unwrap_or(0);
            let starts_line = text[ls..r.start].chars().all(|c| c == ' ' || c == '\t');
            if let Some((doc, block)) = (hcl && starts_line)
                .then(|| crate::edit::block_document(&text[ls..r.end]))
                .flatten()
            {
                let e = doc.insert_attribute(&block, key, value).map_err(|e| e.0)?;
                return Ok(e
                    .into_iter()
                    .map(|e| edit(e.range.start + ls..e.range.end + ls, e.text))
                    .collect());
            }
            let (doc, off) = cache.document(at.file, text, &file.path, &r)?;
            let o = doc
                .object_starting_at(r.start - off)
                .ok_or("the block is not written as a block or an object literal")?;
            let e = doc.insert_attribute(o, key, value).map_err(|e| e.0)?;
            Ok(e.into_iter()
                .map(|e| edit(e.range.start + off..e.range.end + off, e.text))
                .collect())
        }
    }
}

/// The argument of `slice` when it is exactly one call `function(ARG)` (ARG trimmed), else
/// None. Parentheses in strings are not counted.
fn call_argument<'a>(slice: &'a str, function: &str) -> Option<&'a str> {
    let rest = slice.strip_prefix(function)?.trim_start();
    let body = rest.strip_prefix('(')?;
    let mut depth = 1usize;
    for (i, c) in crate::edit::code_chars(body) {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    let arg = body[..i].trim();
                    let after = body[i + 1..].trim();
                    return (after.is_empty() && !arg.is_empty() && !top_level_comma(arg))
                        .then_some(arg);
                }
            }
            _ => {}
        }
    }
    None
}

/// The calls `function(...)` whose only argument is the text at `range`, innermost first, each
/// the only argument of the next.
fn enclosing_calls(
    text: &str,
    range: std::ops::Range<usize>,
    function: &str,
) -> Vec<std::ops::Range<usize>> {
    let (mut s, mut e) = (range.start, range.end);
    let mut out = Vec::new();
    loop {
        let before = text[..s].trim_end();
        let Some(name_end) = before.strip_suffix('(').map(|b| b.trim_end().len()) else {
            break;
        };
        let Some(start) = name_end.checked_sub(function.len()) else {
            break;
        };
        let boundary = text[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'));
        if &text[start..name_end] != function || !boundary {
            break;
        }
        let after = &text[e..];
        let skipped = after.len() - after.trim_start().len();
        if !after[skipped..].starts_with(')') {
            break;
        }
        let close = e + skipped + 1;
        out.push(start..close);
        s = start;
        e = close;
    }
    out
}

/// True when `s` has a comma outside brackets and strings (several arguments).
fn top_level_comma(s: &str) -> bool {
    let mut depth = 0i32;
    for (_, c) in crate::edit::code_chars(s) {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// The text of a plain string literal (`"..."`, no interpolation, directive or escape), or why
/// the value is not one.
fn literal_inner(slice: &str) -> Result<&str, String> {
    let plain = slice.len() >= 2 && slice.starts_with('"') && slice.ends_with('"');
    if !plain {
        return Err(format!(
            "the value is computed (`{}`), not written as a string literal",
            one_line(slice)
        ));
    }
    let inner = &slice[1..slice.len() - 1];
    if inner.contains("${") || inner.contains("%{") {
        return Err(format!(
            "the value is computed by an interpolation ({})",
            one_line(slice)
        ));
    }
    if inner.contains('\\') || inner.contains('"') {
        return Err("the value is written with escapes".into());
    }
    Ok(inner)
}

/// At most 60 characters of `s`, on one line.
fn one_line(s: &str) -> String {
    let s = s.split(['\n', '\r']).next().unwrap_or("");
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}
