//! From what a check asks ([`Change`]) to exact edits of the file's text ([`TextEdit`]), or the
//! reason no fix is offered.

use crate::edit::{Document, Syntax};
use crate::finding::{Change, Finding, TextEdit};
use crate::source::{Location, SourceMap};
use std::path::Path;

/// Turns the changes of every finding's fix into edits. A fix that cannot be made (the value is
/// computed, it is written outside the repository or inside `.terraform/`) is withdrawn and the
/// finding's help says why.
pub fn realize(findings: &mut [Finding], sources: &SourceMap, repo_root: &Path) {
    for f in findings.iter_mut() {
        let Some(fix) = f.fix.as_mut() else { continue };
        let mut edits = Vec::new();
        let mut why = None;
        for c in &fix.changes {
            match edits_of(c, sources, repo_root) {
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
            Some(why) => {
                f.fix = None;
                let note = format!("no automatic fix: {why}");
                f.help = Some(match f.help.take() {
                    Some(h) => format!("{h} ({note})"),
                    None => note,
                });
            }
        }
    }
}

fn location(c: &Change) -> Location {
    match c {
        Change::SetString { at, .. }
        | Change::ReplaceLiteral { at, .. }
        | Change::RemoveElement { at }
        | Change::AddAttribute { at, .. } => *at,
    }
}

/// Why the file of `loc` is not edited, if it is not.
fn editable(loc: Location, sources: &SourceMap, repo_root: &Path) -> Result<(), String> {
    let f = sources.get(loc.file);
    if f.derived.is_some() {
        return Err("the value is written in Terraform's JSON syntax".into());
    }
    if !f.path.is_absolute() {
        return Err(format!("the value is given outside the configuration ({})", f.display));
    }
    let canon = std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone());
    if canon.components().any(|c| c.as_os_str() == ".terraform") {
        return Err(format!(
            "the value is written in {}, inside .terraform/ (a module `terraform init` installed); change it at its source",
            f.display
        ));
    }
    if !canon.starts_with(repo_root) {
        return Err(format!(
            "the value is written in {}, outside the repository",
            f.display
        ));
    }
    Ok(())
}

fn edits_of(c: &Change, sources: &SourceMap, repo_root: &Path) -> Result<Vec<TextEdit>, String> {
    let at = location(c);
    editable(at, sources, repo_root)?;
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
        Change::ReplaceLiteral { expect, text: t, .. } => {
            if slice != expect {
                return Err(format!(
                    "the value there is `{}`, not the literal `{expect}`",
                    one_line(slice)
                ));
            }
            Ok(vec![edit(r, t.clone())])
        }
        Change::RemoveElement { .. } => {
            let doc = Document::parse(text, Syntax::of_path(&file.path)).map_err(|e| e.0)?;
            let (array, i) = doc
                .element_containing(r.clone())
                .ok_or("the entry is not an element of a list literal")?;
            let el = &array.elements[i];
            if el.clone() != r && !text[el.clone()].trim_start().starts_with('{') {
                return Err("the entry is computed, not written in a list".into());
            }
            let e = doc.remove_element(array, i).map_err(|e| e.0)?;
            Ok(e.into_iter()
                .map(|e| edit(e.range, e.text))
                .collect())
        }
        Change::AddAttribute { key, value, .. } => {
            let doc = Document::parse(text, Syntax::of_path(&file.path)).map_err(|e| e.0)?;
            let o = doc
                .object_starting_at(r.start)
                .ok_or("the block is not written as a block or an object literal")?;
            let e = doc
                .insert_attribute(o, key, value)
                .map_err(|e| e.0)?;
            Ok(e.into_iter()
                .map(|e| edit(e.range, e.text))
                .collect())
        }
    }
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
