//! Discovery: which files a run reads.
//!
//! Walks the given paths honouring `.gitignore`/`.ignore` (the `ignore` crate), skips
//! `.terraform/` and `.git/`, never follows symlinks (so symlink loops cannot hang a run), and
//! applies the config's `include`/`exclude` globs to paths relative to the base directory.

use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// What a discovered file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    /// `*.tf`
    Tf,
    /// `*.tf.json` (Terraform JSON syntax)
    TfJson,
    /// `*.tfvars`
    Tfvars,
    /// `*.tfvars.json`
    TfvarsJson,
    /// `*.json` that may be an IAM policy document
    Json,
    /// A template named on the command line (`*.tftpl`): not parsed on its own; its findings are
    /// reported when a module renders it with `templatefile()`.
    Template,
    /// `terragrunt.hcl`: not evaluated, listed as skipped.
    Terragrunt,
}

impl FileKind {
    pub fn of(path: &Path) -> Option<FileKind> {
        let name = path.file_name()?.to_str()?;
        if name == "terragrunt.hcl" {
            Some(FileKind::Terragrunt)
        } else if name.ends_with(".tf.json") {
            Some(FileKind::TfJson)
        } else if name.ends_with(".tfvars.json") {
            Some(FileKind::TfvarsJson)
        } else if name.ends_with(".tf") {
            Some(FileKind::Tf)
        } else if name.ends_with(".tfvars") {
            Some(FileKind::Tfvars)
        } else if name.ends_with(".json") {
            Some(FileKind::Json)
        } else {
            None
        }
    }
}

/// A glob filter built from config `include`/`exclude`.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
    /// `TF_DATA_DIR`: directories by that name (relative) or at that path (absolute) hold
    /// installed modules, like `.terraform`, and are not walked.
    data_dir: Option<PathBuf>,
}

pub fn globset(globs: &[String]) -> Result<Option<GlobSet>, String> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|e| format!("invalid glob `{g}`: {e}"))?);
    }
    b.build().map(Some).map_err(|e| e.to_string())
}

impl Filter {
    pub fn new(include: &[String], exclude: &[String]) -> Result<Filter, String> {
        Ok(Filter {
            include: globset(include)?,
            exclude: globset(exclude)?,
            data_dir: None,
        })
    }
    /// Also skips Terraform's data directory when `TF_DATA_DIR` moves it from `.terraform`.
    pub fn without_data_dir(mut self, data_dir: Option<PathBuf>) -> Filter {
        self.data_dir = data_dir_of(data_dir);
        self
    }
    /// True when the filter has neither `include` nor `exclude`: it accepts every path.
    pub fn is_everything(&self) -> bool {
        self.include.is_none() && self.exclude.is_none()
    }
    /// `rel` is `/`-separated and relative to the base directory.
    pub fn accepts(&self, rel: &str) -> bool {
        if let Some(ex) = &self.exclude {
            if ex.is_match(rel) {
                return false;
            }
        }
        match &self.include {
            Some(inc) => inc.is_match(rel),
            None => true,
        }
    }
}

/// `TF_DATA_DIR` as discovery compares directories with it: canonical when absolute, without `.`
/// components when relative (then any directory whose path ends with it).
pub fn data_dir_of(tf_data_dir: Option<PathBuf>) -> Option<PathBuf> {
    tf_data_dir.map(|d| {
        if d.is_absolute() {
            std::fs::canonicalize(&d).unwrap_or(d)
        } else {
            d.components()
                .filter(|c| !matches!(c, std::path::Component::CurDir))
                .collect()
        }
    })
}

/// True for a directory that is Terraform's data directory (`.terraform`, or `data_dir` from
/// `TF_DATA_DIR`).
fn is_data_dir(data_dir: &Option<PathBuf>, dir: &Path) -> bool {
    if dir.file_name().and_then(|n| n.to_str()) == Some(".terraform") {
        return true;
    }
    match data_dir {
        Some(d) if d.is_absolute() => dir == d,
        Some(d) if !d.as_os_str().is_empty() => dir.ends_with(d),
        _ => false,
    }
}

/// A file found by discovery.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// Canonical path.
    pub path: PathBuf,
    pub kind: FileKind,
    /// True when the user named this file explicitly (pre-commit passes file names).
    pub explicit: bool,
}

/// Whether discovery keeps a file (its canonical path): the `include`/`exclude` of the
/// configuration that applies to it.
pub type Accepts<'a> = dyn Fn(&Path) -> bool + Sync + 'a;

/// The Terraform files (`.tf`, `.tf.json`, `.tfvars`, `.tfvars.json`) of one directory, not
/// recursively.
pub fn siblings(dir: &Path, accepts: &Accepts) -> Vec<Found> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if !p.is_file() {
                continue;
            }
            if let Some(
                kind @ (FileKind::Tf | FileKind::TfJson | FileKind::Tfvars | FileKind::TfvarsJson),
            ) = FileKind::of(&p)
            {
                if let Ok(c) = std::fs::canonicalize(&p) {
                    if !accepts(&c) {
                        continue;
                    }
                    out.push(Found {
                        path: c,
                        kind,
                        explicit: false,
                    });
                }
            }
        }
    }
    out
}

/// Walks `paths` on one thread. Errors are for paths that do not exist.
pub fn discover(paths: &[PathBuf], base: &Path, filter: &Filter) -> Result<Vec<Found>, String> {
    discover_with(paths, base, filter, 1)
}

/// Walks `paths` with `threads` threads (0 = one per core); the result does not depend on it.
pub fn discover_with(
    paths: &[PathBuf],
    base: &Path,
    filter: &Filter,
    threads: usize,
) -> Result<Vec<Found>, String> {
    let accepts = |p: &Path| filter.accepts(&crate::source::display_path(p, base));
    discover_by(paths, &accepts, &filter.data_dir, threads)
}

/// Sorts found files in their `Ord` (path, kind, named), comparing each path's
/// [`crate::paths::sort_key`] instead of parsing both paths at every comparison (that was 3 % of
/// a run on 20 copies of the public corpus, on one thread, before anything else could start);
/// large lists are sorted on `threads` threads (0 = one per core).
fn sort_found(found: &mut [Found], threads: usize) {
    let key = |f: &Found| (crate::paths::sort_key(&f.path), f.kind, f.explicit);
    if threads == 1 || found.len() < 4096 {
        found.sort_by_cached_key(key);
        return;
    }
    match crate::workers::pool(threads) {
        Ok(pool) => pool.install(|| found.par_sort_by_cached_key(key)),
        Err(_) => found.sort_by_cached_key(key),
    }
}

/// Walks `paths` with `threads` threads, keeping the files `accepts` accepts and skipping
/// Terraform's data directories (`.terraform`, and `data_dir` from [`data_dir_of`]).
pub fn discover_by(
    paths: &[PathBuf],
    accepts: &Accepts,
    data_dir: &Option<PathBuf>,
    threads: usize,
) -> Result<Vec<Found>, String> {
    let mut out: Vec<Found> = Vec::new();
    for p in paths {
        let meta =
            std::fs::metadata(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
        if meta.is_file() {
            let Ok(c) = std::fs::canonicalize(p) else {
                continue;
            };
            let kind = FileKind::of(&c);
            let is_template = c
                .file_name()
                .and_then(|n| n.to_str())
                .map(|n| n.ends_with(".tftpl") || n.ends_with(".tpl"))
                .unwrap_or(false);
            if kind.is_some() || is_template {
                // A named Terraform file (pre-commit passes file names) is evaluated with the rest
                // of its module, so variables, locals and tfvars resolve as in a full run; only its
                // own findings are reported.
                if kind != Some(FileKind::Json) {
                    if let Some(dir) = c.parent() {
                        out.extend(siblings(dir, accepts));
                    }
                }
                out.push(Found {
                    path: c,
                    kind: kind.unwrap_or(FileKind::Template),
                    explicit: true,
                });
            }
            continue;
        }
        // Walked from its canonical form without following links, every path below is canonical
        // already (no per-file `canonicalize`, which costs a `readlink` per path component).
        let root =
            std::fs::canonicalize(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
        let data_dir = data_dir.clone();
        let walker = ignore::WalkBuilder::new(&root)
            .hidden(false)
            .git_ignore(true)
            .git_global(false)
            .git_exclude(true)
            .ignore(true)
            .require_git(false)
            .follow_links(false)
            .filter_entry(move |e| {
                let name = e.file_name().to_str().unwrap_or("");
                !(e.file_type().map(|t| t.is_dir()).unwrap_or(false)
                    && (matches!(name, ".git" | "node_modules" | ".terragrunt-cache")
                        || is_data_dir(&data_dir, e.path())))
            })
            .threads(threads)
            .build_parallel();
        let found = std::sync::Mutex::new(Vec::new());
        walker.run(|| {
            let found = &found;
            Box::new(move |entry| {
                let Ok(entry) = entry else {
                    return ignore::WalkState::Continue;
                };
                if !entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
                    return ignore::WalkState::Continue;
                }
                let path = entry.path();
                let Some(kind) = FileKind::of(path) else {
                    return ignore::WalkState::Continue;
                };
                if accepts(path) {
                    found.lock().unwrap_or_else(|e| e.into_inner()).push(Found {
                        path: path.to_path_buf(),
                        kind,
                        explicit: false,
                    });
                }
                ignore::WalkState::Continue
            })
        });
        out.extend(found.into_inner().unwrap_or_else(|e| e.into_inner()));
    }
    sort_found(&mut out, threads);
    out.dedup_by(|a, b| {
        if a.path == b.path {
            b.explicit |= a.explicit;
            true
        } else {
            false
        }
    });
    Ok(out)
}
