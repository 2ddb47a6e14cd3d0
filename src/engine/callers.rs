//! Named files seen through their callers.
//!
//! pre-commit passes the staged files only. A file of a child module means nothing on its own:
//! its variables are set by the roots that call it. When paths name files, the repository that
//! holds each one is scanned (the same walk as discovery: `.gitignore`, `include`/`exclude` of
//! each directory's configuration) and the text of its `.tf` files searched for local module
//! calls ([`super::load::scan_module_sources`]), without parsing anything. Every root that
//! reaches the named file's directory through local module sources, however indirectly, is then
//! evaluated as in a full run, with every directory it calls; only the findings in the named
//! files are reported. A template or JSON file is seen through the roots whose modules name it
//! (a `.tf` text that contains its file name), a var file through the roots whose `[[roots]]`
//! entry lists it.

use super::configs::Configs;
use super::load::{scan_module_sources, unit_plan, MAX_INPUT};
use crate::discover::{self, FileKind, Found};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What the scan decided.
#[derive(Debug, Default)]
pub struct Selection {
    /// The directories whose Terraform files the run reads besides the named files and their
    /// siblings: the roots that reach a named file, and every directory each of them calls.
    pub dirs: Vec<PathBuf>,
    /// Named files no root reaches (a module no configuration calls, a template no `.tf` file
    /// names), already worded, sorted.
    pub notices: Vec<String>,
}

/// What the scan learns from the `.tf` files of one directory.
#[derive(Default)]
struct Dir {
    sources: Vec<String>,
    /// Indices of the named files whose name its texts contain.
    mentions: BTreeSet<usize>,
    /// A `provider`, `backend` or `cloud` block: written for a root module.
    root_marker: bool,
    /// A `variable` block: an input a caller may set.
    inputs: bool,
}

/// The roots to evaluate so that the `named` files (canonical) are seen as a full run sees them.
/// `shown` is the directory paths in notices are relative to.
pub fn select(
    named: &[Found],
    configs: &Configs,
    threads: usize,
    shown: &Path,
) -> Result<Selection, String> {
    if named.is_empty() {
        return Ok(Selection::default());
    }
    // The repositories of the named files (a file outside any repository: its directory).
    let mut search: Vec<PathBuf> = named
        .iter()
        .filter_map(|f| f.path.parent())
        .map(|d| super::git_root(d).unwrap_or(d.to_path_buf()))
        .collect();
    search.sort();
    search.dedup();
    let search: Vec<PathBuf> = search
        .iter()
        .filter(|d| !search.iter().any(|o| o != *d && d.starts_with(o)))
        .cloned()
        .collect();
    let accepts = |p: &Path| configs.accepts(p);
    let files: Vec<PathBuf> = discover::discover_by(&search, &accepts, &None, threads)?
        .into_iter()
        .filter(|f| f.kind == FileKind::Tf)
        .map(|f| f.path)
        .collect();
    // Names searched for in the texts: files a module may read with file() or templatefile().
    let read_by_name: Vec<(usize, String)> = named
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f.kind, FileKind::Template | FileKind::Json))
        .filter_map(|(i, f)| Some((i, f.path.file_name()?.to_str()?.to_string())))
        .collect();
    let dirs: Mutex<BTreeMap<PathBuf, Dir>> = Mutex::new(BTreeMap::new());
    crate::workers::pool(threads)?.install(|| {
        files.par_iter().for_each(|p| {
            let Some(dir) = p.parent() else {
                return;
            };
            let too_big = std::fs::metadata(p)
                .map(|m| m.len() > MAX_INPUT)
                .unwrap_or(true);
            let text = if too_big {
                String::new()
            } else {
                crate::source::read_bytes(p)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default()
            };
            let sources = scan_module_sources(&text);
            let mentions: Vec<usize> = read_by_name
                .iter()
                .filter(|(_, name)| text.contains(name.as_str()))
                .map(|(i, _)| *i)
                .collect();
            let marker = root_marker(&text);
            let inputs = text.lines().any(|l| {
                l.starts_with("variable") && l["variable".len()..].trim_start().starts_with('"')
            });
            let mut all = dirs.lock().unwrap_or_else(|e| e.into_inner());
            let d = all.entry(dir.to_path_buf()).or_default();
            d.sources.extend(sources);
            d.mentions.extend(mentions);
            d.root_marker |= marker;
            d.inputs |= inputs;
        })
    });
    let dirs = dirs.into_inner().unwrap_or_else(|e| e.into_inner());
    // In path order (a BTreeMap's), as the plan wants.
    let module_sources: Vec<(PathBuf, Vec<String>)> = dirs
        .iter()
        .map(|(d, x)| (d.clone(), x.sources.clone()))
        .collect();
    let canon = crate::paths::Canonical::default();
    let canonical = |p: &Path| canon.get(p);
    let (units, reach) = unit_plan(&module_sources, &canonical);
    let called: BTreeSet<&PathBuf> = reach
        .iter()
        .flat_map(|(u, r)| r.iter().filter(move |d| *d != u))
        .collect();
    // The directories the named files stand for, and roots named directly.
    let mut targets: BTreeSet<PathBuf> = BTreeSet::new();
    let mut direct: BTreeSet<PathBuf> = BTreeSet::new();
    let mut notices = Vec::new();
    let rel = |p: &Path| crate::source::display_path(p, shown);
    for (i, f) in named.iter().enumerate() {
        let Some(dir) = f.path.parent() else {
            continue;
        };
        match f.kind {
            FileKind::Tf | FileKind::TfJson | FileKind::Tfvars | FileKind::TfvarsJson
                if dirs.contains_key(dir) =>
            {
                targets.insert(dir.to_path_buf());
                // Worth saying only when the module has inputs a caller would set.
                let uncalled = !called.contains(&dir.to_path_buf());
                if uncalled
                    && dirs[dir].inputs
                    && !looks_like_root(dir, dirs[dir].root_marker, configs)
                {
                    notices.push(format!(
                        "`{}`: no Terraform configuration in the repository calls the module `{}` (a local `source`), so it was evaluated on its own: the values a caller would pass are unknown",
                        rel(&f.path),
                        rel(dir)
                    ));
                }
            }
            FileKind::Template | FileKind::Json => {
                let users: Vec<&PathBuf> = dirs
                    .iter()
                    .filter(|(_, d)| d.mentions.contains(&i))
                    .map(|(p, _)| p)
                    .collect();
                if users.is_empty() && f.kind == FileKind::Template {
                    notices.push(format!(
                        "`{}`: no `.tf` file in the repository names it, so no module renders it and it was not checked",
                        rel(&f.path)
                    ));
                }
                targets.extend(users.into_iter().cloned());
            }
            _ => {}
        }
        if matches!(f.kind, FileKind::Tfvars | FileKind::TfvarsJson) {
            direct.extend(roots_listing(&units, &f.path, configs, &canonical));
        }
    }
    let mut out: BTreeSet<PathBuf> = BTreeSet::new();
    for u in &units {
        let r = &reach[u];
        if direct.contains(u) || r.iter().any(|d| targets.contains(d)) {
            out.extend(r.iter().cloned());
        }
    }
    notices.sort();
    notices.dedup();
    Ok(Selection {
        dirs: out.into_iter().collect(),
        notices,
    })
}

/// The roots among `units` whose `[[roots]]` entry lists `var_file` among its var files.
fn roots_listing(
    units: &[PathBuf],
    var_file: &Path,
    configs: &Configs,
    canonical: &dyn Fn(&Path) -> Option<PathBuf>,
) -> Vec<PathBuf> {
    units
        .iter()
        .filter(|u| {
            let e = configs.entry(configs.index_of(u));
            let rel = super::roots::relative_dir(u, &e.base);
            e.config.root(&rel).is_some_and(|r| {
                r.var_files
                    .iter()
                    .flat_map(|(_, files)| files)
                    .any(|f| canonical(&u.join(f)).as_deref() == Some(var_file))
            })
        })
        .cloned()
        .collect()
}

/// A `provider`, `backend` or `cloud` block in a text: Terraform reads those in root modules.
fn root_marker(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim_start();
        (l.starts_with("provider") && t["provider".len()..].trim_start().starts_with('"'))
            || t.starts_with("backend \"")
            || t.starts_with("cloud {")
    })
}

/// Whether a directory no module calls is written as a root: it configures a provider or a
/// backend, holds var files or a lock file, or a `[[roots]]` entry names it.
fn looks_like_root(dir: &Path, marker: bool, configs: &Configs) -> bool {
    if marker {
        return true;
    }
    let files = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    if files.iter().any(|n| {
        n == ".terraform.lock.hcl" || n.ends_with(".tfvars") || n.ends_with(".tfvars.json")
    }) {
        return true;
    }
    let e = configs.entry(configs.index_of(dir));
    e.config
        .root(&super::roots::relative_dir(dir, &e.base))
        .is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_markers() {
        assert!(root_marker("provider \"aws\" {\n  region = \"x\"\n}\n"));
        assert!(root_marker("terraform {\n  backend \"s3\" {}\n}\n"));
        assert!(root_marker("terraform {\n  cloud {\n  }\n}\n"));
        assert!(!root_marker(
            "variable \"provider\" {}\nresource \"x\" \"y\" {}\n"
        ));
        assert!(!root_marker("  # provider \"aws\" in a comment\n"));
    }
}
