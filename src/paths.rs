//! Paths, cheaply: sorting them without comparing them component by component, and resolving
//! them to canonical form without a `realpath` per path ([`Canonical`]).
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

/// A directory (`None` for a path without a parent) and consecutive items of it.
pub type Run<P, T> = (Option<PathBuf>, Vec<(P, T)>);

/// Consecutive items whose paths have the same parent directory, as `(parent, items)` runs in
/// their order. In a sorted listing a directory's files come together (but for those after a
/// subdirectory's), so a map keyed by directory takes one lookup per run, not one per file.
pub fn parent_runs<P: AsRef<Path>, T>(items: impl IntoIterator<Item = (P, T)>) -> Vec<Run<P, T>> {
    let mut runs: Vec<Run<P, T>> = Vec::new();
    for (path, item) in items {
        let parent = path.as_ref().parent();
        match runs.last_mut() {
            Some((Some(dir), run)) if parent.map(Path::as_os_str) == Some(dir.as_os_str()) => {
                run.push((path, item));
            }
            _ => {
                let dir = parent.map(Path::to_path_buf);
                runs.push((dir, vec![(path, item)]));
            }
        }
    }
    runs
}

/// `std::fs::canonicalize`, remembered for a run (by `Path` equality: `x/` is `x`), one cache for
/// every caller that resolves module sources (the loader, and the pre-commit scan for the roots
/// that reach a named file). A path is built from the canonical form of its parent, also
/// remembered: a new path costs one `lstat` of its last component instead of `realpath`'s
/// `readlink` of every component (module sources resolve many paths below the same
/// directories: 58k `readlink` calls became 7k on 20 copies of the public corpus). A last
/// component that is a symbolic link is left to `realpath`.
#[derive(Debug, Default)]
pub struct Canonical {
    cache: std::sync::Mutex<crate::hash::HashMap<PathBuf, Option<PathBuf>>>,
}

impl Canonical {
    /// `std::fs::canonicalize(path).ok()`, remembered.
    pub fn get(&self, path: &Path) -> Option<PathBuf> {
        if let Some(c) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
        {
            return c.clone();
        }
        let c = self.uncached(path);
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_path_buf(), c.clone());
        c
    }

    /// Records directories known to be canonical (discovery's: walked from a canonical root
    /// without following links), so that resolving a path through them or to them costs no
    /// file-system lookup. A directory already resolved keeps its result.
    pub fn know<'a>(&self, dirs: impl IntoIterator<Item = &'a Path>) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        for d in dirs {
            cache
                .entry(d.to_path_buf())
                .or_insert_with(|| Some(d.to_path_buf()));
        }
    }

    fn uncached(&self, path: &Path) -> Option<PathBuf> {
        use std::path::Component;
        let (Some(parent), Some(last)) = (path.parent(), path.components().next_back()) else {
            return std::fs::canonicalize(path).ok();
        };
        // Relative paths, and a trailing `/` (which asks for a directory), are realpath's.
        if !path.is_absolute()
            || parent.as_os_str().is_empty()
            || path.as_os_str().as_encoded_bytes().ends_with(b"/")
        {
            return std::fs::canonicalize(path).ok();
        }
        let base = self.get(parent)?;
        match last {
            Component::Normal(name) => {
                let c = base.join(name);
                // `base` is canonical: `path` resolves as `c` does, which may be known.
                if let Some(known) = self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(&c) {
                    return known.clone();
                }
                match std::fs::symlink_metadata(&c) {
                    Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).ok(),
                    Ok(_) => Some(c),
                    Err(_) => None,
                }
            }
            // `x/..` is an error when `x` is not a directory.
            Component::ParentDir if base.is_dir() => {
                Some(base.parent().map(Path::to_path_buf).unwrap_or(base))
            }
            Component::ParentDir => None,
            Component::CurDir => Some(base),
            Component::RootDir | Component::Prefix(_) => std::fs::canonicalize(path).ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_runs_group_consecutive_files_of_a_directory() {
        let files = ["/a/b.tf", "/a/c.tf", "/a/d/e.tf", "/a/f.tf", "/g"];
        let runs = parent_runs(files.iter().enumerate().map(|(i, f)| (PathBuf::from(f), i)));
        let shape: Vec<(Option<&str>, Vec<usize>)> = runs
            .iter()
            .map(|(d, r)| {
                (
                    d.as_deref().and_then(Path::to_str),
                    r.iter().map(|(_, i)| *i).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (Some("/a"), vec![0, 1]),
                (Some("/a/d"), vec![2]),
                (Some("/a"), vec![3]),
                (Some("/"), vec![4]),
            ]
        );
        assert_eq!(parent_runs(Vec::<(PathBuf, ())>::new()).len(), 0);
        assert_eq!(parent_runs([(PathBuf::from("/"), ())])[0].0, None);
    }

    // Unix paths: on Windows `canonicalize` gives verbatim (`\\?\`) paths, in which `/` does not
    // separate components.
    #[cfg(unix)]
    #[test]
    fn known_directories_resolve_as_the_file_system_does() {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap();
        let ab = root.join("a/b");
        let m = root.join("m");
        std::fs::create_dir_all(&ab).unwrap();
        std::fs::create_dir_all(m.join("n")).unwrap();
        std::os::unix::fs::symlink(&m, root.join("link")).unwrap();
        let known = Canonical::default();
        known.know([ab.as_path(), m.as_path()]);
        let plain = Canonical::default();
        for q in [
            "a/b",
            "a/b/../../m",
            "a/b/../../m/n",
            "a/b/../../link",
            "a/b/../../link/n",
            "a/b/../../missing",
            "a/b/..",
            "m/../a/b",
            "m/n/../../a",
        ] {
            let p = root.join(q);
            let want = std::fs::canonicalize(&p).ok();
            assert_eq!(known.get(&p), want, "{q}");
            assert_eq!(plain.get(&p), want, "{q}");
        }
        // What it is told is taken as it is: a known directory costs no look at the file system.
        let told = Canonical::default();
        let ghost = root.join("ghost");
        told.know([ab.as_path(), ghost.as_path()]);
        assert_eq!(told.get(&root.join("a/b/../../ghost")), Some(ghost));
    }

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

#[cfg(test)]
mod canonical_tests {
    use super::*;

    /// `Canonical` builds paths from their parents' canonical forms: it must agree with
    /// `std::fs::canonicalize` on symbolic links (of files, of directories, in the middle of a
    /// path, dangling), `..` after a link or a file, missing paths and a trailing `/`.
    #[test]
    fn canonical_agrees_with_realpath() {
        let root = std::env::temp_dir().join(format!("policy-lint-canon-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("real/mods/a")).unwrap();
        std::fs::create_dir_all(root.join("other/deep")).unwrap();
        std::fs::write(root.join("real/main.tf"), "").unwrap();
        std::fs::write(root.join("other/deep/x.tf"), "").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("other/deep"), root.join("real/link")).unwrap();
            std::os::unix::fs::symlink("../real/main.tf", root.join("other/file-link")).unwrap();
            std::os::unix::fs::symlink(root.join("nowhere"), root.join("real/dangling")).unwrap();
        }
        let canonical = Canonical::default();
        let cases = [
            "real",
            "real/main.tf",
            "real/mods/a",
            "real/mods/a/..",
            "real/mods/a/../../real/mods",
            "real/link",
            "real/link/x.tf",
            "real/link/..",
            "real/link/../deep/x.tf",
            "other/file-link",
            "other/file-link/..",
            "real/main.tf/..",
            "real/dangling",
            "real/missing",
            "real/missing/..",
            // (`real/main.tf/` is not here: `Path` equality, and so the cache, treats it as
            // `real/main.tf`, as it did before paths were built from their parents.)
            "real/mods/",
            "real/./mods//a",
        ];
        // Twice: the second time from what the first remembered.
        for _ in 0..2 {
            for c in cases {
                let p = root.join(c);
                assert_eq!(canonical.get(&p), std::fs::canonicalize(&p).ok(), "{c}");
            }
        }
        let _ = std::fs::remove_dir_all(&root);
    }
}
