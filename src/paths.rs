//! Sorting paths without comparing them component by component.
//!
//! `Path`'s `Ord` parses both paths into components at every comparison; sorting the directories
//! of a large tree that way was about 1 % of a run on 20 copies of the public corpus, on one
//! thread, before any unit could start (docs/performance.md). [`sort_key`] turns a path into
//! bytes whose plain order is the order of `Path`'s `Ord`, so a sort computes it once per path.

use std::path::{Component, Path, PathBuf};

/// Bytes ordered as `Path`'s `Ord` orders paths: per component, the rank of its kind (in the
/// order of [`Component`]'s variants), its bytes, and a 0 byte (which no component contains and
/// which sorts a component before any longer one it is a prefix of).
pub fn sort_key(path: &Path) -> Vec<u8> {
    let mut key = Vec::with_capacity(path.as_os_str().len() + 8);
    for c in path.components() {
        let (rank, bytes): (u8, &[u8]) = match c {
            Component::Prefix(p) => (1, p.as_os_str().as_encoded_bytes()),
            Component::RootDir => (2, b""),
            Component::CurDir => (3, b""),
            Component::ParentDir => (4, b""),
            Component::Normal(n) => (5, n.as_encoded_bytes()),
        };
        key.push(rank);
        key.extend_from_slice(bytes);
        key.push(0);
    }
    key
}

/// Sorts `(path, value)` pairs by path, in `Path`'s order.
pub fn sort_by_path<T>(items: &mut [(PathBuf, T)]) {
    items.sort_by_cached_key(|(p, _)| sort_key(p));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_order_as_path_ord() {
        let paths = [
            "/a/b",
            "/a-b/c",
            "/a",
            "/a/b/c",
            "/ab",
            "/a/b-c",
            "/a/b/../c",
            "/",
            "/a/./b",
            "/a//b",
            "a",
            "./a",
            "../a",
            "a/b",
            "/z",
            "/a/B",
            "/a/b.tf",
            "/a/b/",
            "/é/x",
            "/e/x",
        ];
        let mut by_ord: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
        by_ord.sort();
        let mut by_key: Vec<(PathBuf, ())> = paths.iter().map(|p| (PathBuf::from(p), ())).collect();
        sort_by_path(&mut by_key);
        let by_key: Vec<PathBuf> = by_key.into_iter().map(|(p, _)| p).collect();
        // Paths equal under `Path`'s `Eq` (`/a/./b`, `/a//b`, `/a/b`) may come in any order
        // among themselves; compare by component lists.
        let comps = |v: &[PathBuf]| -> Vec<Vec<String>> {
            v.iter()
                .map(|p| p.components().map(|c| format!("{c:?}")).collect())
                .collect()
        };
        assert_eq!(comps(&by_key), comps(&by_ord));
    }
}
