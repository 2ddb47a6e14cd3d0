//! References of a Terraform module: `TYPE.NAME` traversals, renamed when a resource type is
//! (TF002's fix), and attributes removed from a block.

use super::{Edit, EditError};
use hcl_edit::expr::{Expression, Traversal, TraversalOperator};
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::visit::{self, Visit};
use hcl_edit::Span;

struct Refs<'a> {
    from: &'a str,
    name: &'a str,
    out: Vec<std::ops::Range<usize>>,
}

impl Visit for Refs<'_> {
    fn visit_traversal(&mut self, node: &Traversal) {
        if let Expression::Variable(v) = &node.expr {
            let named = matches!(
                node.operators.first().map(|o| o.value()),
                Some(TraversalOperator::GetAttr(a)) if a.as_str() == self.name
            );
            if v.as_str() == self.from && named {
                if let Some(s) = v.span() {
                    self.out.push(s);
                }
            }
        }
        visit::visit_traversal(self, node);
    }
}

/// Edits that rename every reference `from.name...` of `text` (an HCL file) to `to.name...`,
/// inside templates and `depends_on` too. Comments and strings are not touched.
pub fn rename_references(
    text: &str,
    from: &str,
    to: &str,
    name: &str,
) -> Result<Vec<Edit>, EditError> {
    let body: Body = hcl_edit::parser::parse_body(text)
        .map_err(|e| EditError(format!("HCL syntax error: {}", e.message())))?;
    let mut v = Refs {
        from,
        name,
        out: Vec::new(),
    };
    v.visit_body(&body);
    Ok(v.out.into_iter().map(|r| Edit::replace(r, to)).collect())
}

/// The block whose first label starts at `label_start`.
fn block_with_label(body: &Body, label_start: usize) -> Option<&Block> {
    body.iter().filter_map(Structure::as_block).find(|b| {
        b.labels
            .first()
            .and_then(|l| l.span())
            .is_some_and(|s| s.start == label_start)
    })
}

/// Edits that remove attribute `key` (its whole lines, with a comment at their end) from the
/// top-level block whose first label starts at `label_start`. Nothing when it has none.
pub fn remove_attribute(text: &str, label_start: usize, key: &str) -> Result<Vec<Edit>, EditError> {
    let body: Body = hcl_edit::parser::parse_body(text)
        .map_err(|e| EditError(format!("HCL syntax error: {}", e.message())))?;
    let b =
        block_with_label(&body, label_start).ok_or_else(|| EditError("the block moved".into()))?;
    let Some(a) = b.body.get_attribute(key) else {
        return Ok(Vec::new());
    };
    let (Some(k), Some(v)) = (a.key.span(), a.value.span()) else {
        return Err(EditError("the attribute has no span".into()));
    };
    let start = text[..k.start].rfind('\n').map(|i| i + 1).unwrap_or(0);
    if !text[start..k.start].trim().is_empty() {
        return Err(EditError(format!(
            "`{key}` shares its line with something else: remove it by hand"
        )));
    }
    // To the end of the value's line (a comment after it goes too), newline included.
    let end = text[v.end..]
        .find('\n')
        .map(|i| v.end + i + 1)
        .unwrap_or(text.len());
    let rest = text[v.end..end].trim();
    if !(rest.is_empty() || rest.starts_with('#') || rest.starts_with("//")) {
        return Err(EditError(format!(
            "`{key}` shares its line with something else: remove it by hand"
        )));
    }
    Ok(vec![Edit::replace(start..end, "")])
}
