//! Edits of IAM policy statements in each of the forms Terraform configurations write them.

use super::render::{indent_unit, newline};
use super::{Document, Edit, EditError, Element, Syntax};
use std::ops::Range;

/// The `Bool` condition on `kms:GrantIsForAWSResource`.
fn condition() -> Element {
    Element::Object(vec![(
        "Bool".into(),
        Element::Object(vec![(
            "kms:GrantIsForAWSResource".into(),
            Element::Str("true".into()),
        )]),
    )])
}

/// Edits that add `Condition = {"Bool": {"kms:GrantIsForAWSResource": "true"}}` to the statement
/// written at `at` in `text` (a file of `syntax`): a JSON object (a JSON file, or JSON inside an
/// HCL heredoc), an HCL object (`jsonencode`), or a `statement` block of an
/// `aws_iam_policy_document` (a `condition` block).
pub fn add_grant_condition(
    text: &str,
    syntax: Syntax,
    at: Range<usize>,
) -> Result<Vec<Edit>, EditError> {
    let slice = text
        .get(at.clone())
        .ok_or_else(|| EditError("the statement is outside the text".into()))?;
    if syntax == Syntax::Hcl {
        let doc = Document::parse(text, Syntax::Hcl)?;
        if slice.starts_with("statement") {
            let block = doc
                .object_starting_at(at.start)
                .ok_or_else(|| EditError("the statement block moved".into()))?;
            return condition_block(text, block.close);
        }
        if let Some(o) = doc.object_at(at.clone()) {
            return doc.insert_attribute(o, "Condition", &condition());
        }
    }
    // JSON: the whole file, or the statement's text inside a heredoc, parsed on its own (from
    // its `{` to the matching `}`: a location inside an indented heredoc may cover only its
    // first line).
    if !slice.starts_with('{') {
        return Err(EditError(
            "the statement is not written as an object".into(),
        ));
    }
    let close = matching_brace(text, at.start)
        .ok_or_else(|| EditError("the statement's object is not closed".into()))?;
    let at = at.start..close + 1;
    let slice = &text[at.clone()];
    let sub = Document::parse(slice, Syntax::Json)?;
    let o = sub
        .object_at(0..slice.len())
        .ok_or_else(|| EditError("the statement is not a JSON object".into()))?;
    // The slice starts at the statement's `{`: its other lines keep their indentation, so the
    // new key takes that of its neighbours.
    let mut edits = sub.insert_attribute(o, "Condition", &condition())?;
    for e in &mut edits {
        e.range = e.range.start + at.start..e.range.end + at.start;
    }
    Ok(edits)
}

/// The offset of the `}` that closes the `{` at `open` (strings and escapes skipped).
fn matching_brace(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in super::code_chars(&text[open..]) {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return (c == '}').then_some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

/// A `condition` block before the closing brace (at `close`) of a multi-line `statement` block.
fn condition_block(text: &str, close: usize) -> Result<Vec<Edit>, EditError> {
    let ls = text[..close].rfind('\n').map(|i| i + 1).unwrap_or(0);
    if !text[ls..close].chars().all(|c| c == ' ' || c == '\t') {
        return Err(EditError(
            "the statement block is on one line: add the condition by hand".into(),
        ));
    }
    let nl = newline(text);
    let unit = indent_unit(text);
    let ind = format!("{}{unit}", &text[ls..close]);
    let inner = format!("{ind}{unit}");
    let s = format!(
        "{ind}condition {{{nl}{inner}test     = \"Bool\"{nl}{inner}variable = \"kms:GrantIsForAWSResource\"{nl}{inner}values   = [\"true\"]{nl}{ind}}}{nl}"
    );
    Ok(vec![Edit::insert(ls, s)])
}
