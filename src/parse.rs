//! Parsing Terraform (hcl-edit) and JSON with locations, and turning failures into SYN001.

use crate::finding::Finding;
use crate::source::{FileId, Location, SourceMap};
use crate::value::Value;
use std::sync::Arc;

/// Deepest bracket/brace/parenthesis nesting accepted in HCL. hcl-edit's parser is recursive, so
/// deeper input is refused before it reaches the parser (SYN001) instead of overflowing the stack.
pub const MAX_HCL_DEPTH: usize = 128;

/// A parsed Terraform file.
#[derive(Debug)]
pub struct ParsedHcl {
    /// The file the body's spans point into: the file itself, or for a `.tf.json` file its
    /// native-syntax form (see [`crate::tfjson`]).
    pub file: FileId,
    pub tree: crate::tree::Tree,
    /// Written in Terraform's JSON syntax, where blocks and attributes look the same: the body
    /// says nothing about which one the author meant.
    pub json: bool,
}

impl ParsedHcl {
    /// The file and where the spans of top-level structure `i` start in it (0 but for a piece of
    /// a large file).
    pub fn spans(&self, i: usize) -> crate::source::SpanFile {
        crate::source::SpanFile {
            file: self.file,
            base: self.tree.base_of(i),
        }
    }
}

/// What a file turned into.
#[derive(Debug, Clone)]
pub enum Parsed {
    Hcl(Arc<ParsedHcl>),
    /// A JSON document (policy file, tfvars.json, tf.json).
    Json(Arc<Value>),
    /// The file did not parse; the SYN001 finding says why.
    Failed(Box<Finding>),
}

/// Decodes bytes as UTF-8 text, refusing binary content. The error message is for SYN001.
pub fn decode_text(bytes: &[u8]) -> Result<String, (usize, String)> {
    decode_owned(bytes.to_vec()).map_err(|(off, msg, _)| (off, msg))
}

/// [`decode_text`] of bytes already owned, without copying them; on failure the bytes come back
/// with the offset and message.
pub fn decode_owned(bytes: Vec<u8>) -> Result<String, (usize, String, Vec<u8>)> {
    if let Some(pos) = memchr::memchr(0, &bytes) {
        return Err((
            pos,
            "file contains NUL bytes: it looks binary, not text".to_string(),
            bytes,
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        (
            at,
            format!(
                "file is not valid UTF-8 (invalid byte at offset {at}); Terraform and JSON files must be UTF-8"
            ),
            e.into_bytes(),
        )
    })
}

/// A SYN001 finding at a byte offset.
pub fn syntax_finding(
    sources: &SourceMap,
    file: FileId,
    offset: usize,
    message: String,
) -> Finding {
    let f = sources.get(file);
    let mut offset = offset.min(f.text.len());
    // hcl-edit may point inside a multi-byte character (found by fuzzing: `_ eé`); start at it.
    while !f.text.is_char_boundary(offset) {
        offset -= 1;
    }
    // Highlight one character (or nothing at end of file).
    let end = f.text[offset..]
        .chars()
        .next()
        .map(|c| offset + c.len_utf8())
        .unwrap_or(offset);
    Finding::new("SYN001", Location::new(file, offset..end), message)
}

/// Scans HCL text for bracket nesting deeper than `max`, skipping strings, heredocs and comments
/// roughly. Returns the offset where the limit was crossed.
pub fn find_excessive_nesting(text: &str, max: usize) -> Option<usize> {
    /// Bytes that can change the state, in code and in strings; the rest is skipped in a tight
    /// loop (this pass runs over every byte of every file).
    const fn table(bytes: &[u8]) -> [bool; 256] {
        let mut t = [false; 256];
        let mut i = 0;
        while i < bytes.len() {
            t[bytes[i] as usize] = true;
            i += 1;
        }
        t
    }
    // Every level is an opening byte (`{`, `[`, `(`; an interpolation's `${`/`%{` has its `{`):
    // a text with at most `max` of them cannot nest deeper, and most files have fewer (a SIMD
    // count that stops early, instead of the byte-by-byte walk below).
    memchr::memchr3_iter(b'{', b'[', b'(', text.as_bytes()).nth(max)?;
    static IN_CODE: [bool; 256] = table(b"\"#/{[()]}");
    static IN_STRING: [bool; 256] = table(b"\\\"$%\n");
    let b = text.as_bytes();
    let mut depth: usize = 0;
    let mut i = 0;
    // Template interpolations nest too: `${` counts as an opening brace.
    let mut in_string = false;
    while i < b.len() {
        let interesting = if in_string { &IN_STRING } else { &IN_CODE };
        while i < b.len() && !interesting[b[i] as usize] {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let c = b[i];
        if in_string {
            match c {
                b'\\' => i += 1,
                b'"' => in_string = false,
                b'$' | b'%' if b.get(i + 1) == Some(&b'{') => {
                    depth += 1;
                    if depth > max {
                        return Some(i);
                    }
                    in_string = false;
                    i += 1;
                }
                b'\n' => in_string = false,
                _ => {}
            }
        } else {
            match c {
                b'"' => in_string = true,
                b'#' => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if b.get(i + 1) == Some(&b'/') => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if b.get(i + 1) == Some(&b'*') => {
                    i += 2;
                    while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                        i += 1;
                    }
                    i += 1;
                }
                b'{' | b'[' | b'(' => {
                    depth += 1;
                    if depth > max {
                        return Some(i);
                    }
                }
                b'}' | b']' | b')' => {
                    depth = depth.saturating_sub(1);
                    // closing an interpolation returns into the string
                }
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// Parses Terraform native syntax (`.tf`, `.tfvars`).
pub fn parse_hcl(sources: &SourceMap, file: FileId) -> Parsed {
    let src = sources.get(file);
    let _parsing = crate::alloc::parsing(&src.display);
    let text = src.text.clone();
    if let Some(off) = find_excessive_nesting(&text, MAX_HCL_DEPTH) {
        return Parsed::Failed(Box::new(syntax_finding(
            sources,
            file,
            off,
            format!(
                "expressions or blocks nested more than {MAX_HCL_DEPTH} levels deep; policy-lint does not evaluate them"
            ),
        )));
    }
    // A large file: held a piece at a time, or whole and then compacted (crate::parse_large).
    let large = text.len() >= crate::parse_large::LARGE_FILE_BYTES;
    if large {
        if let Some(p) =
            crate::parse_large::Pieces::parse(text.clone(), crate::parse_large::PIECE_BYTES)
        {
            return Parsed::Hcl(Arc::new(ParsedHcl {
                file,
                tree: crate::tree::Tree::Pieces(p),
                json: false,
            }));
        }
    }
    let body = hcl_edit::parser::parse_body(&text).map(|mut body| {
        if large {
            crate::parse_large::compact(&mut body);
        }
        body
    });
    match body {
        Ok(body) => Parsed::Hcl(Arc::new(ParsedHcl {
            file,
            tree: crate::tree::Tree::Whole(body),
            json: false,
        })),
        Err(e) => {
            let msg = e.message().trim().replace('\n', "; ");
            parse_error(sources, file, e.location().offset(), "Terraform", &msg)
        }
    }
}

/// SYN001 for a parser's error at a byte offset, its line and column given in characters, as in
/// the rendered snippet (hcl-edit counts columns in bytes).
pub(crate) fn parse_error(
    sources: &SourceMap,
    file: FileId,
    offset: usize,
    what: &str,
    msg: &str,
) -> Parsed {
    let lc = sources
        .get(file)
        .line_col(offset.min(u32::MAX as usize) as u32);
    Parsed::Failed(Box::new(syntax_finding(
        sources,
        file,
        offset,
        format!(
            "{what} syntax error at line {}, column {}: {msg}",
            lc.line, lc.col
        ),
    )))
}

/// Parses a JSON file into a value with spans.
pub fn parse_json(sources: &SourceMap, file: FileId) -> Parsed {
    let src = sources.get(file);
    let _parsing = crate::alloc::parsing(&src.display);
    let text = src.text.clone();
    match crate::json::parse_file(&text, file) {
        Ok(v) => Parsed::Json(Arc::new(v)),
        Err(e) => parse_error(sources, file, e.offset, "JSON", &e.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_detected() {
        let deep = format!("a = {}1{}", "[".repeat(200), "]".repeat(200));
        assert!(find_excessive_nesting(&deep, 128).is_some());
        assert!(find_excessive_nesting("a = [[1]]\n# [[[[[[\n", 2).is_none());
        assert!(find_excessive_nesting("a = \"[[[[\"", 2).is_none());
        // At the limit, with no other opening byte (the count alone decides) and with more
        // (the walk decides), and one past it.
        let at = |n: usize, extra: &str| format!("a = {}1{}{extra}", "{".repeat(n), "}".repeat(n));
        assert_eq!(find_excessive_nesting(&at(128, ""), 128), None);
        assert_eq!(find_excessive_nesting(&at(128, "\nb = (1)"), 128), None);
        assert_eq!(find_excessive_nesting(&at(129, ""), 128), Some(4 + 128));
        assert_eq!(find_excessive_nesting("a = \"${[(1)]}\"", 2), Some(8));
        assert_eq!(find_excessive_nesting("a = \"${[1]}\"", 2), None);
    }

    #[test]
    fn binary_is_refused() {
        assert!(decode_text(b"ab\0c").is_err());
        assert!(decode_text(&[0xff, 0xfe]).is_err());
        assert_eq!(decode_text(b"ok").unwrap(), "ok");
    }
}
