//! Source files, byte spans and line/column locations.
//!
//! Every file policy-lint reads (Terraform, tfvars, JSON policies, files pulled in by `file()` or
//! `templatefile()`) is registered once in a [`SourceMap`] and addressed by a [`FileId`]. Values and
//! findings carry [`Location`]s (file + byte range), turned into line/column only when emitted.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Index of a file in the [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range inside one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

/// A file and the position in it where the spans of a tree start: 0 for a tree parsed from the
/// whole file, the first byte of the piece for a piece of a large file parsed on its own
/// ([`crate::parse_large`]). Every span of such a tree becomes a location through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpanFile {
    pub file: FileId,
    pub base: u32,
}

impl SpanFile {
    /// A tree parsed from the whole file.
    pub fn whole(file: FileId) -> Self {
        SpanFile { file, base: 0 }
    }
    /// A span of the tree as a range of the file.
    pub fn shift(&self, span: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let b = self.base as usize;
        span.start + b..span.end + b
    }
    /// A position of the tree as a position in the file.
    pub fn pos(&self, at: usize) -> usize {
        at + self.base as usize
    }
    /// The location of a span of the tree (an empty one at the start of the file when there is
    /// no span).
    pub fn loc(&self, span: Option<std::ops::Range<usize>>) -> Location {
        Location::new(self.file, span.map_or(0..0, |s| self.shift(s)))
    }
}

impl Location {
    pub fn new(file: FileId, range: std::ops::Range<usize>) -> Self {
        Location {
            file,
            start: range.start as u32,
            end: range.end.max(range.start) as u32,
        }
    }
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
    /// A location covering both `self` and `other` (same file), or `self`.
    pub fn join(&self, other: &Location) -> Location {
        if self.file != other.file {
            return *self;
        }
        Location {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// Line and column, both 1-based; columns count characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// A file's text and what is needed to turn offsets into lines.
#[derive(Debug)]
pub struct SourceFile {
    pub id: FileId,
    /// The path as given on disk (absolute or relative to the working directory).
    pub path: PathBuf,
    /// Path shown to users: relative to the working directory where possible, `/`-separated.
    pub display: String,
    pub text: Arc<str>,
    /// Built on first use: most files never have a finding.
    line_starts: std::sync::OnceLock<Vec<u32>>,
    /// The text was let go (see [`SourceMap::release_text`]) and is read again on demand.
    released: bool,
    /// The text compressed ([`pack`]) when it was not kept as it is: it is restored from this
    /// instead of from disk, until [`SourceMap::release_text`] lets both go.
    packed: Option<Arc<[u8]>>,
    /// Set when the text was generated from another file (the native-syntax form of a
    /// `.tf.json` file): locations in it are reported in that file (see [`SourceMap::resolve`]).
    pub derived: Option<Arc<Derived>>,
}

/// How the offsets of a generated text map back to the file it was generated from: pieces of
/// the text, each written for a byte range of the original. Offsets between pieces (whitespace
/// and punctuation of the generated syntax) belong to the nearest piece.
#[derive(Debug)]
pub struct Derived {
    /// The original file.
    pub of: FileId,
    /// Sorted by `text`, not overlapping.
    pieces: Vec<Piece>,
}

#[derive(Debug, Clone)]
struct Piece {
    /// Range in the generated text.
    text: std::ops::Range<u32>,
    /// Range in the original file.
    orig: std::ops::Range<u32>,
    /// The two ranges hold the same bytes: offsets inside map one to one.
    linear: bool,
}

impl Derived {
    pub fn new(of: FileId) -> Derived {
        Derived {
            of,
            pieces: Vec::new(),
        }
    }

    /// Records that `text` (a range of the generated text, after every range pushed before) was
    /// written for `orig`; `linear` when both hold the same bytes.
    pub fn push(
        &mut self,
        text: std::ops::Range<usize>,
        orig: std::ops::Range<usize>,
        linear: bool,
    ) {
        if text.is_empty() {
            return;
        }
        debug_assert!(self
            .pieces
            .last()
            .is_none_or(|p| p.text.end as usize <= text.start));
        self.pieces.push(Piece {
            text: text.start as u32..text.end as u32,
            orig: orig.start as u32..orig.end as u32,
            linear: linear && text.len() == orig.len(),
        });
    }

    /// The range of the original file a range of the generated text stands for.
    pub fn map(&self, r: std::ops::Range<u32>) -> std::ops::Range<u32> {
        if self.pieces.is_empty() {
            return 0..0;
        }
        // First piece ending after `r.start`: the one holding it, or the next one.
        let i = self.pieces.partition_point(|p| p.text.end <= r.start);
        let start = match self.pieces.get(i) {
            Some(p) if p.text.start <= r.start => {
                if p.linear {
                    p.orig.start + (r.start - p.text.start)
                } else {
                    p.orig.start
                }
            }
            Some(p) => p.orig.start,
            None => self.pieces[self.pieces.len() - 1].orig.end,
        };
        if r.end <= r.start {
            return start..start;
        }
        // Last piece starting before `r.end`: the one holding it, or the previous one.
        let j = self.pieces.partition_point(|p| p.text.start < r.end);
        let end = match j.checked_sub(1).map(|j| &self.pieces[j]) {
            Some(p) if r.end <= p.text.end => {
                if p.linear {
                    p.orig.start + (r.end - p.text.start)
                } else {
                    p.orig.end
                }
            }
            Some(p) => p.orig.end,
            None => start,
        };
        start..end.max(start)
    }
}

impl SourceFile {
    pub fn new(id: FileId, path: PathBuf, display: String, text: Arc<str>) -> Self {
        SourceFile {
            id,
            path,
            display,
            text,
            line_starts: std::sync::OnceLock::new(),
            released: false,
            packed: None,
            derived: None,
        }
    }

    /// The text of a released file: unpacked from its compressed copy, else read from disk
    /// again (empty if it can no longer be read).
    fn released_text(&self) -> Arc<str> {
        self.packed
            .as_deref()
            .and_then(unpack)
            .or_else(|| read_text(&self.path))
            .unwrap_or_else(empty_text)
    }

    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0u32];
            for (i, b) in self.text.bytes().enumerate() {
                if b == b'\n' {
                    starts.push(i as u32 + 1);
                }
            }
            starts
        })
    }

    /// 1-based line and character column of a byte offset (clamped to the text).
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = (offset as usize).min(self.text.len());
        let line_idx = match self.line_starts().binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts()[line_idx] as usize;
        let mut end = offset;
        while end > start && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = self.text[start..end].chars().count() as u32 + 1;
        LineCol {
            line: line_idx as u32 + 1,
            col,
        }
    }

    /// Byte offset of the start of 1-based `line`.
    pub fn line_start(&self, line: u32) -> Option<u32> {
        self.line_starts()
            .get(line.checked_sub(1)? as usize)
            .copied()
    }

    pub fn line_count(&self) -> usize {
        self.line_starts().len()
    }

    /// The text of 1-based `line`, without its line ending.
    pub fn line_text(&self, line: u32) -> &str {
        let Some(start) = self.line_start(line) else {
            return "";
        };
        let end = self
            .line_start(line + 1)
            .map(|e| e as usize)
            .unwrap_or(self.text.len());
        self.text[start as usize..end].trim_end_matches(['\n', '\r'])
    }
}

/// All files of a run. Append-only and shared between threads. Texts nobody needs any more can
/// be let go ([`SourceMap::release_text`]); asking for such a file reads it again.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: RwLock<Vec<Arc<SourceFile>>>,
    /// The id of each path. Holds ids only: the path is the file's own (one copy of each path,
    /// not two: on 20 copies of the public corpus, 47,200 paths of about 100 bytes).
    by_path: RwLock<hashbrown::HashTable<FileId>>,
    hasher: foldhash::fast::RandomState,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// A map with room for `n` files (no rehashing while a run's files are added).
    pub fn with_capacity(n: usize) -> Self {
        SourceMap {
            files: RwLock::new(Vec::with_capacity(n)),
            by_path: RwLock::new(hashbrown::HashTable::with_capacity(n)),
            hasher: Default::default(),
        }
    }

    /// Registers a file, or returns the existing id if the path was added before.
    pub fn add(&self, path: PathBuf, display: String, text: Arc<str>) -> FileId {
        self.add_with(path, |id, path| SourceFile::new(id, path, display, text))
    }

    /// The id of `path`, registering the file `make` builds if the path is new (hashed once;
    /// looked up again under the write lock, as another thread may have added it).
    fn add_with(&self, path: PathBuf, make: impl FnOnce(FileId, PathBuf) -> SourceFile) -> FileId {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one(&path);
        if let Some(id) = self.find(&self.by_path.read().unwrap(), hash, &path) {
            return id;
        }
        // Locks in the order `find` takes them: the index, then the files.
        let mut by_path = self.by_path.write().unwrap();
        if let Some(id) = self.find(&by_path, hash, &path) {
            return id;
        }
        let mut files = self.files.write().unwrap();
        let id = FileId(files.len() as u32);
        files.push(Arc::new(make(id, path)));
        by_path.insert_unique(hash, id, |id| {
            self.hasher.hash_one(&files[id.0 as usize].path)
        });
        id
    }

    /// The id `by_path` holds for `path` (whose hash is `hash`).
    fn find(
        &self,
        by_path: &hashbrown::HashTable<FileId>,
        hash: u64,
        path: &Path,
    ) -> Option<FileId> {
        let files = self.files.read().unwrap();
        by_path
            .find(hash, |id| files[id.0 as usize].path == path)
            .copied()
    }

    /// Registers a file whose text is not kept as it is: only compressed (`packed`, made by
    /// [`pack`]), or not at all. It is restored when asked for, like a text let go by
    /// [`SourceMap::release_text`]: unpacked, or read from disk again. A relative or made-up path
    /// keeps its text as it is.
    pub fn add_unkept(
        &self,
        path: PathBuf,
        display: String,
        text: &str,
        packed: Option<Arc<[u8]>>,
    ) -> FileId {
        if !path.is_absolute() {
            return self.add(path, display, Arc::from(text));
        }
        self.add_with(path, |id, path| {
            let mut f = SourceFile::new(id, path, display, empty_text());
            f.released = true;
            f.packed = packed;
            f
        })
    }

    /// Registers a text generated from another file (see [`Derived`]). Such texts are never let
    /// go: they cannot be read again from disk.
    pub fn add_derived(
        &self,
        path: PathBuf,
        display: String,
        text: Arc<str>,
        derived: Derived,
    ) -> FileId {
        self.add_with(path, |id, path| {
            let mut f = SourceFile::new(id, path, display, text);
            f.derived = Some(Arc::new(derived));
            f
        })
    }

    /// A location in the file it was written in: locations in a generated text (see
    /// [`SourceMap::add_derived`]) become locations in the original; others are unchanged.
    pub fn resolve(&self, loc: Location) -> Location {
        let derived = {
            let files = self.files.read().unwrap();
            match files
                .get(loc.file.0 as usize)
                .and_then(|f| f.derived.clone())
            {
                Some(d) => d,
                None => return loc,
            }
        };
        let r = derived.map(loc.start..loc.end);
        Location {
            file: derived.of,
            start: r.start,
            end: r.end,
        }
    }

    pub fn get(&self, id: FileId) -> Arc<SourceFile> {
        let f = self.files.read().unwrap()[id.0 as usize].clone();
        if f.released {
            return self.restore(f);
        }
        f
    }

    pub fn try_get(&self, id: FileId) -> Option<Arc<SourceFile>> {
        let f = self.files.read().unwrap().get(id.0 as usize).cloned()?;
        Some(if f.released { self.restore(f) } else { f })
    }

    /// Lets go of a file's text (it is read again from disk if asked for later). For files whose
    /// unit is done and which no finding points into, so memory follows the units in flight.
    pub fn release_text(&self, id: FileId) {
        let mut files = self.files.write().unwrap();
        let Some(f) = files.get_mut(id.0 as usize) else {
            return;
        };
        if f.released || !f.path.is_absolute() || f.derived.is_some() {
            return;
        }
        let mut empty = SourceFile::new(f.id, f.path.clone(), f.display.clone(), empty_text());
        empty.released = true;
        *f = Arc::new(empty);
    }

    /// The text of a file, read again from disk (without keeping it) when it was released: for
    /// a look at many files that should not bring their texts back into memory.
    pub fn text_of(&self, id: FileId) -> Arc<str> {
        let f = self.files.read().unwrap()[id.0 as usize].clone();
        if !f.released {
            return f.text.clone();
        }
        f.released_text()
    }

    /// Reads a released file again (an empty text if it can no longer be read).
    fn restore(&self, f: Arc<SourceFile>) -> Arc<SourceFile> {
        let mut restored =
            SourceFile::new(f.id, f.path.clone(), f.display.clone(), f.released_text());
        restored.packed = f.packed.clone();
        let restored = Arc::new(restored);
        let mut files = self.files.write().unwrap();
        let slot = &mut files[f.id.0 as usize];
        if slot.released {
            *slot = restored.clone();
            restored
        } else {
            slot.clone()
        }
    }

    /// The path of a file, without reading a released text again.
    pub fn path_of(&self, id: FileId) -> PathBuf {
        self.files.read().unwrap()[id.0 as usize].path.clone()
    }

    pub fn lookup(&self, path: &Path) -> Option<FileId> {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one(path);
        self.find(&self.by_path.read().unwrap(), hash, path)
    }

    pub fn len(&self) -> usize {
        self.files.read().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn all(&self) -> Vec<Arc<SourceFile>> {
        self.files.read().unwrap().clone()
    }
}

/// Texts that stand for files on disk while `--diff` (and the rounds of `--fix`) evaluate edits
/// that are not written: canonical path → text. Empty outside those runs.
static OVERLAY: RwLock<Option<crate::hash::HashMap<PathBuf, Arc<str>>>> = RwLock::new(None);

/// Replaces the overlay (None: files are read from disk).
pub fn set_overlay(texts: Option<crate::hash::HashMap<PathBuf, Arc<str>>>) {
    *OVERLAY.write().unwrap_or_else(|e| e.into_inner()) = texts;
}

/// Reads a file: its text in the overlay when there is one, else the bytes on disk. Every read
/// of a configuration file goes through here.
pub fn read_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    read_into(path, &mut buf, None)?;
    Ok(buf)
}

/// [`read_bytes`] into `buf` (cleared first), which keeps its room for the next file: reading
/// many files through one buffer allocates only for the texts that are kept. `size` is the
/// file's length when the caller knows it (room is made for it; no `statx` here).
pub fn read_into(path: &Path, buf: &mut Vec<u8>, size: Option<u64>) -> std::io::Result<()> {
    buf.clear();
    {
        let overlay = OVERLAY.read().unwrap_or_else(|e| e.into_inner());
        if let Some(map) = overlay.as_ref().filter(|m| !m.is_empty()) {
            let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            if let Some(t) = map.get(&canon) {
                buf.extend_from_slice(t.as_bytes());
                return Ok(());
            }
        }
    }
    // `read` until it returns nothing, into room for the length and one byte more (the read that
    // finds the end), or 8 KiB growing when the length is not known: `File::read_to_end` would
    // ask for the length again and for the position (a `statx` and an `lseek` per file).
    let mut file = std::fs::File::open(path)?;
    let room = size.map_or(8192, |n| usize::try_from(n).unwrap_or(0).saturating_add(1));
    buf.resize(room, 0);
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2 + 4096, 0);
        }
        match std::io::Read::read(&mut file, &mut buf[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(())
}

thread_local! {
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The calling thread's read buffer (empty, with the room it had), for [`read_into`]; give it
/// back with [`recycle`].
pub fn take_buffer() -> Vec<u8> {
    let mut b = BUFFER.with(|b| std::mem::take(&mut *b.borrow_mut()));
    b.clear();
    b
}

/// Gives a buffer back to the thread for its next read, unless a large file made it large.
pub fn recycle(buf: Vec<u8>) {
    if buf.capacity() <= 1 << 20 {
        BUFFER.with(|b| *b.borrow_mut() = buf);
    }
}

/// The empty text, shared: the stand-in of every text not held (one allocation, not one a file).
fn empty_text() -> Arc<str> {
    static EMPTY: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| Arc::from(""));
    EMPTY.clone()
}

/// A text compressed with LZ4 (its length first): texts read once and needed later are held
/// like this instead of being read from disk again (on 20 copies of the public corpus, reading
/// two thirds of the files again was a third of the system time and about 10 % of the wall time;
/// Terraform compresses about four to one, at several hundred MB/s).
pub fn pack(text: &str) -> Arc<[u8]> {
    Arc::from(lz4_flex::block::compress_prepend_size(text.as_bytes()))
}

/// The text [`pack`] compressed; `None` if the bytes are not such a text.
pub fn unpack(packed: &[u8]) -> Option<Arc<str>> {
    let bytes = lz4_flex::block::decompress_size_prepended(packed).ok()?;
    String::from_utf8(bytes).ok().map(Arc::from)
}

/// A file's text read through the thread's buffer (one allocation, for the text itself); `None`
/// when it cannot be read or is not UTF-8.
fn read_text(path: &Path) -> Option<Arc<str>> {
    let mut buf = take_buffer();
    let text = read_into(path, &mut buf, None)
        .ok()
        .and_then(|()| std::str::from_utf8(&buf).ok().map(Arc::from));
    recycle(buf);
    text
}

/// A path in a message: relative to the working directory when below it (`policy-lint.toml`
/// rather than `/home/me/repo/policy-lint.toml`), else as it is.
pub fn as_typed(path: &Path) -> String {
    if path.is_absolute() {
        if let Ok(cwd) = std::env::current_dir() {
            let cwd = std::fs::canonicalize(&cwd).unwrap_or(cwd);
            let p = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            if let Ok(rel) = p.strip_prefix(&cwd) {
                if !rel.as_os_str().is_empty() {
                    return rel.display().to_string();
                }
            }
        }
    }
    path.display().to_string()
}

/// A user-facing path: relative to `base` when below it, `/`-separated.
pub fn display_path(path: &Path, base: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(path);
    // One allocation (this runs for every file discovery meets).
    let lossy = rel.to_string_lossy();
    let mut s = if lossy.contains('\\') {
        lossy.replace('\\', "/")
    } else {
        lossy.into_owned()
    };
    if s.starts_with("./") {
        s.drain(..2);
    }
    if s.is_empty() {
        s.push('.');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_texts_are_read_again() {
        let dir = std::env::temp_dir().join(format!("policy-lint-src-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("main.tf");
        std::fs::write(&path, "a = 1\nb = 2\n").unwrap();
        let m = SourceMap::new();
        let id = m.add(path.clone(), "main.tf".into(), Arc::from("a = 1\nb = 2\n"));
        m.release_text(id);
        let f = m.get(id);
        assert_eq!(&*f.text, "a = 1\nb = 2\n");
        assert_eq!(f.line_col(6).line, 2);
        // A file registered under a relative or made-up name keeps its text.
        let other = m.add(PathBuf::from("<--var x>"), "--var x".into(), Arc::from("v"));
        m.release_text(other);
        assert_eq!(&*m.get(other).text, "v");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn packed_texts_are_restored_without_reading_the_file_again() {
        let dir = std::env::temp_dir().join(format!("policy-lint-pack-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("main.tf");
        let text = "# é\nresource \"aws_kms_key\" \"k\" {\n  description = \"x\"\n}\n".repeat(50);
        std::fs::write(&path, "something else").unwrap();
        let m = SourceMap::new();
        let packed = pack(&text);
        assert!(
            packed.len() < text.len() / 4,
            "{} of {}",
            packed.len(),
            text.len()
        );
        let id = m.add_unkept(path.clone(), "main.tf".into(), &text, Some(packed));
        // The text read first, not what the file holds now.
        assert_eq!(&*m.text_of(id), text.as_str());
        assert_eq!(&*m.get(id).text, text.as_str());
        // Let go: the compressed copy goes too, and the file is read again.
        m.release_text(id);
        assert_eq!(&*m.get(id).text, "something else");
        // Without a compressed copy, from disk.
        let other = dir.join("other.tf");
        std::fs::write(&other, "b = 2\n").unwrap();
        let id = m.add_unkept(other, "other.tf".into(), "b = 2\n", None);
        assert_eq!(&*m.get(id).text, "b = 2\n");
        assert_eq!(unpack(b"not lz4"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn line_col_counts_chars() {
        let f = SourceFile::new(FileId(0), "a".into(), "a".into(), "ab\né x\n".into());
        assert_eq!(f.line_col(0), LineCol { line: 1, col: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, col: 1 });
        // 'x' is after "é " (3 bytes): column 3
        assert_eq!(f.line_col(6), LineCol { line: 2, col: 3 });
        assert_eq!(f.line_text(2), "é x");
        assert_eq!(f.line_col(999).line, 3);
    }
}
