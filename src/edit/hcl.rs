//! Locating arrays, objects, blocks, tfvars attributes and variable defaults in HCL text with
//! hcl-edit's spans.

use super::{ArrayAt, Document, EditError, ObjectAt};
use hcl_edit::expr::{Array, Expression, Object, ObjectKey};
use hcl_edit::structure::{Block, Body};
use hcl_edit::visit::{self, Visit};
use hcl_edit::Span;

/// Fills the document's index from its HCL text.
pub(super) fn index(doc: &mut Document) -> Result<(), EditError> {
    if let Some(at) = crate::parse::find_excessive_nesting(&doc.text, crate::parse::MAX_HCL_DEPTH) {
        return Err(EditError(format!(
            "nesting deeper than {} levels at byte {at}",
            crate::parse::MAX_HCL_DEPTH
        )));
    }
    let body: Body = hcl_edit::parser::parse_body(&doc.text)
        .map_err(|e| EditError(format!("HCL syntax error: {}", e.message())))?;
    for a in body.attributes() {
        if let Some(r) = a.value.span() {
            doc.attributes.push((a.key.as_str().to_string(), r));
        }
    }
    for b in body.get_blocks("variable") {
        let (Some(label), Some(d)) = (b.labels.first(), b.body.get_attribute("default")) else {
            continue;
        };
        if let Some(r) = d.value.span() {
            doc.defaults.push((label.as_str().to_string(), r));
        }
    }
    let mut v = Indexer {
        text: &doc.text,
        arrays: Vec::new(),
        objects: Vec::new(),
    };
    v.visit_body(&body);
    doc.arrays = v.arrays;
    doc.objects = v.objects;
    Ok(())
}

struct Indexer<'a> {
    text: &'a str,
    arrays: Vec<ArrayAt>,
    objects: Vec<ObjectAt>,
}

/// The text of an object key: an identifier or a quoted string.
fn key_text(k: &ObjectKey) -> Option<String> {
    match k {
        ObjectKey::Ident(i) => Some(i.as_str().to_string()),
        ObjectKey::Expression(Expression::String(s)) => Some(s.as_str().to_string()),
        ObjectKey::Expression(_) => None,
    }
}

impl Visit for Indexer<'_> {
    fn visit_array(&mut self, node: &Array) {
        if let Some(span) = node.span() {
            self.arrays.push(ArrayAt {
                span,
                elements: node.iter().filter_map(|e| e.span()).collect(),
            });
        }
        visit::visit_array(self, node);
    }

    fn visit_object(&mut self, node: &Object) {
        if let Some(span) = node.span() {
            let attributes = node
                .iter()
                .filter_map(|(k, v)| {
                    let name = key_text(k)?;
                    let start = k.span()?.start;
                    let end = v.expr().span()?.end;
                    Some((name, start..end))
                })
                .collect();
            self.objects.push(ObjectAt {
                open: span.start,
                close: span.end.saturating_sub(1),
                span,
                attributes,
            });
        }
        visit::visit_object(self, node);
    }

    fn visit_block(&mut self, node: &Block) {
        if let Some(span) = node.span() {
            // The body's braces: the first `{` after the identifier and labels, and the last
            // byte of the block.
            let after = node
                .labels
                .last()
                .and_then(|l| l.span())
                .or_else(|| node.ident.span())
                .map(|r| r.end)
                .unwrap_or(span.start);
            let open = self.text[after..span.end]
                .find('{')
                .map(|i| after + i)
                .unwrap_or(span.start);
            let attributes = node
                .body
                .attributes()
                .filter_map(|a| {
                    let start = a.key.span()?.start;
                    let end = a.value.span()?.end;
                    Some((a.key.as_str().to_string(), start..end))
                })
                .collect();
            self.objects.push(ObjectAt {
                open,
                close: span.end.saturating_sub(1),
                span,
                attributes,
            });
        }
        visit::visit_block(self, node);
    }
}
