//! Locating arrays and objects in JSON text with the spans of [`crate::json`].

use super::{ArrayAt, Document, EditError, ObjectAt};
use crate::value::{Kind, Value};

/// Fills the document's index from its JSON text. For JSON, an attribute's range is its value's
/// span (the parser keeps no key spans).
pub(super) fn index(doc: &mut Document) -> Result<(), EditError> {
    let v = crate::json::parse_file(&doc.text, crate::source::FileId(0)).map_err(|e| {
        EditError(format!(
            "JSON syntax error at byte {}: {}",
            e.offset, e.message
        ))
    })?;
    if let Kind::Object(map) = &v.kind {
        for (k, item) in map.iter() {
            if let Some(l) = item.loc() {
                doc.attributes.push((k.clone(), l.range()));
            }
        }
    }
    walk(&v, doc);
    Ok(())
}

fn walk(v: &Value, doc: &mut Document) {
    let Some(loc) = v.loc() else { return };
    match &v.kind {
        Kind::List(items) => {
            doc.arrays.push(ArrayAt {
                span: loc.range(),
                elements: items
                    .iter()
                    .filter_map(|i| i.loc())
                    .map(|l| l.range())
                    .collect(),
            });
            for i in items.iter() {
                walk(i, doc);
            }
        }
        Kind::Object(map) => {
            let mut attributes: Vec<(String, std::ops::Range<usize>)> = map
                .iter()
                .filter_map(|(k, i)| Some((k.clone(), i.loc()?.range())))
                .collect();
            // Text order (the map is sorted by key).
            attributes.sort_by_key(|(_, r)| r.start);
            let r = loc.range();
            doc.objects.push(ObjectAt {
                open: r.start,
                close: r.end.saturating_sub(1),
                span: r,
                attributes,
            });
            for i in map.values() {
                walk(i, doc);
            }
        }
        _ => {}
    }
}
