//! Terraform's JSON configuration syntax (`*.tf.json`), evaluated like native syntax.
//!
//! A `.tf.json` file is translated into the native-syntax text it stands for, and that text is
//! parsed by hcl-edit like a `.tf` file, so module loading, evaluation and checks work unchanged.
//! hcl-edit gives spans only to what its own parser produced (it has no public way to set one),
//! so the translation is a text registered as a derived source ([`crate::source::Derived`]):
//! each piece of it remembers the JSON it was written for, and findings made on it are moved to
//! the JSON file ([`crate::source::SourceMap::resolve`]). Strings without escapes are copied byte
//! for byte, so a location inside a `"${jsonencode({...})}"` is exact; an escape maps to the
//! whole escape sequence.
//!
//! The mapping follows Terraform's "JSON Configuration Syntax"
//! (<https://developer.hashicorp.com/terraform/language/syntax/json>) and HCL's JSON
//! specification (<https://github.com/hashicorp/hcl/blob/main/json/spec.md>):
//!
//! - the root is an object (or an array of objects) whose properties are block types; each label
//!   level is an object (or array of objects) keyed by the label; the last level is the block
//!   body, an object, or an array of objects for several blocks with the same labels
//!   (`"provider": {"aws": [{...}, {"alias": "west", ...}]}`);
//! - a `"//"` property of a body is a comment;
//! - in expressions, strings are templates (`"${var.n}"` is the value of `var.n` itself, not a
//!   string), property names of objects are templates too, and numbers, booleans, null, arrays
//!   and objects are literals;
//! - some arguments are not expressions: a variable's `type` and a resource's `provider` are
//!   strings holding native syntax (`"list(string)"`, `"aws.west"`), a variable's `default` and
//!   a module's `source` and `version` are literal values (`"${x}"` is those four characters);
//! - `dynamic` blocks are `"dynamic": {"TYPE": {"for_each": ..., "content": {...}}}`.
//!
//! Without the provider's schema, a property of a resource body whose value is an object or an
//! array of objects may be an argument or a nested block: it is read as an argument (an object
//! or a list of objects), which the checks read the same way as the nested blocks it may stand
//! for, and TF003 (block versus attribute syntax) does not apply to JSON files
//! ([`crate::parse::ParsedHcl::json`]). `depends_on`, `lifecycle`, `provisioner`, `connection`,
//! a module's `providers`, variable `validation` and the `terraform`, `moved`, `import`, `check`,
//! `removed`, `ephemeral` and `action` blocks are not evaluated (nor are they in `.tf` files).

use crate::hash::HashSet;
use crate::parse::{find_excessive_nesting, parse_error, Parsed, ParsedHcl, MAX_HCL_DEPTH};
use crate::source::{Derived, FileId, SourceMap};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

/// Deepest JSON nesting accepted: the translation nests as deep as the JSON, and hcl-edit
/// accepts [`MAX_HCL_DEPTH`] levels.
const MAX_DEPTH: usize = MAX_HCL_DEPTH;

/// Parses a `.tf.json` file registered as `file`: its native-syntax form, or SYN001 saying what
/// is wrong (JSON syntax, or JSON that is not Terraform's JSON syntax).
pub fn parse(sources: &SourceMap, file: FileId) -> Parsed {
    let src = sources.get(file);
    let _parsing = crate::alloc::parsing(&src.display);
    let text = src.text.clone();
    let root = match parse_json(&text) {
        Ok(n) => n,
        Err(e) => return parse_error(sources, file, e.offset, "JSON", &e.message),
    };
    let mut tr = Translator::new(&text, file);
    if let Err(e) = tr.file(&root) {
        return parse_error(sources, file, e.offset, "Terraform JSON", &e.message);
    }
    let (native, derived) = (tr.out, tr.map);
    let at = |off: usize| derived.map(off as u32..off as u32).start as usize;
    if let Some(off) = find_excessive_nesting(&native, MAX_HCL_DEPTH) {
        return Parsed::Failed(Box::new(crate::parse::syntax_finding(
            sources,
            file,
            at(off),
            format!(
                "expressions or blocks nested more than {MAX_HCL_DEPTH} levels deep; policy-lint does not evaluate them"
            ),
        )));
    }
    match hcl_edit::parser::parse_body(&native) {
        Ok(body) => {
            let mut path = src.path.clone().into_os_string();
            path.push("#native-syntax");
            let id = sources.add_derived(
                PathBuf::from(path),
                src.display.clone(),
                Arc::from(native),
                derived,
            );
            Parsed::Hcl(Arc::new(ParsedHcl {
                file: id,
                tree: crate::tree::Tree::Whole(body),
                json: true,
            }))
        }
        Err(e) => {
            let msg = e.message().trim().replace('\n', "; ");
            parse_error(
                sources,
                file,
                at(e.location().offset()),
                "Terraform JSON",
                &format!("policy-lint cannot read this as Terraform: {msg}"),
            )
        }
    }
}

/// The local module sources (`./x`, `../x`) of the `module` blocks of a `.tf.json` text, for the
/// plan of units (see [`crate::engine::load`]); nothing when the text does not parse.
pub fn module_sources(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(root) = parse_json(text) else {
        return out;
    };
    for top in objects_of(&root) {
        for (k, v) in top {
            if k.value != "module" {
                continue;
            }
            for calls in objects_of(v) {
                for (_, call) in calls {
                    let bodies: Vec<&Node> = match &call.kind {
                        Kind::Array(items) => items.iter().collect(),
                        _ => vec![call],
                    };
                    for body in bodies {
                        let Kind::Object(props) = &body.kind else {
                            continue;
                        };
                        for (a, v) in props {
                            if let (true, Kind::Str(s)) = (a.value == "source", &v.kind) {
                                if s.value.starts_with("./") || s.value.starts_with("../") {
                                    out.push(s.value.clone());
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

// ------------------------------------------------------------------------------- JSON

/// A JSON value with the spans Terraform's JSON syntax needs: properties in order, duplicates
/// kept, strings with the place of each escape.
#[derive(Debug)]
struct Node {
    span: Range<usize>,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Null,
    Bool,
    Number,
    Str(Str),
    Array(Vec<Node>),
    Object(Vec<(Str, Node)>),
}

impl Kind {
    fn name(&self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::Str(_) => "a string",
            Kind::Array(_) => "an array",
            Kind::Object(_) => "an object",
        }
    }
}

/// A JSON string: its span (quotes included), its value, and where each escape sequence is.
#[derive(Debug)]
struct Str {
    span: Range<usize>,
    value: String,
    escapes: Vec<Escape>,
}

/// One escape sequence: the bytes of the value it decodes to, and the bytes of the file it is.
#[derive(Debug)]
struct Escape {
    value: Range<usize>,
    file: Range<usize>,
}

impl Str {
    /// The file offset of a byte of the value (the start of the escape holding it, if any).
    fn file_offset(&self, v: usize) -> usize {
        let i = self.escapes.partition_point(|e| e.value.end <= v);
        if let Some(e) = self.escapes.get(i) {
            if e.value.start <= v {
                return e.file.start;
            }
        }
        match i.checked_sub(1).map(|j| &self.escapes[j]) {
            Some(e) => e.file.end + (v - e.value.end),
            None => self.span.start + 1 + v,
        }
    }
}

#[derive(Debug)]
struct JsonError {
    offset: usize,
    message: String,
}

fn parse_json(text: &str) -> Result<Node> {
    let mut p = JsonParser {
        s: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
    };
    // A UTF-8 byte order mark is tolerated, as Terraform does.
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

struct JsonParser<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl JsonParser<'_> {
    fn err(&self, msg: &str) -> JsonError {
        JsonError {
            offset: self.pos.min(self.s.len()),
            message: msg.to_string(),
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn value(&mut self) -> Result<Node> {
        let start = self.pos;
        let kind = match self.peek() {
            None => return Err(self.err("unexpected end of input; expected a JSON value")),
            Some(b'{' | b'[') => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(self.err(&format!(
                        "JSON nested more than {MAX_DEPTH} levels deep; policy-lint does not read it"
                    )));
                }
                let k = if self.peek() == Some(b'{') {
                    self.object()?
                } else {
                    self.array()?
                };
                self.depth -= 1;
                k
            }
            Some(b'"') => Kind::Str(self.string()?),
            Some(b't') => self.word("true", Kind::Bool)?,
            Some(b'f') => self.word("false", Kind::Bool)?,
            Some(b'n') => self.word("null", Kind::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => {
                let ch = self.text[self.pos..].chars().next().unwrap_or('?');
                return Err(self.err(&format!(
                    "unexpected character `{ch}`; expected a JSON value"
                )));
            }
        };
        Ok(Node {
            span: start..self.pos,
            kind,
        })
    }

    fn word(&mut self, word: &str, kind: Kind) -> Result<Kind> {
        if self.s[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(kind)
        } else {
            Err(self.err("invalid literal; expected `true`, `false` or `null`"))
        }
    }

    fn digits(&mut self) -> bool {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos > start
    }

    fn number(&mut self) -> Result<Kind> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid number; expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !self.digits() {
                return Err(self.err("invalid number; expected a digit after `.`"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !self.digits() {
                return Err(self.err("invalid number; expected a digit in the exponent"));
            }
        }
        Ok(Kind::Number)
    }

    fn string(&mut self) -> Result<Str> {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        let mut escapes = Vec::new();
        loop {
            let chunk = self.pos;
            while let Some(&b) = self.s.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            value.push_str(&self.text[chunk..self.pos]);
            match self.peek() {
                None => return Err(self.err("unterminated string; expected `\"`")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Str {
                        span: start..self.pos,
                        value,
                        escapes,
                    });
                }
                Some(b'\\') => {
                    let esc_start = self.pos;
                    self.pos += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi)
                                && self.s[self.pos..].starts_with(b"\\u")
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    self.pos = save;
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            // A lone surrogate is not a character: Terraform reads U+FFFD.
                            let c = c.unwrap_or('\u{FFFD}');
                            self.pos -= 1;
                            c
                        }
                        None => return Err(self.err("unterminated escape sequence")),
                        Some(_) => return Err(self.err("invalid escape sequence in string")),
                    };
                    self.pos += 1;
                    let at = value.len();
                    value.push(c);
                    escapes.push(Escape {
                        value: at..value.len(),
                        file: esc_start..self.pos,
                    });
                }
                Some(_) => {
                    return Err(self.err("control character in string; escape it (e.g. `\\n`)"))
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32> {
        let h = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.err("invalid \\u escape; expected four hex digits"))?;
        let c = u32::from_str_radix(h, 16)
            .map_err(|_| self.err("invalid \\u escape; expected four hex digits"))?;
        self.pos += 4;
        Ok(c)
    }

    fn array(&mut self) -> Result<Kind> {
        self.pos += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Kind::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value()?);
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Kind::Array(items));
                }
                _ => return Err(self.err("expected `,` or `]` in array")),
            }
        }
    }

    fn object(&mut self) -> Result<Kind> {
        self.pos += 1;
        let mut props = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Kind::Object(props));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a property name in double quotes"));
            }
            let key = self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected `:` after the property name"));
            }
            self.pos += 1;
            self.ws();
            let v = self.value()?;
            props.push((key, v));
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Kind::Object(props));
                }
                _ => return Err(self.err("expected `,` or `}` in object")),
            }
        }
    }
}

/// The properties of an object, or of each object of an array (other values: nothing).
fn objects_of(n: &Node) -> Vec<&[(Str, Node)]> {
    match &n.kind {
        Kind::Object(p) => vec![p.as_slice()],
        Kind::Array(items) => items
            .iter()
            .filter_map(|i| match &i.kind {
                Kind::Object(p) => Some(p.as_slice()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

// ------------------------------------------------------------------------------- translation

/// What a block body is, for the arguments Terraform reads specially.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Variable,
    Output,
    Module,
    Provider,
    /// A resource or data source.
    Resource,
    Locals,
    /// A nested block of a resource (the `content` of a `dynamic` block).
    Nested,
}

/// How a JSON value in an argument is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// An expression: strings are templates.
    Expr,
    /// An expression in a resource or provider body, where a nested object may be a nested
    /// block: its `"//"` properties are comments.
    Nested,
    /// A literal value: strings are taken as they are (`default`, `source`).
    Literal,
}

/// How characters of a string are written in the native syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chars {
    /// Inside `${...}`/`%{...}`, or a native expression: as they are.
    Code,
    /// The literal text of a quoted template: `"`, `\` and line breaks escaped.
    Quoted,
    /// A literal string: also `${` and `%{` escaped as `$${` and `%%{`.
    Literal,
}

struct Translator<'a> {
    text: &'a str,
    out: String,
    map: Derived,
}

type Result<T> = std::result::Result<T, JsonError>;

fn error_at(offset: usize, message: String) -> JsonError {
    JsonError { offset, message }
}

/// Block types of the top level that policy-lint does not evaluate (nor in `.tf` files).
const NOT_EVALUATED: &[&str] = &[
    "terraform",
    "moved",
    "import",
    "check",
    "removed",
    "ephemeral",
    "action",
];

impl<'a> Translator<'a> {
    fn new(text: &'a str, file: FileId) -> Self {
        Translator {
            text,
            out: String::with_capacity(text.len() + text.len() / 4),
            map: Derived::new(file),
        }
    }

    /// Writes text that stands for no particular JSON (spaces, `=`, line breaks).
    fn put(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// Writes text written for `orig`; `linear` when it is the same bytes.
    fn tok(&mut self, s: &str, orig: Range<usize>, linear: bool) {
        let start = self.out.len();
        self.out.push_str(s);
        self.map.push(start..self.out.len(), orig, linear);
    }

    fn open(&mut self, n: &Node, s: &str) {
        self.tok(s, n.span.start..n.span.start + 1, true);
    }

    fn close(&mut self, n: &Node, s: &str) {
        self.tok(s, n.span.end.saturating_sub(1)..n.span.end, true);
    }

    fn file(&mut self, root: &Node) -> Result<()> {
        let tops = self.bodies(
            root,
            "the top level of a `.tf.json` file must be a JSON object whose properties are block types (`resource`, `data`, `variable`, `locals`, `output`, `module`, `provider`, `terraform`)",
        )?;
        for top in tops {
            let Kind::Object(props) = &top.kind else {
                continue;
            };
            for (k, v) in props {
                let labels: &[&str] = match k.value.as_str() {
                    "//" => continue,
                    "locals" => {
                        self.locals(k, v)?;
                        continue;
                    }
                    "resource" => &["resource type", "resource name"],
                    "data" => &["data source type", "data source name"],
                    "variable" => &["variable name"],
                    "output" => &["output name"],
                    "module" => &["module name"],
                    "provider" => &["provider name"],
                    t if NOT_EVALUATED.contains(&t) => continue,
                    other => {
                        return Err(error_at(
                            k.span.start,
                            format!(
                                "`{other}` is not a Terraform block type (expected `resource`, `data`, `variable`, `locals`, `output`, `module`, `provider` or `terraform`); Terraform rejects the file"
                            ),
                        ))
                    }
                };
                let body = match k.value.as_str() {
                    "resource" | "data" => Body::Resource,
                    "variable" => Body::Variable,
                    "output" => Body::Output,
                    "module" => Body::Module,
                    _ => Body::Provider,
                };
                self.labeled(k, v, labels, body, &mut Vec::new())?;
            }
        }
        Ok(())
    }

    /// An object, or the objects of an array: the bodies (or label levels) a value holds.
    fn bodies<'n>(&self, n: &'n Node, what: &str) -> Result<Vec<&'n Node>> {
        let wrong =
            |at: &Node| error_at(at.span.start, format!("{what}, found {}", at.kind.name()));
        match &n.kind {
            Kind::Object(_) => Ok(vec![n]),
            Kind::Array(items) => {
                for i in items {
                    if !matches!(i.kind, Kind::Object(_)) {
                        return Err(wrong(i));
                    }
                }
                Ok(items.iter().collect())
            }
            _ => Err(wrong(n)),
        }
    }

    /// A block type with labels: one object level per label, then the body.
    fn labeled<'n>(
        &mut self,
        block: &Str,
        v: &'n Node,
        names: &[&str],
        body: Body,
        labels: &mut Vec<&'n Str>,
    ) -> Result<()> {
        let path = std::iter::once(block.value.as_str())
            .chain(labels.iter().map(|l| l.value.as_str()))
            .collect::<Vec<_>>()
            .join(".");
        if labels.len() == names.len() {
            let what =
                format!("the body of `{path}` must be a JSON object (or an array of objects)");
            for b in self.bodies(v, &what)? {
                self.block(block, labels, b, body)?;
            }
            return Ok(());
        }
        let name = names[labels.len()];
        // The expected shape, e.g. `"resource": {"TYPE": {"NAME": {...}}}`.
        let rest = &names[labels.len()..];
        let shape = format!(
            "\"{}\": {}{{...}}{}",
            labels
                .last()
                .map_or(block.value.as_str(), |l| l.value.as_str()),
            rest.iter()
                .map(|n| format!(
                    "{{\"{}\": ",
                    n.rsplit(' ').next().unwrap_or(n).to_uppercase()
                ))
                .collect::<String>(),
            "}".repeat(rest.len())
        );
        let what =
            format!("`{path}` must be a JSON object whose properties are {name}s (`{shape}`)");
        for level in self.bodies(v, &what)? {
            let Kind::Object(props) = &level.kind else {
                continue;
            };
            for (k, inner) in props {
                if k.value == "//" {
                    continue;
                }
                check_name(k, name)?;
                labels.push(k);
                self.labeled(block, inner, names, body, labels)?;
                labels.pop();
            }
        }
        Ok(())
    }

    /// `TYPE "LABEL" ... { BODY }`: the type keyword stands for the innermost label (or the type
    /// when there is none), so the block's header is located at its name.
    fn block(&mut self, block: &Str, labels: &[&Str], n: &Node, body: Body) -> Result<()> {
        let at = labels.last().copied().unwrap_or(block);
        self.tok(&block.value, at.span.clone(), false);
        for l in labels {
            self.put(" ");
            self.label(l);
        }
        self.put(" ");
        self.open(n, "{");
        self.put("\n");
        if let Kind::Object(props) = &n.kind {
            self.body(props, body)?;
        }
        self.close(n, "}");
        self.put("\n");
        Ok(())
    }

    /// A label (a valid name, checked by the caller) as a quoted string.
    fn label(&mut self, l: &Str) {
        if l.escapes.is_empty() {
            let raw = &self.text[l.span.clone()];
            self.tok(raw, l.span.clone(), true);
        } else {
            self.tok(&format!("\"{}\"", l.value), l.span.clone(), false);
        }
    }

    fn locals(&mut self, k: &Str, v: &Node) -> Result<()> {
        let what = "`locals` must be a JSON object whose properties are local values (\"locals\": {\"NAME\": VALUE})";
        for b in self.bodies(v, what)? {
            self.block(k, &[], b, Body::Locals)?;
        }
        Ok(())
    }

    fn body(&mut self, props: &[(Str, Node)], body: Body) -> Result<()> {
        let mut seen: HashSet<&str> = HashSet::default();
        for (k, v) in props {
            let name = k.value.as_str();
            if name == "//" {
                continue;
            }
            let is_block = matches!(
                (body, name),
                (Body::Resource | Body::Nested, "dynamic")
                    | (Body::Resource, "lifecycle" | "provisioner" | "connection")
                    | (Body::Output, "precondition")
                    | (Body::Variable, "validation")
            );
            if !is_block && !seen.insert(name) {
                return Err(error_at(
                    k.span.start,
                    format!("the argument `{name}` is set twice in this block; Terraform rejects the file (\"Duplicate argument\")"),
                ));
            }
            match (body, name) {
                (Body::Resource | Body::Nested, "dynamic") => self.dynamic(v)?,
                (Body::Resource, "provider") => {
                    self.static_attr(k, v, "a provider reference such as \"aws.west\"")?
                }
                (Body::Resource, "depends_on" | "lifecycle" | "provisioner" | "connection")
                | (Body::Module, "providers" | "depends_on")
                | (Body::Output, "depends_on" | "precondition")
                | (Body::Variable, "validation") => {}
                (Body::Module, "source" | "version") | (Body::Variable, "default") => {
                    self.attr(k, v, Mode::Literal)?
                }
                (Body::Variable, "type") => {
                    self.static_attr(k, v, "a type constraint such as \"list(string)\"")?
                }
                (Body::Resource | Body::Nested | Body::Provider, _) => {
                    self.attr(k, v, Mode::Nested)?
                }
                _ => self.attr(k, v, Mode::Expr)?,
            }
        }
        Ok(())
    }

    /// An argument name.
    fn key(&mut self, k: &Str) -> Result<()> {
        check_name(k, "argument name")?;
        self.tok(&k.value, k.span.clone(), false);
        Ok(())
    }

    fn attr(&mut self, k: &Str, v: &Node, mode: Mode) -> Result<()> {
        self.key(k)?;
        self.put(" = ");
        self.expr(v, mode)?;
        self.put("\n");
        Ok(())
    }

    /// An argument whose string holds native syntax rather than a template.
    fn static_attr(&mut self, k: &Str, v: &Node, what: &str) -> Result<()> {
        let Kind::Str(s) = &v.kind else {
            return Err(error_at(
                v.span.start,
                format!(
                    "`{}` must be a string holding {what}, found {}",
                    k.value,
                    v.kind.name()
                ),
            ));
        };
        check_depth(s)?;
        if let Err(e) = hcl_edit::parser::parse_expr(&s.value) {
            return Err(error_at(
                s.file_offset(e.location().offset().min(s.value.len())),
                format!(
                    "`{}` must hold {what}: {}",
                    k.value,
                    e.message().trim().replace('\n', "; ")
                ),
            ));
        }
        self.key(k)?;
        self.put(" = ");
        self.chars(s, 0..s.value.len(), Chars::Code);
        self.put("\n");
        Ok(())
    }

    /// `"dynamic": {"TYPE": {"for_each": ..., "iterator": "NAME", "content": {...}}}`.
    fn dynamic(&mut self, v: &Node) -> Result<()> {
        let what = "`dynamic` must be a JSON object whose properties are nested block types (\"dynamic\": {\"TYPE\": {\"for_each\": ..., \"content\": {...}}})";
        for level in self.bodies(v, what)? {
            let Kind::Object(types) = &level.kind else {
                continue;
            };
            for (t, spec) in types {
                if t.value == "//" {
                    continue;
                }
                check_name(t, "block type name")?;
                let what = format!("the body of `dynamic.{}` must be a JSON object", t.value);
                for b in self.bodies(spec, &what)? {
                    let Kind::Object(props) = &b.kind else {
                        continue;
                    };
                    self.tok("dynamic", t.span.clone(), false);
                    self.put(" ");
                    self.label(t);
                    self.put(" ");
                    self.open(b, "{");
                    self.put("\n");
                    for (pk, pv) in props {
                        match pk.value.as_str() {
                            "for_each" | "labels" => self.attr(pk, pv, Mode::Expr)?,
                            "iterator" => self.static_attr(pk, pv, "the iterator's name")?,
                            "content" => {
                                let what = "`content` must be a JSON object: the body of each generated block";
                                for c in self.bodies(pv, what)? {
                                    self.block(pk, &[], c, Body::Nested)?;
                                }
                            }
                            _ => {}
                        }
                    }
                    self.close(b, "}");
                    self.put("\n");
                }
            }
        }
        Ok(())
    }

    fn expr(&mut self, v: &Node, mode: Mode) -> Result<()> {
        match &v.kind {
            Kind::Null | Kind::Bool | Kind::Number => {
                let raw = &self.text[v.span.clone()];
                self.tok(raw, v.span.clone(), true);
            }
            Kind::Str(s) => match mode {
                Mode::Literal => self.quoted(s, Chars::Literal),
                Mode::Expr | Mode::Nested => self.template(s)?,
            },
            Kind::Array(items) => {
                self.open(v, "[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.put(", ");
                    }
                    self.expr(item, mode)?;
                }
                self.close(v, "]");
            }
            Kind::Object(props) => {
                self.open(v, "{");
                self.put("\n");
                let mut seen: HashSet<&str> = HashSet::default();
                for (k, item) in props {
                    if mode == Mode::Nested && k.value == "//" {
                        continue;
                    }
                    let literal = mode == Mode::Literal
                        || !(k.value.contains("${") || k.value.contains("%{"));
                    if literal && !seen.insert(k.value.as_str()) {
                        return Err(error_at(
                            k.span.start,
                            format!("`{}` appears twice in this object; Terraform rejects the file (\"Duplicate object attribute\")", k.value),
                        ));
                    }
                    // Property names are templates too, except in literal values.
                    match mode {
                        Mode::Literal => self.quoted(k, Chars::Literal),
                        Mode::Expr | Mode::Nested => self.template(k)?,
                    }
                    self.put(" = ");
                    self.expr(item, mode)?;
                    self.put("\n");
                }
                self.close(v, "}");
            }
        }
        Ok(())
    }

    /// A string read as a template: interpolations and directives as they are, literal text
    /// escaped for a quoted string.
    fn template(&mut self, s: &Str) -> Result<()> {
        if !s.value.contains("${") && !s.value.contains("%{") {
            self.quoted(s, Chars::Quoted);
            return Ok(());
        }
        check_depth(s)?;
        let t = hcl_edit::parser::parse_template(&s.value).map_err(|e| {
            error_at(
                s.file_offset(e.location().offset().min(s.value.len())),
                format!(
                    "this string is not a valid template: {}",
                    e.message().trim().replace('\n', "; ")
                ),
            )
        })?;
        let mut literals = Vec::new();
        literal_spans(&t, &mut literals);
        literals.sort_by_key(|r| r.start);
        self.tok("\"", s.span.start..s.span.start + 1, true);
        let mut pos = 0;
        for r in literals {
            if r.start < pos {
                continue;
            }
            if r.start > pos {
                self.chars(s, pos..r.start, Chars::Code);
            }
            self.chars(s, r.clone(), Chars::Quoted);
            pos = r.end;
        }
        if pos < s.value.len() {
            self.chars(s, pos..s.value.len(), Chars::Code);
        }
        self.tok("\"", s.span.end - 1..s.span.end, true);
        Ok(())
    }

    /// A string whose characters are all literal text.
    fn quoted(&mut self, s: &Str, chars: Chars) {
        self.tok("\"", s.span.start..s.span.start + 1, true);
        self.chars(s, 0..s.value.len(), chars);
        self.tok("\"", s.span.end - 1..s.span.end, true);
    }

    /// Writes the characters `range` of a string's value: runs copied from the file as pieces
    /// mapped byte for byte, escapes and characters that change as pieces of their own.
    fn chars(&mut self, s: &Str, range: Range<usize>, chars: Chars) {
        let v = s.value.as_str();
        let mut i = range.start;
        let mut e = s.escapes.partition_point(|x| x.value.end <= i);
        while i < range.end {
            let esc = s.escapes.get(e).filter(|x| x.value.start < range.end);
            let run_end = esc.map(|x| x.value.start.max(i)).unwrap_or(range.end);
            // A run of characters written as they are in the file.
            while i < run_end {
                let stop = if chars == Chars::Literal {
                    (i..run_end)
                        .find(|&p| {
                            matches!(v.as_bytes()[p], b'$' | b'%')
                                && v.as_bytes().get(p + 1) == Some(&b'{')
                        })
                        .unwrap_or(run_end)
                } else {
                    run_end
                };
                if stop > i {
                    let at = s.file_offset(i);
                    self.tok(&v[i..stop], at..at + (stop - i), true);
                    i = stop;
                }
                if i < run_end {
                    // `${` or `%{` in a literal: the `$` or `%` is doubled.
                    let at = s.file_offset(i);
                    let c = &v[i..i + 1];
                    self.tok(&format!("{c}{c}"), at..at + 1, false);
                    i += 1;
                }
            }
            let Some(x) = esc else { break };
            let c = &v[x.value.clone()];
            let next_brace = v[x.value.end..].starts_with('{');
            let written: String = match (chars, c) {
                (Chars::Code, _) => c.to_string(),
                (_, "\"") => "\\\"".to_string(),
                (_, "\\") => "\\\\".to_string(),
                (_, "\n") => "\\n".to_string(),
                (_, "\r") => "\\r".to_string(),
                (Chars::Literal, "$" | "%") if next_brace => format!("{c}{c}"),
                _ => c.to_string(),
            };
            let linear = written.as_bytes() == self.text[x.file.clone()].as_bytes();
            self.tok(&written, x.file.clone(), linear);
            i = x.value.end;
            e += 1;
        }
    }
}

/// The spans of the literal text at the top level of a template. (hcl-edit reads the text
/// inside a directive of a quoted string as it is, without escapes, so that text is written as
/// it is too.)
fn literal_spans(t: &hcl_edit::template::Template, out: &mut Vec<Range<usize>>) {
    use hcl_edit::Span;
    for e in t.iter() {
        if let hcl_edit::template::Element::Literal(l) = e {
            out.extend(l.span());
        }
    }
}

/// A name Terraform accepts for a block label, argument or local value.
fn check_name(k: &Str, what: &str) -> Result<()> {
    if hcl_edit::Ident::try_new(k.value.as_str()).is_ok() {
        return Ok(());
    }
    Err(error_at(
        k.span.start,
        format!(
            "`{}` is not a valid {what}: a name starts with a letter or underscore and holds only letters, digits, underscores and dashes",
            k.value
        ),
    ))
}

/// Refuses a string whose brackets and interpolations nest deeper than hcl-edit's parser is
/// allowed to go (counted roughly: every opening bracket counts, literal text included).
fn check_depth(s: &Str) -> Result<()> {
    let mut depth = 0usize;
    for (i, b) in s.value.bytes().enumerate() {
        match b {
            b'[' | b'{' | b'(' => {
                depth += 1;
                if depth > MAX_HCL_DEPTH {
                    return Err(error_at(
                        s.file_offset(i),
                        format!(
                            "expressions nested more than {MAX_HCL_DEPTH} levels deep; policy-lint does not evaluate them"
                        ),
                    ));
                }
            }
            b']' | b'}' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The native-syntax text of a `.tf.json` text, or the error.
    fn native(json: &str) -> std::result::Result<String, String> {
        let root = parse_json(json).map_err(|e| e.message)?;
        let mut tr = Translator::new(json, FileId(0));
        tr.file(&root)
            .map_err(|e| format!("{}@{}", e.message, e.offset))?;
        Ok(tr.out)
    }

    fn attr_value(json: &str, name: &str) -> String {
        let text = native(json).unwrap();
        let body = hcl_edit::parser::parse_body(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        fn find(body: &hcl_edit::structure::Body, name: &str) -> Option<Range<usize>> {
            use hcl_edit::Span;
            for s in body.iter() {
                if let Some(a) = s.as_attribute() {
                    if a.key.as_str() == name {
                        return a.value.span();
                    }
                }
                if let Some(b) = s.as_block() {
                    if let Some(v) = find(&b.body, name) {
                        return Some(v);
                    }
                }
            }
            None
        }
        let span = find(&body, name).unwrap_or_else(|| panic!("no {name} in\n{text}"));
        text[span].to_string()
    }

    #[test]
    fn blocks_labels_and_comments() {
        let text = native(
            r#"{
  "//": "a comment",
  "resource": {
    "aws_kms_key": {"a": {"description": "x"}, "b": [{"description": "y"}]}
  },
  "provider": {"aws": [{"region": "us-east-1"}, {"alias": "west", "region": "us-west-2"}]},
  "locals": {"//": "c", "n": 1},
  "variable": {"v": {"type": "list(string)", "default": ["${x}"]}},
  "module": {"m": {"source": "./m", "x": "${var.v}"}},
  "terraform": {"required_version": ">= 1.5"}
}"#,
        )
        .unwrap();
        let body = hcl_edit::parser::parse_body(&text).unwrap();
        let blocks: Vec<String> = body
            .blocks()
            .map(|b| {
                std::iter::once(b.ident.as_str().to_string())
                    .chain(b.labels.iter().map(|l| l.as_str().to_string()))
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .collect();
        assert_eq!(
            blocks,
            [
                "resource.aws_kms_key.a",
                "resource.aws_kms_key.b",
                "provider.aws",
                "provider.aws",
                "locals",
                "variable.v",
                "module.m"
            ]
        );
        assert!(!text.contains("comment"), "{text}");
    }

    #[test]
    fn strings_are_templates_except_literal_arguments() {
        let j = r#"{"variable": {"v": {"type": "map(string)", "default": {"k": "${x}"}}},
            "module": {"m": {"source": "./m%{x}", "a": "${var.v}", "b": "p-${var.v}-\"q\""}}}"#;
        assert_eq!(attr_value(j, "type"), "map(string)");
        assert_eq!(attr_value(j, "default"), "{\n\"k\" = \"$${x}\"\n}");
        assert_eq!(attr_value(j, "source"), "\"./m%%{x}\"");
        assert_eq!(attr_value(j, "a"), "\"${var.v}\"");
        assert_eq!(attr_value(j, "b"), "\"p-${var.v}-\\\"q\\\"\"");
        // Escapes inside an interpolation are JSON's: the template sees the quotes.
        let j = r#"{"locals": {"p": "${jsonencode({\"a\" = \"b\\n\"})}"}}"#;
        assert_eq!(attr_value(j, "p"), "\"${jsonencode({\"a\" = \"b\\n\"})}\"");
        // Literal text inside a directive is written as it is (hcl-edit reads it so).
        let j = r#"{"locals": {"p": "%{ if true }\"x\"%{ endif }"}}"#;
        assert_eq!(attr_value(j, "p"), "\"%{ if true }\"x\"%{ endif }\"");
    }

    #[test]
    fn malformed_terraform_json_says_what_is_wrong() {
        let e = native(r#"{"resource": "x"}"#).unwrap_err();
        assert!(
            e.starts_with("`resource` must be a JSON object whose properties are resource types (`\"resource\": {\"TYPE\": {\"NAME\": {...}}}`), found a string"),
            "{e}"
        );
        assert!(e.ends_with("@13"), "{e}");
        let e = native(r#"{"resources": {}}"#).unwrap_err();
        assert!(
            e.contains("`resources` is not a Terraform block type"),
            "{e}"
        );
        let e = native(r#"[1]"#).unwrap_err();
        assert!(e.contains("the top level"), "{e}");
        let e = native(r#"{"resource": {"aws_kms_key": {"a b": {}}}}"#).unwrap_err();
        assert!(e.contains("`a b` is not a valid resource name"), "{e}");
        let e = native(r#"{"locals": {"x": "${"}}"#).unwrap_err();
        assert!(e.contains("not a valid template"), "{e}");
        let e = native(r#"{"variable": {"v": {"type": 3}}}"#).unwrap_err();
        assert!(e.contains("`type` must be a string"), "{e}");
    }

    #[test]
    fn pieces_map_back_to_the_json() {
        let json = "{\"locals\": {\"p\": \"a\\\"${x}\"}}";
        let root = parse_json(json).unwrap();
        let mut tr = Translator::new(json, FileId(0));
        tr.file(&root).unwrap();
        let out = tr.out.clone();
        let map = tr.map;
        // `x` inside the interpolation: after the escape, still byte for byte.
        let x = out.find("x}").unwrap() as u32;
        let r = map.map(x..x + 1);
        assert_eq!(&json[r.start as usize..r.end as usize], "x");
        // The whole string value.
        let q = out.find('"').unwrap() as u32;
        let end = out.rfind('"').unwrap() as u32 + 1;
        let r = map.map(q..end);
        assert_eq!(&json[r.start as usize..r.end as usize], "\"a\\\"${x}\"");
        // The escape maps to the escape sequence.
        let e = out.find("\\\"").unwrap() as u32;
        let r = map.map(e..e + 2);
        assert_eq!(&json[r.start as usize..r.end as usize], "\\\"");
    }

    /// Mutations of valid files (a small deterministic fuzz): translating never panics, what is
    /// translated parses, and every range of the native text maps inside the JSON, between
    /// character boundaries.
    #[test]
    fn mutations_never_panic_and_map_inside_the_json() {
        let seeds = [
            r#"{"//": "c", "resource": {"aws_kms_key": {"k": {"policy": "${jsonencode({\"a\" = \"é\\n\"})}", "count": "${var.n}", "tags": {"//": "x", "k": [1, 2.5e3, null, true]}}}}, "variable": {"n": {"type": "number", "default": "${é}"}}}"#,
            r#"{"locals": [{"a": "x-${upper(\"y\")}-%{ if true }\"z\"%{ endif }\u00e9\ud83d\ude00"}], "module": {"m": {"source": "./m", "v": "$${lit}"}}}"#,
            r#"{"data": {"aws_iam_policy_document": {"p": {"statement": [{"actions": ["kms:*"]}], "dynamic": {"statement": {"for_each": "${[1]}", "iterator": "s", "content": {"sid": "${s.value}"}}}}}}, "provider": {"aws": [{"region": "us-east-1"}, {"alias": "w"}]}}"#,
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n.max(1) as u64) as usize
        };
        let pieces = [
            "\"", "{", "}", "[", "]", ",", ":", "${", "%{", "\\", "\\u", "é", "//", " ", "\\n", "0",
        ];
        let mut translated = 0;
        for seed in seeds {
            for _ in 0..700 {
                let mut t = seed.to_string();
                for _ in 0..1 + next(3) {
                    let mut at = next(t.len() + 1);
                    while !t.is_char_boundary(at) {
                        at -= 1;
                    }
                    match next(3) {
                        0 => t.insert_str(at, pieces[next(pieces.len())]),
                        1 => {
                            let mut end = (at + 1 + next(4)).min(t.len());
                            while !t.is_char_boundary(end) {
                                end += 1;
                            }
                            t.replace_range(at..end, "");
                        }
                        _ => t.truncate(at),
                    }
                }
                let Ok(root) = parse_json(&t) else { continue };
                let mut tr = Translator::new(&t, FileId(0));
                if tr.file(&root).is_err() {
                    continue;
                }
                translated += 1;
                let (out, map) = (tr.out, tr.map);
                // Every string was checked as a template or expression: the whole parses.
                if let Err(e) = hcl_edit::parser::parse_body(&out) {
                    panic!("the translation of {t:?} does not parse: {e}\n{out}");
                }
                // Spans from hcl-edit are on character boundaries of the native text.
                let bounds: Vec<u32> = (0..=out.len())
                    .filter(|&i| out.is_char_boundary(i))
                    .map(|i| i as u32)
                    .collect();
                for (i, &a) in bounds.iter().enumerate() {
                    let r = map.map(a..bounds[(i + 2).min(bounds.len() - 1)]);
                    assert!(r.start <= r.end && r.end as usize <= t.len(), "{t:?} {a}");
                    assert!(t.is_char_boundary(r.start as usize), "{t:?} {a}");
                    assert!(t.is_char_boundary(r.end as usize), "{t:?} {a}");
                }
            }
        }
        assert!(
            translated > 100,
            "only {translated} mutants were Terraform JSON"
        );
    }

    #[test]
    fn module_sources_of_json() {
        let j = r#"{"module": {"a": {"source": "./a"}, "b": [{"source": "../b"}], "c": {"source": "hashicorp/x/aws"}}}"#;
        assert_eq!(module_sources(j), vec!["./a", "../b"]);
        assert!(module_sources("{").is_empty());
    }
}
