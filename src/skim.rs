//! A fast recognizer for Terraform native syntax: the top-level items of a file (block type,
//! labels, byte range, the references each makes) without building a tree.
//!
//! The lossless editor ([`crate::edit`]) and the fixes ([`crate::fix`]) use it to find the item
//! that holds a location in a large file without parsing all of it. (It once also let the loader
//! blank resources no rule reads before parsing; that stage did not pay on real repositories and
//! was removed, see docs/performance.md.)
//!
//! The recognizer is deliberately strict: it accepts a subset of what hcl-edit accepts and gives up
//! ([`None`]) on anything it is not certain about — directives, provider functions, escapes other
//! than the common ones, expressions continued across lines, inline `/* */` comments inside
//! expressions, deep nesting. Giving up means its callers parse the file instead. The one
//! property that matters is the other direction: **whatever it accepts, hcl-edit accepts**.

use std::ops::Range;

/// One top-level structure of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item<'a> {
    /// Block type or attribute name.
    pub ident: &'a str,
    /// Block labels, as written inside the quotes (attributes have none).
    pub labels: Vec<&'a str>,
    pub is_block: bool,
    /// From the first byte of the identifier to the last byte of the block or expression.
    pub range: Range<usize>,
    /// References made inside the item: the root name and the attribute right after it
    /// (`aws_s3_bucket.logs.id` gives `("aws_s3_bucket", Some("logs"))`).
    pub refs: Vec<(&'a str, Option<&'a str>)>,
}

/// The top-level items of an HCL file, or `None` when the recognizer cannot vouch for the file.
pub fn skim(text: &str) -> Option<Vec<Item<'_>>> {
    let mut p = P {
        t: text,
        s: text.as_bytes(),
        i: 0,
        depth: 0,
        ops: 0,
        refs: Vec::new(),
    };
    p.top().ok()
}

/// Gave up: the file is parsed whole.
#[derive(Debug)]
struct Bail;
type R<T = ()> = Result<T, Bail>;

/// Deepest nesting the recognizer follows. hcl-edit refuses more than 64 levels and counts at most
/// one level per level counted here.
const MAX_DEPTH: u32 = 40;
/// Binary operators in one attribute value. hcl-edit refuses more than 128 on any path.
const MAX_OPS: u32 = 100;

struct P<'a> {
    t: &'a str,
    s: &'a [u8],
    i: usize,
    depth: u32,
    /// Binary operators in the current root expression.
    ops: u32,
    refs: Vec<(&'a str, Option<&'a str>)>,
}

fn is_id_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_id_continue(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// Small set of names, for duplicate attribute and object keys.
#[derive(Default)]
struct Names<'a>(Vec<&'a str>);

impl<'a> Names<'a> {
    /// Gives up when the name was there already (hcl-edit refuses a redefined attribute or
    /// object key; keys that only might be equal give up too).
    fn insert(&mut self, n: &'a str) -> R {
        if self.0.len() > 256 {
            // Big bodies (hundreds of locals) are left to hcl-edit rather than checked quadratically.
            return Err(Bail);
        }
        if self.0.contains(&n) {
            return Err(Bail);
        }
        self.0.push(n);
        Ok(())
    }
}

impl<'a> P<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn at(&self, j: usize) -> Option<u8> {
        self.s.get(j).copied()
    }

    fn eat(&mut self, c: u8) -> R {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(Bail)
        }
    }

    fn starts(&self, j: usize, pat: &[u8]) -> bool {
        self.s.get(j..j + pat.len()) == Some(pat)
    }

    fn deeper(&mut self) -> R {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Bail);
        }
        Ok(())
    }

    /// Spaces and tabs from `j`; an inline `/* */` comment gives up (hcl-edit allows it in more
    /// places than this recognizer tracks).
    fn sp_from(&self, mut j: usize) -> R<usize> {
        while let Some(c) = self.at(j) {
            match c {
                b' ' | b'\t' => j += 1,
                b'/' if self.at(j + 1) == Some(b'*') => return Err(Bail),
                _ => break,
            }
        }
        Ok(j)
    }

    fn sp(&mut self) -> R {
        self.i = self.sp_from(self.i)?;
        Ok(())
    }

    /// The end of a `#` or `//` comment starting at `j`: the offset of its line ending (or of the
    /// end of the text).
    fn comment_end(&self, j: usize) -> R<usize> {
        let end = memchr::memchr(b'\n', &self.s[j..]).map_or(self.s.len(), |k| j + k);
        // A carriage return is only accepted as part of `\r\n`.
        if let Some(k) = memchr::memchr(b'\r', &self.s[j..end]) {
            if j + k + 1 != end {
                return Err(Bail);
            }
        }
        Ok(if end > j && self.s[end - 1] == b'\r' {
            end - 1
        } else {
            end
        })
    }

    /// Whitespace, newlines and comments from `j`.
    fn ws_from(&self, mut j: usize) -> R<usize> {
        while let Some(c) = self.at(j) {
            match c {
                b' ' | b'\t' | b'\n' => j += 1,
                b'\r' if self.at(j + 1) == Some(b'\n') => j += 2,
                b'\r' => return Err(Bail),
                b'#' => j = self.comment_end(j)?,
                b'/' if self.at(j + 1) == Some(b'/') => j = self.comment_end(j)?,
                b'/' if self.at(j + 1) == Some(b'*') => {
                    let k = memchr::memmem::find(&self.s[j + 2..], b"*/").ok_or(Bail)?;
                    j = j + 2 + k + 2;
                }
                _ => break,
            }
        }
        Ok(j)
    }

    fn ws(&mut self) -> R {
        self.i = self.ws_from(self.i)?;
        Ok(())
    }

    /// A line ending (`\n` or `\r\n`).
    fn newline(&mut self) -> R {
        if self.peek() == Some(b'\r') {
            self.i += 1;
        }
        self.eat(b'\n')
    }

    /// After a structure: spaces, an optional line comment, then a line ending (or the end of
    /// the text, at the top level).
    fn end_of_line(&mut self, top: bool) -> R {
        self.sp()?;
        match self.peek() {
            Some(b'#') => self.i = self.comment_end(self.i)?,
            Some(b'/') if self.at(self.i + 1) == Some(b'/') => self.i = self.comment_end(self.i)?,
            _ => {}
        }
        match self.peek() {
            None if top => Ok(()),
            _ => self.newline(),
        }
    }

    fn ident(&mut self) -> R<&'a str> {
        let start = self.i;
        if !self.peek().is_some_and(is_id_start) {
            return Err(Bail);
        }
        self.i += 1;
        while self.peek().is_some_and(is_id_continue) {
            self.i += 1;
        }
        // Non-ASCII letters may continue an identifier in hcl-edit.
        if self.peek().is_some_and(|c| c >= 0x80) {
            return Err(Bail);
        }
        Ok(&self.t[start..self.i])
    }

    // ------------------------------------------------------------------ structure

    fn top(&mut self) -> R<Vec<Item<'a>>> {
        let mut items = Vec::new();
        let mut names = Names::default();
        loop {
            self.ws()?;
            if self.peek().is_none() {
                return Ok(items);
            }
            let start = self.i;
            let refs_before = self.refs.len();
            let (ident, labels, is_block) = self.structure(&mut names)?;
            let end = self.i;
            self.end_of_line(true)?;
            items.push(Item {
                ident,
                labels,
                is_block,
                range: start..end,
                refs: self.refs.split_off(refs_before),
            });
        }
    }

    /// A block body after its `{` was consumed, up to and including the `}`.
    fn body(&mut self) -> R {
        let mut names = Names::default();
        loop {
            self.ws()?;
            match self.peek() {
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                None => return Err(Bail),
                _ => {}
            }
            self.structure(&mut names)?;
            self.end_of_line(false)?;
        }
    }

    /// An attribute or a block: its name, labels, and whether it is a block.
    fn structure(&mut self, names: &mut Names<'a>) -> R<(&'a str, Vec<&'a str>, bool)> {
        let ident = self.ident()?;
        self.sp()?;
        match self.peek() {
            Some(b'=') => {
                names.insert(ident)?;
                self.attribute_value()?;
                Ok((ident, Vec::new(), false))
            }
            Some(b'{') => {
                self.block_body()?;
                Ok((ident, Vec::new(), true))
            }
            Some(c) if c == b'"' || is_id_start(c) => {
                let mut labels = Vec::new();
                loop {
                    match self.peek() {
                        Some(b'"') => labels.push(self.plain_string()?),
                        Some(c) if is_id_start(c) => labels.push(self.ident()?),
                        _ => break,
                    }
                    self.sp()?;
                }
                self.block_body()?;
                Ok((ident, labels, true))
            }
            _ => Err(Bail),
        }
    }

    /// `= expr` of an attribute.
    fn attribute_value(&mut self) -> R {
        self.eat(b'=')?;
        if self.peek() == Some(b'=') {
            return Err(Bail);
        }
        self.sp()?;
        self.ops = 0;
        self.expr()
    }

    fn block_body(&mut self) -> R {
        self.eat(b'{')?;
        self.deeper()?;
        self.sp()?;
        let multiline = match self.peek() {
            Some(b'#') => {
                self.i = self.comment_end(self.i)?;
                true
            }
            Some(b'/') if self.at(self.i + 1) == Some(b'/') => {
                self.i = self.comment_end(self.i)?;
                true
            }
            Some(b'\n') | Some(b'\r') => true,
            _ => false,
        };
        if multiline {
            self.newline()?;
            self.body()?;
        } else {
            // One-line block: `{}` or `{ name = expr }`.
            if self.peek() != Some(b'}') {
                self.ident()?;
                self.sp()?;
                self.attribute_value()?;
                self.sp()?;
            }
            self.eat(b'}')?;
        }
        self.depth -= 1;
        Ok(())
    }

    /// A quoted string without interpolations or escapes (block labels, object keys): its
    /// content.
    fn plain_string(&mut self) -> R<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        loop {
            match self.peek().ok_or(Bail)? {
                b'"' => break,
                b'\\' | b'$' | b'%' | b'\n' | b'\r' => return Err(Bail),
                _ => self.i += 1,
            }
        }
        let s = &self.t[start..self.i];
        self.i += 1;
        Ok(s)
    }

    // ------------------------------------------------------------------ expressions

    /// A full expression: terms joined by binary operators, optionally a conditional. Stops
    /// right after its last term.
    fn expr(&mut self) -> R {
        self.deeper()?;
        self.term()?;
        loop {
            let j = self.sp_from(self.i)?;
            let c = self.at(j);
            let c2 = self.at(j + 1);
            match c {
                Some(b'?') => {
                    self.i = self.sp_from(j + 1)?;
                    self.expr()?;
                    self.sp()?;
                    self.eat(b':')?;
                    self.sp()?;
                    self.expr()?;
                    break;
                }
                Some(b'=') if c2 == Some(b'=') => self.binary(j + 2)?,
                Some(b'!') if c2 == Some(b'=') => self.binary(j + 2)?,
                Some(b'&') if c2 == Some(b'&') => self.binary(j + 2)?,
                Some(b'|') if c2 == Some(b'|') => self.binary(j + 2)?,
                Some(b'<' | b'>') if c2 == Some(b'=') => self.binary(j + 2)?,
                Some(b'<' | b'>' | b'+' | b'-' | b'*' | b'%') => self.binary(j + 1)?,
                Some(b'/') if c2 != Some(b'/') => self.binary(j + 1)?,
                Some(b'!' | b'&' | b'|') => return Err(Bail),
                Some(b'\n' | b'\r' | b'#' | b'/') => {
                    // The expression ends at the line break unless the next line continues it
                    // (which hcl-edit allows inside brackets only): give up on that.
                    let k = self.ws_from(j)?;
                    if matches!(
                        self.at(k),
                        Some(
                            b'.' | b'['
                                | b'('
                                | b'?'
                                | b'!'
                                | b'<'
                                | b'>'
                                | b'+'
                                | b'-'
                                | b'*'
                                | b'/'
                                | b'%'
                                | b'&'
                                | b'|'
                                | b'='
                                | b':'
                        )
                    ) {
                        return Err(Bail);
                    }
                    break;
                }
                _ => break,
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// The rest of a binary operation whose operator ends before `j`.
    fn binary(&mut self, j: usize) -> R {
        self.ops += 1;
        if self.ops > MAX_OPS {
            return Err(Bail);
        }
        self.i = self.sp_from(j)?;
        self.term()
    }

    /// One term with its traversal (`a.b[0]`, `f(x).y`, `"s"`, `[...]`).
    fn term(&mut self) -> R {
        let c = self.peek().ok_or(Bail)?;
        let mut root: Option<&'a str> = None;
        match c {
            b'"' => self.quoted()?,
            b'[' => self.array()?,
            b'{' => self.object()?,
            b'0'..=b'9' => self.number()?,
            b'<' => self.heredoc()?,
            b'-' | b'!' => {
                self.i += 1;
                self.sp()?;
                if c == b'-' && self.peek().is_some_and(|d| d.is_ascii_digit()) {
                    self.number()?;
                } else {
                    self.deeper()?;
                    self.term()?;
                    self.depth -= 1;
                }
            }
            b'(' => {
                self.i += 1;
                self.ws()?;
                self.expr()?;
                self.ws()?;
                self.eat(b')')?;
            }
            c if is_id_start(c) => {
                let name = self.ident()?;
                let j = self.sp_from(self.i)?;
                match self.at(j) {
                    Some(b'(') => {
                        self.i = j;
                        self.call_args()?;
                    }
                    Some(b':') if self.at(j + 1) == Some(b':') => return Err(Bail),
                    _ => root = Some(name),
                }
            }
            _ => return Err(Bail),
        }
        self.traversal(root)
    }

    /// Traversal operators after a term; a variable's first attribute is recorded as a
    /// reference.
    fn traversal(&mut self, root: Option<&'a str>) -> R {
        let mut first: Option<&'a str> = None;
        let mut n = 0usize;
        loop {
            let j = self.sp_from(self.i)?;
            match self.at(j) {
                Some(b'.') if self.at(j + 1) != Some(b'.') => {
                    self.i = j + 1;
                    match self.peek() {
                        Some(b'*') => self.i += 1,
                        Some(b'0'..=b'9') => {
                            let start = self.i;
                            while self.peek().is_some_and(|d| d.is_ascii_digit()) {
                                self.i += 1;
                            }
                            // A legacy index is `0` or has no leading zero (winnow's
                            // `dec_uint`).
                            if self.i - start > 15 || (self.s[start] == b'0' && self.i - start > 1)
                            {
                                return Err(Bail);
                            }
                        }
                        Some(d) if is_id_start(d) => {
                            let a = self.ident()?;
                            if n == 0 {
                                first = Some(a);
                            }
                        }
                        _ => return Err(Bail),
                    }
                }
                Some(b'[') => {
                    self.i = j + 1;
                    self.ws()?;
                    if self.peek() == Some(b'*') {
                        self.i += 1;
                    } else {
                        self.expr()?;
                    }
                    self.ws()?;
                    self.eat(b']')?;
                }
                _ => break,
            }
            n += 1;
        }
        if let Some(r) = root {
            self.refs.push((r, first));
        }
        Ok(())
    }

    fn number(&mut self) -> R {
        let start = self.i;
        while self.peek().is_some_and(|d| d.is_ascii_digit()) {
            self.i += 1;
        }
        if self.i - start > 15 {
            return Err(Bail);
        }
        if self.peek() == Some(b'.') {
            if !self.at(self.i + 1).is_some_and(|d| d.is_ascii_digit()) {
                return Err(Bail);
            }
            self.i += 1;
            while self.peek().is_some_and(|d| d.is_ascii_digit()) {
                self.i += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) || self.peek().is_some_and(|c| c >= 0x80) {
            return Err(Bail);
        }
        Ok(())
    }

    /// `"..."` with `${ expr }` interpolations.
    fn quoted(&mut self) -> R {
        self.eat(b'"')?;
        loop {
            // Skip the plain run.
            while let Some(c) = self.peek() {
                if matches!(c, b'"' | b'\\' | b'$' | b'%' | b'\n' | b'\r') {
                    break;
                }
                self.i += 1;
            }
            match self.peek().ok_or(Bail)? {
                b'"' => {
                    self.i += 1;
                    return Ok(());
                }
                b'\\' => match self.at(self.i + 1) {
                    Some(b'n' | b'r' | b't' | b'\\' | b'"') => self.i += 2,
                    _ => return Err(Bail),
                },
                b'$' | b'%' => self.template_marker()?,
                _ => return Err(Bail),
            }
        }
    }

    /// At a `$` or `%` inside a template: an escaped marker, an interpolation, or a literal.
    fn template_marker(&mut self) -> R {
        let c = self.s[self.i];
        if self.at(self.i + 1) == Some(c) && self.at(self.i + 2) == Some(b'{') {
            self.i += 3;
        } else if self.at(self.i + 1) == Some(b'{') {
            if c == b'%' {
                // Template directives are left to hcl-edit.
                return Err(Bail);
            }
            self.i += 2;
            if self.peek() == Some(b'~') {
                self.i += 1;
            }
            self.ws()?;
            self.expr()?;
            self.ws()?;
            if self.peek() == Some(b'~') {
                self.i += 1;
            }
            self.eat(b'}')?;
        } else {
            self.i += 1;
        }
        Ok(())
    }

    /// `<<EOF` / `<<-EOF` heredoc with interpolations.
    fn heredoc(&mut self) -> R {
        if !self.starts(self.i, b"<<") {
            return Err(Bail);
        }
        self.i += 2;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let delim = self.ident()?.as_bytes();
        self.newline()?;
        // An empty heredoc (delimiter on the first line) is left to hcl-edit.
        if self.closes(self.i, delim)? {
            return Err(Bail);
        }
        loop {
            while let Some(c) = self.peek() {
                if matches!(c, b'$' | b'%' | b'\n') {
                    break;
                }
                self.i += 1;
            }
            match self.peek().ok_or(Bail)? {
                b'\n' => {
                    self.i += 1;
                    if self.closes(self.i, delim)? {
                        let j = self.sp_from(self.i)?;
                        self.i = j + delim.len();
                        return Ok(());
                    }
                }
                _ => self.template_marker()?,
            }
        }
    }

    /// Whether a heredoc delimiter line starts at `j`: spaces, the delimiter, then no identifier
    /// character. A delimiter followed by a non-ASCII character gives up: whether hcl-edit reads
    /// it as closing the heredoc depends on Unicode identifier tables (`EOFé` continues the line,
    /// `EOF→` closes the heredoc and then fails), which this recognizer does not carry.
    fn closes(&self, j: usize, delim: &[u8]) -> Result<bool, Bail> {
        let mut k = j;
        while matches!(self.at(k), Some(b' ' | b'\t')) {
            k += 1;
        }
        if !self.starts(k, delim) {
            return Ok(false);
        }
        match self.at(k + delim.len()) {
            Some(c) if c >= 0x80 => Err(Bail),
            Some(c) => Ok(!is_id_continue(c)),
            None => Ok(true),
        }
    }

    /// Whether a `for` expression starts at the current position (the test hcl-edit uses).
    fn at_for(&self) -> bool {
        self.starts(self.i, b"for")
            && matches!(
                self.at(self.i + 3),
                Some(b' ' | b'\t' | b'#' | b'/' | b'\n')
            )
    }

    /// `for k, v in coll :` up to and including the colon.
    fn for_intro(&mut self) -> R {
        self.i += 3;
        self.ws()?;
        self.ident()?;
        self.ws()?;
        if self.peek() == Some(b',') {
            self.i += 1;
            self.ws()?;
            self.ident()?;
            self.ws()?;
        }
        if !(self.starts(self.i, b"in")
            && matches!(self.at(self.i + 2), Some(b' ' | b'\t' | b'\n')))
        {
            return Err(Bail);
        }
        self.i += 2;
        self.ws()?;
        self.expr()?;
        self.ws()?;
        self.eat(b':')
    }

    /// An optional `if cond` of a `for` expression, then whitespace.
    fn for_cond(&mut self) -> R {
        if self.starts(self.i, b"if") && matches!(self.at(self.i + 2), Some(b' ' | b'\t' | b'\n')) {
            self.i += 2;
            self.ws()?;
            self.expr()?;
            self.ws()?;
        }
        Ok(())
    }

    fn array(&mut self) -> R {
        self.eat(b'[')?;
        self.ws()?;
        if self.at_for() {
            self.for_intro()?;
            self.ws()?;
            self.expr()?;
            self.ws()?;
            self.for_cond()?;
            return self.eat(b']');
        }
        self.items(b']', false)
    }

    /// Comma-separated expressions up to and including `close` (an optional trailing comma);
    /// with `spread`, the last may be followed by `...` (a call's expanded final argument).
    fn items(&mut self, close: u8, spread: bool) -> R {
        loop {
            match self.peek() {
                Some(c) if c == close => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b',') | None => return Err(Bail),
                Some(b'.') if spread => return Err(Bail),
                _ => {}
            }
            self.expr()?;
            self.ws()?;
            match self.peek() {
                Some(b',') => {
                    self.i += 1;
                    self.ws()?;
                }
                Some(c) if c == close => {}
                Some(b'.') if spread && self.starts(self.i, b"...") => {
                    self.i += 3;
                    self.ws()?;
                    return self.eat(close);
                }
                _ => return Err(Bail),
            }
        }
    }

    fn object(&mut self) -> R {
        self.eat(b'{')?;
        let j = self.ws_from(self.i)?;
        let save = self.i;
        self.i = j;
        if self.at_for() {
            self.for_intro()?;
            self.ws()?;
            self.expr()?;
            self.ws()?;
            if !self.starts(self.i, b"=>") {
                return Err(Bail);
            }
            self.i += 2;
            self.ws()?;
            self.expr()?;
            self.ws()?;
            if self.starts(self.i, b"...") {
                self.i += 3;
                self.ws()?;
            }
            self.for_cond()?;
            return self.eat(b'}');
        }
        self.i = save;
        let mut keys = Names::default();
        loop {
            self.ws()?;
            match self.peek() {
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b'"') => {
                    let k = self.plain_string()?;
                    keys.insert(k)?;
                }
                Some(c) if is_id_start(c) => {
                    let k = self.ident()?;
                    keys.insert(k)?;
                }
                _ => return Err(Bail),
            }
            self.sp()?;
            match self.peek() {
                Some(b'=') if self.at(self.i + 1) != Some(b'=') => self.i += 1,
                Some(b':') if self.at(self.i + 1) != Some(b':') => self.i += 1,
                _ => return Err(Bail),
            }
            self.sp()?;
            self.expr()?;
            self.sp()?;
            match self.peek() {
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                Some(b',') => self.i += 1,
                Some(b'\n' | b'\r') => self.newline()?,
                Some(b'#') => {
                    self.i = self.comment_end(self.i)?;
                    self.newline()?;
                }
                Some(b'/') if self.at(self.i + 1) == Some(b'/') => {
                    self.i = self.comment_end(self.i)?;
                    self.newline()?;
                }
                _ => return Err(Bail),
            }
        }
    }

    /// `( args )` of a function call.
    fn call_args(&mut self) -> R {
        self.eat(b'(')?;
        self.ws()?;
        self.items(b')', true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepted, with the same top-level structures as hcl-edit's.
    fn accepted(text: &str) -> Vec<Item<'_>> {
        let items = skim(text).unwrap_or_else(|| panic!("skim gave up on:\n{text}"));
        let body = hcl_edit::parser::parse_body(text).expect("hcl-edit parses it");
        let spans: Vec<_> = body
            .iter()
            .map(|s| hcl_edit::Span::span(s).unwrap())
            .collect();
        let ours: Vec<_> = items.iter().map(|i| i.range.clone()).collect();
        assert_eq!(spans, ours, "{text}");
        items
    }

    #[test]
    fn accepts_everyday_terraform() {
        let cases = [
            "",
            "\n# only a comment\n",
            "a = 1",
            "a = 1\r\nb = \"x\"\r\n",
            "locals {\n  a = 1 # c\n  b = [1, 2, 3,]\n  // c\n  c = { x = 1, \"y\" = 2 }\n}\n",
            "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"${var.p}-x\"\n  tags   = local.tags\n}\n",
            "x = var.a != null ? var.a : \"d\"\n",
            "x = !var.a && (var.b || -1 < 2) ? 1.5 : -2\n",
            "x = [for k, v in var.m : upper(v) if k != \"a\"]\n",
            "x = { for k, v in var.m : k => v... if v }\n",
            "x = aws_s3_bucket.b[*].arn\ny = var.l.0\nz = a.b[\"c\"].d\n",
            "x = jsonencode({\n  Statement = [{\n    Effect = \"Allow\"\n  }]\n})\n",
            "x = <<EOF\n{\"a\": \"${var.x}\", \"b\": \"$${y}\"}\nEOF\n",
            "x = <<-EOT\n    indented\n    EOT\n",
            "x = \"a\\n\\\"b\\\\\"\n",
            "x = format(\"%s-%d\", var.a, 1)\n",
            "x = concat(var.a, var.b...)\n",
            "b \"l\" { a = 1 }\nc {}\n",
            "dynamic \"x\" {\n  for_each = var.s\n  content {\n    y = x.value\n  }\n}\n",
            "x = {\n  a = 1,\n  b = 2 // two\n}\n",
        ];
        for c in cases {
            accepted(c);
        }
    }

    #[test]
    fn gives_up_on_what_hcl_edit_refuses() {
        let cases = [
            "a = 1\na = 2\n",         // redefined attribute
            "a = { x = 1, x = 2 }\n", // redefined key
            "a = \"\\q\"\n",          // invalid escape
            "a = 1 b = 2\n",          // two attributes on a line
            "b {\n  a = 1 }\n",       // closing brace after an attribute
            "a = \"unterminated\n",
            "a = <<EOF\nno end\n",
            "a = [,]\n",
            "a = f(1,,2)\n",
            "a = 1e\n",
            "a = 1.\n",
            "a = var.\n",
            "a = (1\n",
            "a = {\n  x =\n  1\n}\n",
            "a = 1 +\n",
            "}\n",
            "resource \"x\" \"${y}\" {}\n",
            "a = 1\rb = 2\n",
            "a = local.032469\n", // found by the skim fuzz target: a legacy index has no leading zero
            // Found by review: a delimiter line ending in a non-identifier, non-ASCII character
            // closes the heredoc for hcl-edit, which then fails on the character.
            "a = <<E\n\nE→\nE\n",
            "x = <<EOF\na\nEOF→\nEOF\n",
            "x = <<EOF\na\nEOF\u{a0}\nEOF\n",
            "x = <<EOF\na\nEOF\u{feff}\nEOF\n",
        ];
        gives_up(&cases, false);
    }

    #[test]
    fn gives_up_on_what_it_does_not_track() {
        // Valid HCL, left to hcl-edit: directives, provider functions, continued lines, inline
        // comments in expressions, unicode escapes and identifiers, exponents.
        let cases = [
            "a = \"%{ if x }y%{ endif }\"\n",
            "a = provider::aws::arn_parse(x)\n",
            "a = (\n  1\n  + 2\n)\n",
            "a = 1 /* c */ + 2\n",
            "a = \"\\u00e9\"\n",
            "a = 1e5\n",
            "é = 1\n",
            "x = <<EOF\na\nEOFé\nEOF\n", // a non-ASCII character after a delimiter
        ];
        gives_up(&cases, true);
    }

    /// The recognizer gives up on every case, which hcl-edit accepts or refuses as `valid` says.
    fn gives_up(cases: &[&str], valid: bool) {
        for c in cases {
            assert_eq!(
                hcl_edit::parser::parse_body(c).is_ok(),
                valid,
                "hcl-edit on {c:?}"
            );
            assert!(skim(c).is_none(), "skim accepted {c:?}");
        }
    }

    #[test]
    fn records_references() {
        let items = accepted(
            "resource \"a_b\" \"c\" {\n  x = \"${aws_s3_bucket.logs.id}\"\n  y = [for r in aws_iam_role.all : r]\n  z = upper(local.n)\n}\n",
        );
        assert_eq!(items[0].ident, "resource");
        assert_eq!(items[0].labels, vec!["a_b", "c"]);
        assert_eq!(
            items[0].refs,
            vec![
                ("aws_s3_bucket", Some("logs")),
                ("aws_iam_role", Some("all")),
                ("r", None),
                ("local", Some("n")),
            ]
        );
    }
}
