//! Lossless edits of HCL and JSON files: the one mechanism every command that changes a
//! configuration uses (`egress-report --write` today).
//!
//! An edit never re-prints a file. A [`Document`] parses the text (hcl-edit for HCL, the
//! span-keeping parser of [`crate::json`] for JSON) only to *find* things: the array literal at a
//! span, the array that holds an element, a top-level attribute of a tfvars file, a variable's
//! `default`, an object or block body. The changes are then exact [`Edit`]s of the original
//! text, insertions or replacements of byte ranges, so comments, order, blank lines, quoting
//! and every byte outside the edited ranges stay as they were. New text follows the style of its
//! neighbours (indentation, one element per line or all on one line, trailing commas, objects on
//! one line or several, CRLF line ends). [`apply_checked`] applies edits and parses the result
//! again, so an edit that would break the file is an error, never a broken file.

pub mod diff;
mod hcl;
mod json;
pub mod nesting;
pub mod policy;
pub mod references;
mod render;

use std::ops::Range;
use std::path::Path;

/// A change of the text: `range` (byte offsets of the original) is replaced by `text`; an empty
/// range inserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

impl Edit {
    /// Inserts `text` at byte offset `at`.
    pub fn insert(at: usize, text: impl Into<String>) -> Edit {
        Edit {
            range: at..at,
            text: text.into(),
        }
    }
    /// Replaces the bytes of `range` with `text`.
    pub fn replace(range: Range<usize>, text: impl Into<String>) -> Edit {
        Edit {
            range,
            text: text.into(),
        }
    }
}

/// The characters of `text` outside double-quoted strings (escapes inside strings skipped), with
/// their byte offsets: what the editor's bracket and comma scanners look at.
pub(crate) fn code_chars(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let mut in_str = false;
    let mut escaped = false;
    text.char_indices().filter(move |&(_, c)| {
        if in_str {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            return false;
        }
        if c == '"' {
            in_str = true;
            return false;
        }
        true
    })
}

/// Why an edit cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditError(pub String);

impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EditError {}

/// The language of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// Terraform (`.tf`) and tfvars (`.tfvars`).
    Hcl,
    /// `.tf.json`, `.tfvars.json`, JSON documents.
    Json,
}

impl Syntax {
    /// JSON for `*.json`, HCL otherwise.
    pub fn of_path(path: &Path) -> Syntax {
        if path
            .extension()
            .map(|e| e.eq_ignore_ascii_case("json"))
            .unwrap_or(false)
        {
            Syntax::Json
        } else {
            Syntax::Hcl
        }
    }
}

/// A value to write: strings, objects and arrays of them, rendered in the syntax and the style
/// of the place it goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    Str(String),
    /// A literal written as is (`true`, `3`): the same text in HCL and JSON.
    Raw(String),
    /// Attributes in the order given.
    Object(Vec<(String, Element)>),
    Array(Vec<Element>),
}

impl Element {
    /// An object of string attributes.
    pub fn object_of_strings(attrs: &[(&str, &str)]) -> Element {
        Element::Object(
            attrs
                .iter()
                .map(|(k, v)| (k.to_string(), Element::Str(v.to_string())))
                .collect(),
        )
    }
}

/// An array literal of a document: its span (`[` to `]`) and the spans of its elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayAt {
    pub span: Range<usize>,
    pub elements: Vec<Range<usize>>,
}

/// An object literal or a block (its body goes from `{` to `}`): its span and its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectAt {
    /// The whole object expression, or the whole block.
    pub span: Range<usize>,
    /// The opening and closing braces (byte offsets of `{` and `}`).
    pub open: usize,
    pub close: usize,
    /// Each attribute: its key and the span from the key to the end of the value.
    pub attributes: Vec<(String, Range<usize>)>,
}

/// A parsed file in which edits are located. See the module documentation.
#[derive(Debug)]
pub struct Document {
    text: String,
    syntax: Syntax,
    arrays: Vec<ArrayAt>,
    objects: Vec<ObjectAt>,
    /// Top-level attributes (tfvars): name and value span.
    attributes: Vec<(String, Range<usize>)>,
    /// `variable "NAME" { default = ... }`: name and value span of `default`.
    defaults: Vec<(String, Range<usize>)>,
}

impl Document {
    /// Parses `text`; a syntax error is an error (nothing is edited in a file that does not
    /// parse).
    pub fn parse(text: &str, syntax: Syntax) -> Result<Document, EditError> {
        let mut doc = Document {
            text: text.to_string(),
            syntax,
            arrays: Vec::new(),
            objects: Vec::new(),
            attributes: Vec::new(),
            defaults: Vec::new(),
        };
        match syntax {
            Syntax::Hcl => hcl::index(&mut doc)?,
            Syntax::Json => json::index(&mut doc)?,
        }
        doc.arrays.sort_by_key(|a| (a.span.start, a.span.end));
        Ok(doc)
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn syntax(&self) -> Syntax {
        self.syntax
    }

    /// The array literal whose span is exactly `span`.
    pub fn array_at(&self, span: Range<usize>) -> Option<&ArrayAt> {
        self.arrays.iter().find(|a| a.span == span)
    }

    /// The array literal one of whose elements is exactly at `element`.
    pub fn array_holding(&self, element: Range<usize>) -> Option<&ArrayAt> {
        self.arrays
            .iter()
            .filter(|a| a.elements.contains(&element))
            .min_by_key(|a| a.span.len())
    }

    /// The list element that holds `range` most closely: the array and the element's index.
    pub fn element_containing(&self, range: Range<usize>) -> Option<(&ArrayAt, usize)> {
        self.arrays
            .iter()
            .flat_map(|a| {
                a.elements
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.start <= range.start && range.end <= e.end)
                    .map(move |(i, e)| (a, i, e.len()))
            })
            .min_by_key(|(_, _, len)| *len)
            .map(|(a, i, _)| (a, i))
    }

    /// Edits that remove element `index` of `array`, with its separator: the elements after it
    /// take its place (and its indentation), the last one takes the separator before it, so the
    /// layout of the rest of the list is unchanged. The only element of a list is not removed.
    pub fn remove_element(&self, array: &ArrayAt, index: usize) -> Result<Vec<Edit>, EditError> {
        let n = array.elements.len();
        if index >= n {
            return Err(EditError("no such list element".into()));
        }
        if n == 1 {
            return Err(EditError("the list would become empty".into()));
        }
        let el = &array.elements[index];
        let range = if index + 1 < n {
            el.start..array.elements[index + 1].start
        } else {
            array.elements[index - 1].end..el.end
        };
        let sep = if index + 1 < n {
            &self.text[el.end..array.elements[index + 1].start]
        } else {
            &self.text[array.elements[index - 1].end..el.start]
        };
        if sep.contains('#') || sep.contains("//") || sep.contains("/*") {
            // A comment next to the element may be about it or its neighbour: not guessed.
            return Err(EditError(
                "a comment lies next to the element; remove it by hand".into(),
            ));
        }
        Ok(vec![Edit::replace(range, "")])
    }

    /// The innermost object literal or block that starts at `start` (a block's header, an
    /// object's `{`).
    pub fn object_starting_at(&self, start: usize) -> Option<&ObjectAt> {
        self.objects
            .iter()
            .filter(|o| o.span.start == start || o.open == start)
            .min_by_key(|o| o.span.len())
    }

    /// The object literal or block whose span is exactly `span`.
    pub fn object_at(&self, span: Range<usize>) -> Option<&ObjectAt> {
        self.objects.iter().find(|o| o.span == span)
    }

    /// The value span of top-level attribute `name` (a tfvars entry; for JSON, a top-level key).
    pub fn attribute(&self, name: &str) -> Option<Range<usize>> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.clone())
    }

    /// The value span of the `default` of `variable "name"` (HCL only).
    pub fn variable_default(&self, name: &str) -> Option<Range<usize>> {
        self.defaults
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.clone())
    }

    /// Edits that append `elements` to `array`, in the style of its existing elements.
    pub fn insert_elements(
        &self,
        array: &ArrayAt,
        elements: &[Element],
    ) -> Result<Vec<Edit>, EditError> {
        if elements.is_empty() {
            return Ok(Vec::new());
        }
        render::insert_elements(self, array, elements)
    }

    /// Edits that add attribute `key = value` at the end of `object` (a multi-line object or
    /// block body; for JSON, an object). Fails when the key is already there.
    pub fn insert_attribute(
        &self,
        object: &ObjectAt,
        key: &str,
        value: &Element,
    ) -> Result<Vec<Edit>, EditError> {
        if object.attributes.iter().any(|(k, _)| k == key) {
            return Err(EditError(format!("`{key}` is already set")));
        }
        render::insert_attribute(self, object, key, value)
    }
}

/// A block's text (from its identifier to its closing brace) as a document in which the block
/// itself is located: its braces and its attributes, found by the fast recognizer
/// ([`crate::skim`]) instead of a parse, for an attribute added to a large block (a key with its
/// policy). None when the recognizer cannot vouch for the body.
pub fn block_document(text: &str) -> Option<(Document, ObjectAt)> {
    if !text.ends_with('}') {
        return None;
    }
    let open = text.find('{')?;
    let close = text.len() - 1;
    if open >= close {
        return None;
    }
    let items = crate::skim::skim(&text[open + 1..close])?;
    let attributes = items
        .iter()
        .filter(|i| !i.is_block)
        .map(|i| {
            (
                i.ident.to_string(),
                i.range.start + open + 1..i.range.end + open + 1,
            )
        })
        .collect();
    let doc = Document {
        text: text.to_string(),
        syntax: Syntax::Hcl,
        arrays: Vec::new(),
        objects: Vec::new(),
        attributes: Vec::new(),
        defaults: Vec::new(),
    };
    Some((
        doc,
        ObjectAt {
            span: 0..text.len(),
            open,
            close,
            attributes,
        },
    ))
}

/// Applies non-overlapping edits to `text` (in any order).
pub fn apply(text: &str, edits: &[Edit]) -> Result<String, EditError> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out =
        String::with_capacity(text.len() + edits.iter().map(|e| e.text.len()).sum::<usize>());
    let mut pos = 0;
    for e in sorted {
        if e.range.start < pos || e.range.end > text.len() || e.range.start > e.range.end {
            return Err(EditError(format!(
                "edit at bytes {}..{} overlaps another edit or lies outside the text",
                e.range.start, e.range.end
            )));
        }
        if !text.is_char_boundary(e.range.start) || !text.is_char_boundary(e.range.end) {
            return Err(EditError(format!(
                "edit at bytes {}..{} is not on a character boundary",
                e.range.start, e.range.end
            )));
        }
        out.push_str(&text[pos..e.range.start]);
        out.push_str(&e.text);
        pos = e.range.end;
    }
    out.push_str(&text[pos..]);
    Ok(out)
}

/// [`apply`], then parses the result in `syntax`: a result that no longer parses is an error.
pub fn apply_checked(text: &str, syntax: Syntax, edits: &[Edit]) -> Result<String, EditError> {
    let out = apply(text, edits)?;
    Document::parse(&out, syntax)
        .map_err(|e| EditError(format!("the edited text would not parse: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests;
