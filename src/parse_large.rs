//! Parsing a large Terraform file a piece at a time, so that its tree is never held in the
//! parser's loose form whole.
//!
//! hcl-edit's parser grows every list of the tree by pushing (a block with two attributes holds
//! room for four, its two labels room for four), and a structure is 304 bytes: the tree of a file
//! of small blocks is about 23 times its text while it is being built. Compacted (every list at
//! its length, [`compact`]) it is about 15 times. A file of at least [`LARGE_FILE_BYTES`] is
//! therefore parsed in pieces of about [`PIECE_BYTES`], cut where the [`crate::skim`] recognizer
//! says a top-level block starts, each piece compacted before the next is parsed: the loose form
//! of one piece exists at a time.
//!
//! The tree is the one parsing the whole file gives, structure for structure: each piece is parsed
//! from a copy of the text in which everything before it is blanked with spaces, so that spans
//! are positions in the file; every structure's span must be the block skim found, or the file is
//! parsed whole. Only the decoration of a piece's first block (the whitespace and comments before
//! it, which the blanking replaced) is restored from the text the previous piece ended with. A file
//! skim gives up on, one with top-level attributes (a `.tfvars`: their names must be unique across
//! the file), or one a piece of which does not parse, is parsed whole (and compacted): a syntax
//! error is reported exactly as before.

use hcl_edit::structure::{Body, Structure};
use hcl_edit::{Decorate, Span};

/// Files at least this large are parsed in pieces ([`parse`]) or compacted after parsing.
pub const LARGE_FILE_BYTES: usize = 1 << 20;

/// The size of a piece: the text of consecutive top-level blocks up to about this many bytes.
pub const PIECE_BYTES: usize = 2 << 20;

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

/// The body of a large file parsed a piece at a time, every list at its length; None when the
/// file is to be parsed whole (see the module documentation).
pub fn parse(text: &str) -> Option<Body> {
    // Where each top-level block starts and ends (skim's items, with their labels and
    // references, are let go at once).
    let items: Vec<std::ops::Range<usize>> = {
        let items = crate::skim::skim(text)?;
        if items.is_empty() || !items.iter().all(|i| i.is_block) {
            return None;
        }
        items.into_iter().map(|i| i.range).collect()
    };
    let mut buf: Vec<u8> = text.as_bytes().to_vec();
    let mut out: Vec<Structure> = Vec::with_capacity(items.len());
    // The whitespace and comments the previous piece ended with: the next block's prefix.
    let mut carry = None;
    let mut omit_trailing_newline = false;
    let mut first = 0;
    while first < items.len() {
        let start = if first == 0 { 0 } else { items[first].start };
        let mut next = first + 1;
        while next < items.len() && items[next].start - start < PIECE_BYTES {
            next += 1;
        }
        let end = items.get(next).map_or(text.len(), |i| i.start);
        // Item starts are ASCII identifiers: the blanked bytes are whole characters.
        buf[..start].fill(b' ');
        let piece = std::str::from_utf8(&buf[..end]).ok()?;
        let mut body = hcl_edit::parser::parse_body(piece).ok()?;
        if body.len() != next - first {
            return None;
        }
        omit_trailing_newline = body.prefer_omit_trailing_newline();
        let suffix = body.decor().suffix().cloned();
        compact(&mut body);
        for (k, mut s) in body.into_iter().enumerate() {
            if s.span() != Some(items[first + k].clone()) {
                return None;
            }
            if k == 0 && first > 0 {
                let decor = s.decor_mut();
                let own = decor.suffix().cloned();
                decor.clear();
                if let Some(p) = carry.take() {
                    decor.set_prefix(p);
                }
                if let Some(sf) = own {
                    decor.set_suffix(sf);
                }
            }
            out.push(s);
        }
        carry = suffix;
        first = next;
    }
    let mut body = Body::from(out);
    body.set_prefer_omit_trailing_newline(omit_trailing_newline);
    if let Some(sf) = carry {
        body.decor_mut().set_suffix(sf);
    }
    Some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn same_structures(a: &Body, b: &Body) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b.iter()) {
            assert_eq!(x.span(), y.span());
            match (x.as_block(), y.as_block()) {
                (Some(x), Some(y)) => {
                    assert_eq!(x.ident, y.ident);
                    assert_eq!(x.labels, y.labels);
                    assert_eq!(x.body, y.body);
                    assert_eq!(x.decor(), y.decor());
                }
                _ => panic!("not both blocks"),
            }
        }
        assert_eq!(a.decor(), b.decor());
        assert_eq!(
            a.prefer_omit_trailing_newline(),
            b.prefer_omit_trailing_newline()
        );
    }

    #[test]
    fn pieces_give_the_tree_of_the_whole_file() {
        for n in [1, 7, 40_000] {
            let text = sample(n);
            let whole = hcl_edit::parser::parse_body(&text).unwrap();
            let pieces = parse(&text).expect("skim accepts the sample");
            same_structures(&pieces, &whole);
        }
    }

    #[test]
    fn a_syntax_error_or_an_attribute_means_the_whole_file() {
        let mut text = sample(40_000);
        text.push_str("resource \"x\" \"y\" {\n  a = \n}\n");
        assert!(parse(&text).is_none());
        assert!(parse("a = 1\nb = 2\n").is_none());
    }
}
