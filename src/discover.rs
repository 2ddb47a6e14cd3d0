//! Discovery: which files a run reads.
//!
//! Walks the given paths honouring `.gitignore`/`.ignore` (the `ignore` crate), skips
//! `.terraform/` and `.git/`, never follows symlinks (so symlink loops cannot hang a run), and
//! applies the config's `include`/`exclude` globs to paths relative to the base directory.

use globset::{Glob, GlobSet, GlobSetBuilder};
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
}

impl FileKind {
    pub fn of(path: &Path) -> Option<FileKind> {
        let name = path.file_name()?.to_str()?;
        if name.ends_with(".tf.json") {
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
#[derive(Debug, Default)]
pub struct Filter {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
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
        })
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

/// A file found by discovery.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// Canonical path.
    pub path: PathBuf,
    pub kind: FileKind,
    /// True when the user named this file explicitly (pre-commit passes file names).
    pub explicit: bool,
}

/// Walks `paths`. Errors are for paths that do not exist.
pub fn discover(paths: &[PathBuf], base: &Path, filter: &Filter) -> Result<Vec<Found>, String> {
    let mut out: Vec<Found> = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| format!("cannot read `{}`: {e}", p.display()))?;
        if meta.is_file() {
            if let Some(kind) = FileKind::of(p) {
                if let Ok(c) = std::fs::canonicalize(p) {
                    // A named Terraform file is evaluated with its module: load the other
                    // Terraform files of its directory too (not reported: `explicit: false`).
                    if kind != FileKind::Json {
                        if let Some(dir) = c.parent() {
                            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                                let sp = entry.path();
                                let Some(sk) = FileKind::of(&sp) else { continue };
                                if sk == FileKind::Json || !entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
                                    continue;
                                }
                                let Ok(sc) = std::fs::canonicalize(&sp) else { continue };
                                if sc == c || !filter.accepts(&crate::source::display_path(&sc, base)) {
                                    continue;
                                }
                                out.push(Found {
                                    path: sc,
                                    kind: sk,
                                    explicit: false,
                                });
                            }
                        }
                    }
                    out.push(Found {
                        path: c,
                        kind,
                        explicit: true,
                    });
                }
            }
            continue;
        }
        let walker = ignore::WalkBuilder::new(p)
            .hidden(false)
            .git_ignore(true)
            .git_global(false)
            .git_exclude(true)
            .ignore(true)
            .require_git(false)
            .follow_links(false)
            .filter_entry(|e| {
                let name = e.file_name().to_str().unwrap_or("");
                !(e.file_type().map(|t| t.is_dir()).unwrap_or(false)
                    && matches!(name, ".terraform" | ".git" | "node_modules" | ".terragrunt-cache"))
            })
            .build();
        for entry in walker.flatten() {
            if !entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
                continue;
            }
            let path = entry.path();
            let Some(kind) = FileKind::of(path) else {
                continue;
            };
            let Ok(c) = std::fs::canonicalize(path) else {
                continue;
            };
            let rel = crate::source::display_path(&c, base);
            if !filter.accepts(&rel) {
                continue;
            }
            out.push(Found {
                path: c,
                kind,
                explicit: false,
            });
        }
    }
    out.sort();
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
