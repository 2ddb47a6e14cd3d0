//! A Terraform file's top-level structures, as the evaluator and the checks read them: the whole
//! tree, or for a large file ([`crate::parse_large`]) its pieces, each parsed when something
//! asks for one of its blocks and let go when no longer needed, so that a file's tree is never
//! held whole.
//!
//! Every way in gives the same structures, spans and decoration, whichever form the file is
//! held in: [`Tree::heads`] (type and labels of each top-level structure, without parsing),
//! [`Tree::block`] (one block), [`Tree::for_each_body`] (the structures, in order, a body at a
//! time).

use crate::parse_large::Pieces;
use hcl_edit::structure::{Attribute, Block, Body, Structure};
use std::ops::Deref;
use std::sync::Arc;

/// A parsed Terraform file's top-level structures.
#[derive(Debug)]
pub enum Tree {
    /// The whole tree.
    Whole(Body),
    /// A large file, held a piece at a time.
    Pieces(Pieces),
}

/// A top-level block of a [`Tree`]: borrowed from a whole tree, or sharing the piece it was
/// parsed in (the piece lives as long as some block of it is in use).
pub enum BlockRef<'a> {
    Borrowed(&'a Block),
    /// A piece's body and the block's index in it (checked to be a block when made).
    Piece(Arc<Body>, usize),
}

impl Deref for BlockRef<'_> {
    type Target = Block;
    fn deref(&self) -> &Block {
        match self {
            BlockRef::Borrowed(b) => b,
            BlockRef::Piece(body, i) => body
                .get(*i)
                .and_then(Structure::as_block)
                .expect("BlockRef::Piece is made for blocks only"),
        }
    }
}

/// An attribute in the body of a top-level block (a local value in a `locals` block).
pub struct AttrRef<'a> {
    block: BlockRef<'a>,
    /// The attribute's index in the block's body (checked to be an attribute when made).
    i: usize,
}

impl Deref for AttrRef<'_> {
    type Target = Attribute;
    fn deref(&self) -> &Attribute {
        self.block
            .body
            .get(self.i)
            .and_then(Structure::as_attribute)
            .expect("AttrRef is made for attributes only")
    }
}

impl<'a> BlockRef<'a> {
    /// The attribute at index `i` of the block's body; None when it is not an attribute.
    pub fn attribute(self, i: usize) -> Option<AttrRef<'a>> {
        self.body.get(i)?.as_attribute()?;
        Some(AttrRef { block: self, i })
    }
}

impl BlockRef<'_> {
    /// A block of a piece; None when the structure at `i` is not a block.
    pub fn of_piece(body: Arc<Body>, i: usize) -> Option<BlockRef<'static>> {
        body.get(i)?.as_block()?;
        Some(BlockRef::Piece(body, i))
    }
}

impl Tree {
    /// Type and labels of every top-level block, with its index: what indexing a module needs,
    /// read without parsing a large file again. Labels are their values (a large file is held in
    /// pieces only when each label's value is the text between its quotes).
    pub fn heads(&self, mut f: impl FnMut(usize, &str, &[&str])) {
        match self {
            Tree::Whole(body) => {
                let mut labels: Vec<&str> = Vec::new();
                for (i, s) in body.iter().enumerate() {
                    let Some(b) = s.as_block() else { continue };
                    labels.clear();
                    labels.extend(b.labels.iter().map(|l| l.as_str()));
                    f(i, b.ident.as_str(), &labels);
                }
            }
            Tree::Pieces(p) => p.heads(f),
        }
    }

    /// The block at index `i` of the file's top-level structures; None when there is none or it
    /// is an attribute.
    pub fn block(&self, i: usize) -> Option<BlockRef<'_>> {
        match self {
            Tree::Whole(body) => body.get(i)?.as_block().map(BlockRef::Borrowed),
            Tree::Pieces(p) => p.block(i),
        }
    }

    /// Where the spans of block `i` start in the file ([`crate::source::SpanFile`]): 0 for a
    /// whole tree, the first byte of the block's piece for a piece of a large file.
    pub fn base_of(&self, i: usize) -> u32 {
        match self {
            Tree::Whole(_) => 0,
            Tree::Pieces(p) => p.base_of(i),
        }
    }

    /// Calls `f` with the file's structures a body at a time, in order, with the index of the
    /// body's first structure and where its spans start in the file: the whole tree at once, or
    /// each piece in turn.
    pub fn for_each_body(&self, mut f: impl FnMut(usize, u32, &Body)) {
        match self {
            Tree::Whole(body) => f(0, 0, body),
            Tree::Pieces(p) => p.for_each_body(f),
        }
    }

    /// The top-level blocks `want` accepts (by type and labels), in order, with their indexes:
    /// found without parsing, each read ([`Tree::block`]) as the iteration reaches it.
    pub fn blocks_where(
        &self,
        want: impl Fn(&str, &[&str]) -> bool,
    ) -> impl Iterator<Item = (usize, BlockRef<'_>)> {
        let mut found = Vec::new();
        self.heads(|i, ident, labels| {
            if want(ident, labels) {
                found.push(i);
            }
        });
        found
            .into_iter()
            .filter_map(move |i| Some((i, self.block(i)?)))
    }
}
