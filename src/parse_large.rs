//! Large Terraform files, parsed and held a piece at a time, so that a file's tree is never held
//! whole.
//!
//! hcl-edit's parser grows every list of the tree by pushing (a block with two attributes holds
//! room for four, its two labels room for four), and a structure is 304 bytes: the tree of a file
//! of small blocks is about 23 times its text while it is being built, and about 13 times once
//! compacted (every list at its length, [`compact`]). A file of at least [`LARGE_FILE_BYTES`] is
//! therefore parsed in pieces of about [`PIECE_BYTES`], cut where the [`crate::skim`] recognizer
//! says a top-level block starts ([`Pieces::parse`]). What is kept of that first reading is each
//! block's position, type and labels (enough to index a module); a piece is parsed again when a
//! block of it is asked for ([`Pieces::block`]), and let go when [`HELD_PIECES`] pieces asked for
//! later are held and nothing uses it. The evaluator reads a module's blocks in the order of their
//! addresses, usually the order they are written in; a reader that jumps between pieces spends
//! the parse budget ([`REPARSES_PER_PIECE`]), after which pieces stay held: at worst the memory of
//! a whole tree and a bounded number of parses.
//!
//! Each piece is parsed on its own, from its text: its spans are positions in the piece, and the
//! evaluator, the checks and suppressions add where the piece starts ([`Pieces::base_of`],
//! [`crate::source::SpanFile`]) to turn them into positions in the file. Otherwise each piece's
//! tree is the one parsing the whole file gives, structure for structure: every structure's span,
//! moved to the file, must be the block skim found, or the file is parsed whole; the decoration
//! of a piece's first block (the whitespace and comments before it, which belong to no piece
//! when the piece is parsed alone) is restored from the text the previous piece ended with. A
//! file skim gives up on, one with top-level attributes (a `.tfvars`: their names must be unique
//! across the file), one a piece of which does not parse, or one with a label whose value is not
//! the text between its quotes, is parsed whole (and compacted): a syntax error is reported
//! exactly as before.

use crate::tree::BlockRef;
use hcl_edit::structure::Body;
use hcl_edit::{Decorate, RawString, Span};
use std::collections::VecDeque;
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// Files at least this large are held in pieces ([`Pieces`]) or compacted after parsing.
pub const LARGE_FILE_BYTES: usize = 1 << 20;

/// The size of a piece: the text of consecutive top-level blocks up to about this many bytes.
pub const PIECE_BYTES: usize = 256 << 10;

/// Gives every list inside each top-level structure of a body the capacity of its length: a
/// clone allocates each list at its length, and the clone is equal to the original (spans and
/// decoration included). One structure at a time, so the extra memory is one structure's copy.
pub fn compact(body: &mut Body) {
    for mut s in body.iter_mut() {
        if let Some(b) = s.as_block_mut() {
            *b = b.clone();
        }
    }
}

/// How many pieces a large file's tree may hold that are not in use (the last ones asked for).
const HELD_PIECES: usize = 1;

/// Parses on demand, per piece on average, before a file stops letting pieces go (reading the
/// blocks in order a few times, as evaluation and the checks do, stays within it): a
/// reader that jumps between pieces (blocks read out of file order) would otherwise parse one
/// piece per block it reads. Past it, pieces stay held (the memory of a whole tree, the time of a
/// bounded number of parses).
const REPARSES_PER_PIECE: usize = 3;

/// A large file's top-level blocks, held a piece at a time (see the module documentation).
pub struct Pieces {
    text: Arc<str>,
    /// Each top-level block: where it is, its type and its labels (positions in `text`).
    heads: Vec<Head>,
    /// The index of the first block of each piece.
    firsts: Vec<u32>,
    /// The decoration before the first block of each piece (the whitespace and comments the
    /// previous piece ended with), which parsing the piece on its own loses.
    carry: Vec<Option<RawString>>,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for Pieces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pieces")
            .field("blocks", &self.heads.len())
            .field("pieces", &self.firsts.len())
            .finish()
    }
}

struct Head {
    range: Range<u32>,
    ident: Range<u32>,
    labels: Box<[Range<u32>]>,
}

struct Cache {
    held: Vec<Option<Arc<Body>>>,
    /// Held pieces that may be let go, least recently asked for first.
    recent: VecDeque<usize>,
    /// Parses left before pieces stop being let go.
    reparses: usize,
}

fn range32(r: Range<usize>) -> Option<Range<u32>> {
    Some(u32::try_from(r.start).ok()?..u32::try_from(r.end).ok()?)
}

fn range(r: &Range<u32>) -> Range<usize> {
    r.start as usize..r.end as usize
}

/// Parses a piece on its own: its spans are positions in the piece (the piece's first byte is
/// [`Pieces::base_of`] its blocks). None unless it gives `count` structures.
fn parse_piece(piece: &str, count: usize) -> Option<Body> {
    let body = hcl_edit::parser::parse_body(piece).ok()?;
    (body.len() == count).then_some(body)
}

/// Gives the first structure of a piece after the first the decoration it has in the whole file:
/// the prefix the previous piece ended with, its own suffix.
fn restore_first(body: &mut Body, carry: Option<&RawString>) {
    if let Some(mut s) = body.iter_mut().next() {
        let decor = s.decor_mut();
        let own = decor.suffix().cloned();
        decor.clear();
        if let Some(p) = carry {
            decor.set_prefix(p.clone());
        }
        if let Some(sf) = own {
            decor.set_suffix(sf);
        }
    }
}

impl Pieces {
    /// A large file parsed a piece at a time (each piece let go once read), or None when it is
    /// to be parsed whole: skim gives up on it, it has a top-level attribute (a `.tfvars`: their
    /// names must be unique across the file), a piece does not parse (the whole parse reports
    /// the syntax error exactly), a structure is not where skim found it, or a label's value is
    /// not the text between its quotes (an escape).
    pub fn parse(text: Arc<str>, piece_bytes: usize) -> Option<Pieces> {
        u32::try_from(text.len()).ok()?;
        // Where each top-level block starts and ends (skim's items, with their labels and
        // references, are let go at once).
        let items: Vec<Range<usize>> = {
            let items = crate::skim::skim(&text)?;
            if items.is_empty() || !items.iter().all(|i| i.is_block) {
                return None;
            }
            items.into_iter().map(|i| i.range).collect()
        };
        let mut heads = Vec::with_capacity(items.len());
        let mut firsts = Vec::new();
        let mut carry = vec![None];
        let mut first = 0;
        while first < items.len() {
            let start = if first == 0 { 0 } else { items[first].start };
            let mut next = first + 1;
            while next < items.len() && items[next].start - start < piece_bytes {
                next += 1;
            }
            let end = items.get(next).map_or(text.len(), |i| i.start);
            // Item starts are ASCII identifiers: character boundaries.
            let body = parse_piece(text.get(start..end)?, next - first)?;
            let shift = |r: Range<usize>| r.start + start..r.end + start;
            for (k, s) in body.iter().enumerate() {
                let b = s.as_block()?;
                if s.span().map(shift) != Some(items[first + k].clone()) {
                    return None;
                }
                let mut labels = Vec::with_capacity(b.labels.len());
                for l in b.labels.iter() {
                    let sp = shift(l.span()?);
                    let raw = text.get(sp.clone())?;
                    let quoted = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"'));
                    let inner = if raw == l.as_str() {
                        sp
                    } else if quoted == Some(l.as_str()) {
                        sp.start + 1..sp.end - 1
                    } else {
                        return None;
                    };
                    labels.push(range32(inner)?);
                }
                heads.push(Head {
                    range: range32(items[first + k].clone())?,
                    ident: range32(shift(b.ident.span()?))?,
                    labels: labels.into_boxed_slice(),
                });
            }
            firsts.push(u32::try_from(first).ok()?);
            carry.push(body.decor().suffix().cloned());
            first = next;
        }
        carry.truncate(firsts.len());
        let n = firsts.len();
        Some(Pieces {
            text,
            heads,
            firsts,
            carry,
            cache: Mutex::new(Cache {
                held: vec![None; n],
                recent: VecDeque::new(),
                reparses: n.saturating_mul(REPARSES_PER_PIECE),
            }),
        })
    }

    pub fn len(&self) -> usize {
        self.heads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }

    fn ident(&self, h: &Head) -> &str {
        &self.text[range(&h.ident)]
    }

    /// See [`crate::tree::Tree::heads`].
    pub fn heads(&self, mut f: impl FnMut(usize, &str, &[&str])) {
        let mut labels: Vec<&str> = Vec::new();
        for (i, h) in self.heads.iter().enumerate() {
            labels.clear();
            labels.extend(h.labels.iter().map(|l| &self.text[range(l)]));
            f(i, self.ident(h), &labels);
        }
    }

    /// Where the piece that holds block `i` starts in the file: its spans are relative to it.
    pub fn base_of(&self, i: usize) -> u32 {
        if self.heads.is_empty() {
            return 0;
        }
        self.text_of(self.piece_of(i.min(self.heads.len() - 1)))
            .start as u32
    }

    /// The text of piece `p`: from its first block (the file's start for the first piece, so that
    /// the text before the first block is its decoration) to the next piece's first block.
    fn text_of(&self, p: usize) -> Range<usize> {
        let blocks = self.blocks_of(p);
        let start = if p == 0 {
            0
        } else {
            self.heads[blocks.start].range.start as usize
        };
        let end = self
            .heads
            .get(blocks.end)
            .map_or(self.text.len(), |h| h.range.start as usize);
        start..end
    }

    /// The piece that holds block `i`.
    fn piece_of(&self, i: usize) -> usize {
        self.firsts.partition_point(|&f| f as usize <= i) - 1
    }

    /// The blocks of piece `p`: as index range.
    fn blocks_of(&self, p: usize) -> Range<usize> {
        let first = self.firsts[p] as usize;
        let next = self
            .firsts
            .get(p + 1)
            .map_or(self.heads.len(), |&f| f as usize);
        first..next
    }

    /// The tree of piece `p`: held, or parsed again.
    fn piece(&self, p: usize) -> Option<Arc<Body>> {
        let lock = || self.cache.lock().unwrap_or_else(|e| e.into_inner());
        {
            let mut c = lock();
            if let Some(b) = c.held[p].clone() {
                if let Some(at) = c.recent.iter().position(|&q| q == p) {
                    c.recent.remove(at);
                    c.recent.push_back(p);
                }
                return Some(b);
            }
        }
        // Parsed outside the lock: other threads may read other pieces meanwhile. The same text
        // parsed the same way as when the file was first read: this parses.
        let mut body = parse_piece(self.text.get(self.text_of(p))?, self.blocks_of(p).len())?;
        // Held a while: every list at its length, the piece's own too (the first reading only
        // looks and lets go). A piece's body is only ever read for its structures.
        compact(&mut body);
        let mut body = {
            let mut v = Vec::with_capacity(body.len());
            v.extend(body);
            Body::from(v)
        };
        if p > 0 {
            restore_first(&mut body, self.carry[p].as_ref());
        }
        let body = Arc::new(body);
        let mut c = lock();
        if let Some(b) = c.held[p].clone() {
            return Some(b);
        }
        c.held[p] = Some(body.clone());
        if c.reparses > 0 {
            c.reparses -= 1;
            c.recent.push_back(p);
            while c.recent.len() > HELD_PIECES {
                if let Some(old) = c.recent.pop_front() {
                    c.held[old] = None;
                }
            }
        } else {
            // Out of parses: nothing is let go any more.
            c.recent.clear();
        }
        Some(body)
    }

    /// See [`crate::tree::Tree::block`].
    pub fn block(&self, i: usize) -> Option<BlockRef<'static>> {
        if i >= self.heads.len() {
            return None;
        }
        let p = self.piece_of(i);
        let body = self.piece(p)?;
        BlockRef::of_piece(body, i - self.firsts[p] as usize)
    }

    /// See [`crate::tree::Tree::for_each_body`].
    pub fn for_each_body(&self, mut f: impl FnMut(usize, u32, &Body)) {
        for p in 0..self.firsts.len() {
            if let Some(body) = self.piece(p) {
                f(self.blocks_of(p).start, self.text_of(p).start as u32, &body);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hcl_edit::structure::Block;

    /// A file of `n` blocks with comments, blank lines, nested blocks and a heredoc between them.
    fn sample(n: usize) -> String {
        let mut t = String::from("# header comment\n\n");
        for i in 0..n {
            match i % 4 {
                0 => t.push_str(&format!(
                    "resource \"aws_kms_key\" \"k{i}\" {{\n  description = \"key {i} é\"\n  enable_key_rotation = true\n}}\n"
                )),
                1 => t.push_str(&format!(
                    "\n// about v{i}\nvariable \"v{i}\" {{\n  default = <<EOT\nline {i}\nEOT\n}} # trailing\n"
                )),
                2 => t.push_str(&format!(
                    "locals {{\n  l{i} = {{ a = [1, 2], b = \"x\" }}\n}}\n\n\n"
                )),
                _ => t.push_str(&format!(
                    "resource \"aws_s3_bucket\" \"b{i}\" {{\n  tags = {{ n = \"{i}\" }}\n  versioning {{\n    enabled = true\n  }}\n}}"
                )),
            }
            if i % 4 == 3 {
                t.push('\n');
            }
        }
        t
    }

    /// The spans of every attribute and block inside a body, any depth.
    fn spans(body: &Body, out: &mut Vec<Option<Range<usize>>>) {
        for s in body.iter() {
            out.push(s.span());
            if let Some(a) = s.as_attribute() {
                out.push(a.key.span());
                out.push(a.value.span());
            }
            if let Some(b) = s.as_block() {
                spans(&b.body, out);
            }
        }
    }

    /// `x` (a block of a piece whose spans start at `base`) is `y` (the block of the whole file):
    /// the same value, decoration and spans (every nested one moved by `base`).
    fn same_block(x: &Block, base: u32, y: &Block) {
        let at = crate::source::SpanFile {
            file: crate::source::FileId(0),
            base,
        };
        let shift = |s: Option<Range<usize>>| s.map(|s| at.shift(s));
        assert_eq!(shift(x.span()), y.span());
        assert_eq!(shift(x.ident.span()), y.ident.span());
        for (a, b) in x.labels.iter().zip(y.labels.iter()) {
            assert_eq!(shift(a.span()), b.span());
        }
        assert_eq!(x.ident, y.ident);
        assert_eq!(x.labels, y.labels);
        assert_eq!(x.body, y.body);
        assert_eq!(x.decor(), y.decor());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        spans(&x.body, &mut a);
        spans(&y.body, &mut b);
        assert_eq!(a.into_iter().map(shift).collect::<Vec<_>>(), b);
    }

    fn pieces(text: &str, piece_bytes: usize) -> Pieces {
        Pieces::parse(Arc::from(text), piece_bytes).expect("skim accepts the sample")
    }

    #[test]
    fn pieces_give_the_tree_of_the_whole_file() {
        for (n, piece_bytes) in [(1, PIECE_BYTES), (7, 100), (7, 1), (40_000, PIECE_BYTES)] {
            let text = sample(n);
            let whole = hcl_edit::parser::parse_body(&text).unwrap();
            let p = pieces(&text, piece_bytes);
            assert_eq!(p.len(), whole.len());
            // Every block, in order, a piece at a time...
            let mut seen = 0;
            p.for_each_body(|first, base, body| {
                assert_eq!(first, seen);
                assert_eq!(base, p.base_of(first));
                for (k, s) in body.iter().enumerate() {
                    same_block(
                        s.as_block().unwrap(),
                        base,
                        whole.get(first + k).unwrap().as_block().unwrap(),
                    );
                }
                seen += body.len();
            });
            assert_eq!(seen, whole.len());
            // ... one at a time, out of order (pieces let go and parsed again) ...
            for i in (0..whole.len())
                .rev()
                .step_by(97)
                .chain([0, whole.len() - 1])
            {
                same_block(
                    &p.block(i).unwrap(),
                    p.base_of(i),
                    whole.get(i).unwrap().as_block().unwrap(),
                );
            }
            assert!(p.block(whole.len()).is_none());
            // ... and their heads without parsing.
            let mut heads = 0;
            p.heads(|i, ident, labels| {
                let b = whole.get(i).unwrap().as_block().unwrap();
                assert_eq!(ident, b.ident.as_str());
                assert_eq!(
                    labels,
                    b.labels.iter().map(|l| l.as_str()).collect::<Vec<_>>()
                );
                heads += 1;
            });
            assert_eq!(heads, whole.len());
        }
    }

    #[test]
    fn pieces_are_let_go_then_held_once_out_of_parses() {
        let text = sample(40);
        let p = pieces(&text, 1);
        let n = p.firsts.len();
        assert_eq!(n, 40);
        let held = |p: &Pieces| p.cache.lock().unwrap().held.iter().flatten().count();
        for i in 0..40 {
            p.block(i).unwrap();
        }
        assert_eq!(held(&p), HELD_PIECES);
        // A block in use keeps its piece although the piece is let go.
        let b = p.block(0).unwrap();
        for i in 1..40 {
            p.block(i).unwrap();
        }
        assert_eq!(b.ident.as_str(), "resource");
        // Jumping between pieces spends the parses: then everything asked for stays held.
        for _ in 0..REPARSES_PER_PIECE {
            for i in 0..40 {
                p.block(i).unwrap();
            }
        }
        assert_eq!(held(&p), 40);
    }

    #[test]
    fn a_syntax_error_an_attribute_or_an_escaped_label_means_the_whole_file() {
        let mut text = sample(40_000);
        text.push_str("resource \"x\" \"y\" {\n  a = \n}\n");
        assert!(Pieces::parse(Arc::from(text), PIECE_BYTES).is_none());
        assert!(Pieces::parse(Arc::from("a = 1\nb = 2\n"), PIECE_BYTES).is_none());
        let text = "resource \"x\" \"a\\u0062\" {\n}\n";
        assert!(Pieces::parse(Arc::from(text), PIECE_BYTES).is_none());
        assert!(Pieces::parse(Arc::from("resource x y {\n}\n"), PIECE_BYTES).is_some());
    }
}
