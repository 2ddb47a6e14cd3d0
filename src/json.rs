//! A strict JSON parser that keeps the byte span of every element.
//!
//! serde_json has no spans, so policy-lint parses JSON itself into [`Value`]s whose origins point
//! at each element. The parser is iterative in nesting depth only up to [`MAX_DEPTH`], never
//! recursive beyond it, so hostile input cannot overflow the stack.
//!
//! The same parser reads JSON embedded in Terraform (heredocs, `file()` results): the caller
//! supplies a function mapping byte ranges of the JSON text to [`Origin`]s, and unknown parts of a
//! partially known string are passed in as placeholders (see [`PLACEHOLDER_START`]).

use crate::value::{Kind, ObjMap, Origin, Part, Unknown, Value};
use std::sync::Arc;

/// Deepest nesting accepted before the input is rejected as too deep.
pub const MAX_DEPTH: usize = 256;

/// Unknown parts of a string to be parsed are written as `PLACEHOLDER_START`, the decimal index
/// into the placeholder table, `PLACEHOLDER_END` (characters from Unicode's private use area).
pub const PLACEHOLDER_START: char = '\u{E000}';
pub const PLACEHOLDER_END: char = '\u{E001}';

#[derive(Debug, Clone, PartialEq)]
pub struct JsonError {
    /// Byte offset into the parsed text.
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses `text` as one JSON document. `origin` maps a byte range of `text` to an origin.
pub fn parse(
    text: &str,
    origin: &dyn Fn(std::ops::Range<usize>) -> Origin,
    placeholders: &[Arc<Unknown>],
) -> Result<Value, JsonError> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        pos: 0,
        origin,
        placeholders,
        depth: 0,
    };
    // A UTF-8 byte order mark is tolerated, as AWS tools do.
    if text.starts_with('\u{FEFF}') {
        p.pos = 3;
    }
    p.ws();
    let v = p.value()?;
    p.ws();
    if p.pos < p.s.len() {
        return Err(p.err("unexpected content after the JSON document; expected end of file"));
    }
    Ok(v)
}

/// Parses a standalone file's text: every element's origin is its own span in `file`.
pub fn parse_file(text: &str, file: crate::source::FileId) -> Result<Value, JsonError> {
    parse(
        text,
        &|r| Origin::at(crate::source::Location::new(file, r)),
        &[],
    )
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    origin: &'a dyn Fn(std::ops::Range<usize>) -> Origin,
    placeholders: &'a [Arc<Unknown>],
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, msg: &str) -> JsonError {
        JsonError {
            offset: self.pos.min(self.s.len()),
            message: msg.to_string(),
        }
    }

    fn ws(&mut self) {
        while let Some(&b) = self.s.get(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn value(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        match self.peek() {
            None => Err(self.err("unexpected end of input; expected a JSON value")),
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => {
                let kind = self.string_kind()?;
                Ok(Value::new(kind, (self.origin)(start..self.pos)))
            }
            Some(b't') => self.literal("true", Kind::Bool(true)),
            Some(b'f') => self.literal("false", Kind::Bool(false)),
            Some(b'n') => self.literal("null", Kind::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => {
                if !self.placeholders.is_empty()
                    && self.text[self.pos..].starts_with(PLACEHOLDER_START)
                {
                    // An unknown interpolation outside a string: the whole value is unknown.
                    let (u, end) = self.placeholder_at(self.pos)?;
                    self.pos = end;
                    return Ok(Value::new(Kind::Unknown(u), (self.origin)(start..end)));
                }
                let ch = self.text[self.pos..].chars().next().unwrap_or('?');
                Err(self.err(&format!(
                    "unexpected character `{ch}`; expected a JSON value"
                )))
            }
        }
    }

    fn placeholder_at(&self, pos: usize) -> Result<(Arc<Unknown>, usize), JsonError> {
        let rest = &self.text[pos + PLACEHOLDER_START.len_utf8()..];
        let Some(end) = rest.find(PLACEHOLDER_END) else {
            return Err(self.err("malformed placeholder"));
        };
        let idx: usize = rest[..end]
            .parse()
            .map_err(|_| self.err("malformed placeholder"))?;
        let u = self
            .placeholders
            .get(idx)
            .cloned()
            .ok_or_else(|| self.err("malformed placeholder"))?;
        Ok((
            u,
            pos + PLACEHOLDER_START.len_utf8() + end + PLACEHOLDER_END.len_utf8(),
        ))
    }

    fn literal(&mut self, word: &str, kind: Kind) -> Result<Value, JsonError> {
        let start = self.pos;
        if self.s[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(Value::new(kind, (self.origin)(start..self.pos)))
        } else {
            Err(self.err("invalid literal; expected `true`, `false` or `null`"))
        }
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.pos += 1;
                }
            }
            _ => return Err(self.err("invalid number; expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("invalid number; expected a digit after `.`"));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("invalid number; expected a digit in the exponent"));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
        }
        let n: f64 = self.text[start..self.pos].parse().unwrap_or(0.0);
        Ok(Value::new(Kind::Number(n), (self.origin)(start..self.pos)))
    }

    /// Parses a string literal; returns Kind::String or Kind::Partial (with placeholders).
    fn string_kind(&mut self) -> Result<Kind, JsonError> {
        let s = self.raw_string()?;
        // Without placeholders (a file's own text) the character is just a character.
        if self.placeholders.is_empty() || !s.contains(PLACEHOLDER_START) {
            return Ok(Kind::String(s));
        }
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = s.as_str();
        while let Some(i) = rest.find(PLACEHOLDER_START) {
            lit.push_str(&rest[..i]);
            let after = &rest[i + PLACEHOLDER_START.len_utf8()..];
            let Some(end) = after.find(PLACEHOLDER_END) else {
                return Err(self.err("malformed placeholder"));
            };
            let idx: usize = after[..end]
                .parse()
                .map_err(|_| self.err("malformed placeholder"))?;
            let u = self
                .placeholders
                .get(idx)
                .cloned()
                .ok_or_else(|| self.err("malformed placeholder"))?;
            if !lit.is_empty() {
                parts.push(Part::Lit(std::mem::take(&mut lit)));
            }
            parts.push(Part::Unknown(u));
            rest = &after[end + PLACEHOLDER_END.len_utf8()..];
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Kind::Partial(parts))
    }

    fn raw_string(&mut self) -> Result<String, JsonError> {
        debug_assert_eq!(self.peek(), Some(b'"'));
        self.pos += 1;
        let mut out = String::new();
        loop {
            let chunk_start = self.pos;
            while let Some(&b) = self.s.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[chunk_start..self.pos]);
            match self.peek() {
                None => return Err(self.err("unterminated string; expected `\"`")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let esc = self
                        .peek()
                        .ok_or_else(|| self.err("unterminated escape sequence"))?;
                    self.pos += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let c = self.hex4()?;
                            if (0xD800..0xDC00).contains(&c) {
                                // surrogate pair
                                if self.s[self.pos..].starts_with(b"\\u") {
                                    self.pos += 2;
                                    let lo = self.hex4()?;
                                    if (0xDC00..0xE000).contains(&lo) {
                                        let cp = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                                        out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                                    } else {
                                        out.push('\u{FFFD}');
                                    }
                                } else {
                                    out.push('\u{FFFD}');
                                }
                            } else {
                                out.push(char::from_u32(c).unwrap_or('\u{FFFD}'));
                            }
                        }
                        _ => {
                            self.pos -= 1;
                            return Err(self.err("invalid escape sequence in string"));
                        }
                    }
                }
                Some(_) => {
                    return Err(self.err("control character in string; escape it (e.g. `\\n`)"))
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let h = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.err("invalid \\u escape; expected four hex digits"))?;
        let c = u32::from_str_radix(h, 16)
            .map_err(|_| self.err("invalid \\u escape; expected four hex digits"))?;
        self.pos += 4;
        Ok(c)
    }

    fn enter(&mut self) -> Result<(), JsonError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(&format!(
                "JSON nested more than {MAX_DEPTH} levels deep; policy-lint does not read it"
            )));
        }
        Ok(())
    }

    fn array(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        self.enter()?;
        self.pos += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                self.ws();
                items.push(self.value()?);
                self.ws();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.ws();
                        if self.peek() == Some(b']') {
                            return Err(self.err("trailing comma in array; expected a value"));
                        }
                    }
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.err("expected `,` or `]` in array")),
                }
            }
        }
        self.depth -= 1;
        Ok(Value::new(
            Kind::List(items.into()),
            (self.origin)(start..self.pos),
        ))
    }

    fn object(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        self.enter()?;
        self.pos += 1;
        let mut map = ObjMap::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                self.ws();
                if self.peek() != Some(b'"') {
                    return Err(self.err("expected a string key (`\"...\"`) in object"));
                }
                let key_start = self.pos;
                let key = self.raw_string()?;
                self.ws();
                if self.peek() != Some(b':') {
                    return Err(self.err("expected `:` after object key"));
                }
                self.pos += 1;
                self.ws();
                let v = self.value()?;
                // Duplicate keys: the last one wins (as serde_json and AWS do); keep the value.
                let _ = key_start;
                map.insert(key, v);
                self.ws();
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        self.ws();
                        if self.peek() == Some(b'}') {
                            return Err(self.err("trailing comma in object; expected a key"));
                        }
                    }
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.err("expected `,` or `}` in object")),
                }
            }
        }
        self.depth -= 1;
        Ok(Value::new(
            Kind::Object(map.into()),
            (self.origin)(start..self.pos),
        ))
    }
}

/// The text of a string value with each unknown part written as a placeholder, and the unknowns.
pub fn placeholder_text(v: &Value) -> Option<(String, Vec<Arc<Unknown>>)> {
    match &v.kind {
        Kind::String(s) => Some((s.clone(), vec![])),
        Kind::Partial(parts) => {
            let mut s = String::new();
            let mut unknowns = Vec::new();
            for p in parts {
                match p {
                    Part::Lit(l) => s.push_str(l),
                    Part::Unknown(u) => {
                        s.push(PLACEHOLDER_START);
                        s.push_str(&unknowns.len().to_string());
                        s.push(PLACEHOLDER_END);
                        unknowns.push(u.clone());
                    }
                }
            }
            Some((s, unknowns))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, Location};

    fn p(s: &str) -> Result<Value, JsonError> {
        parse_file(s, FileId(0))
    }

    #[test]
    fn spans_point_at_elements() {
        let v = p(r#"{"a": [1, "x"], "b": true}"#).unwrap();
        let a = v.get("a").unwrap();
        assert_eq!(a.loc(), Some(Location::new(FileId(0), 6..14)));
        let x = &a.as_list().unwrap()[1];
        assert_eq!(x.as_str(), Some("x"));
        assert_eq!(x.loc(), Some(Location::new(FileId(0), 10..13)));
    }

    #[test]
    fn private_use_characters_of_a_file_are_characters() {
        // The placeholder characters mean something only in text made by policy-lint.
        let v = p("{\"a\": \"x\u{E000}0\u{E001}y\"}").unwrap();
        assert_eq!(v.get("a").unwrap().as_str(), Some("x\u{E000}0\u{E001}y"));
        assert!(p("\u{E000}0\u{E001}").is_err());
    }

    #[test]
    fn errors_have_offsets() {
        let e = p("{\"a\": }").unwrap_err();
        assert_eq!(e.offset, 6);
        assert!(p("[1,]").is_err());
        assert!(p("{} x").is_err());
        assert!(p("\"\\q\"").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let s = "[".repeat(100_000);
        let e = p(&s).unwrap_err();
        assert!(e.message.contains("nested"));
    }

    #[test]
    fn escapes_and_unicode() {
        let v = p(r#""a\u00e9\ud83d\ude00\n""#).unwrap();
        assert_eq!(v.as_str(), Some("aé😀\n"));
    }

    #[test]
    fn placeholders_become_partial_strings() {
        let u = Arc::new(Unknown::new(crate::value::Reason::Other("x".into())));
        let text = format!(
            "{{\"p\": \"arn:{}0{}:iam\"}}",
            PLACEHOLDER_START, PLACEHOLDER_END
        );
        let v = parse(&text, &|_| Origin::none(), &[u]).unwrap();
        let frags = v.get("p").unwrap().known_fragments().unwrap();
        assert_eq!(frags, vec!["arn:".to_string(), ":iam".to_string()]);
    }
}
