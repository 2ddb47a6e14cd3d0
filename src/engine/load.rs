//! Reading and parsing every discovered file once, in parallel, and finding the units (root
//! modules) to evaluate.

use crate::discover::{FileKind, Found};
use crate::eval::Loader;
use crate::finding::Finding;
use crate::parse::{self, Parsed};
use crate::source::{FileId, SourceMap};
use crate::value::Value;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest file policy-lint reads (bigger files are SYN001).
pub const MAX_INPUT: u64 = 64 * 1024 * 1024;

/// Everything read from disk.
pub struct Loaded {
    pub sources: Arc<SourceMap>,
    pub loader: Loader,
    /// Root module directories to evaluate (canonical), sorted.
    pub units: Vec<PathBuf>,
    /// Standalone IAM policy documents.
    pub policies: Vec<(FileId, Arc<Value>)>,
    /// SYN001 findings.
    pub syntax: Vec<Finding>,
    /// Parsed HCL files (for suppressions): file id and body.
    pub hcl: Vec<Arc<crate::parse::ParsedHcl>>,
    /// Files named explicitly (pre-commit): findings are reported only in these when non-empty.
    pub explicit: Vec<FileId>,
}

/// True when a JSON text is worth treating as a policy document.
fn mentions_statement(text: &str) -> bool {
    text.contains("\"Statement\"")
}

enum Read {
    Text(FileId),
    Failed(Box<Finding>),
    Skip,
}

fn read_one(sources: &SourceMap, f: &Found, cwd: &Path) -> Read {
    let display = crate::source::display_path(&f.path, cwd);
    let meta = match std::fs::metadata(&f.path) {
        Ok(m) => m,
        Err(_) => return Read::Skip,
    };
    if meta.len() > MAX_INPUT {
        if f.kind == FileKind::Json {
            return Read::Skip;
        }
        let id = sources.add(f.path.clone(), display, Arc::from(""));
        return Read::Failed(Box::new(Finding::new(
            "SYN001",
            crate::source::Location::new(id, 0..0),
            format!(
                "the file is {} MiB, larger than policy-lint's limit of {} MiB; it was not read",
                meta.len() / 1024 / 1024,
                MAX_INPUT / 1024 / 1024
            ),
        )));
    }
    let bytes = match std::fs::read(&f.path) {
        Ok(b) => b,
        Err(_) => return Read::Skip,
    };
    match parse::decode_text(&bytes) {
        Ok(text) => {
            if f.kind == FileKind::Json && !mentions_statement(&text) {
                return Read::Skip;
            }
            let id = sources.add(f.path.clone(), display, Arc::from(text));
            Read::Text(id)
        }
        Err((off, msg)) => {
            if f.kind == FileKind::Json {
                // A binary or non-UTF-8 .json file is not a policy we were asked about.
                return Read::Skip;
            }
            let lossy = String::from_utf8_lossy(&bytes[..off.min(bytes.len())]).to_string();
            let id = sources.add(f.path.clone(), display, Arc::from(lossy));
            Read::Failed(Box::new(parse::syntax_finding(sources, id, off, msg)))
        }
    }
}

/// Reads and parses `files`, and finds the units.
pub fn load(files: &[Found], cwd: &Path, roots: Vec<PathBuf>) -> Loaded {
    let sources = Arc::new(SourceMap::new());
    let results: Vec<(usize, Read)> = files
        .par_iter()
        .enumerate()
        .map(|(i, f)| (i, read_one(&sources, f, cwd)))
        .collect();
    // Parse in parallel too.
    let parsed: Vec<(usize, Option<FileId>, Option<Parsed>)> = results
        .into_par_iter()
        .map(|(i, r)| match r {
            Read::Skip => (i, None, None),
            Read::Failed(f) => (i, None, Some(Parsed::Failed(*f))),
            Read::Text(id) => {
                let p = match files[i].kind {
                    FileKind::Tf | FileKind::Tfvars => parse::parse_hcl(&sources, id),
                    FileKind::Json | FileKind::TfJson | FileKind::TfvarsJson => {
                        parse::parse_json(&sources, id)
                    }
                };
                (i, Some(id), Some(p))
            }
        })
        .collect();
    let loader = Loader::new(sources.clone(), roots, cwd.to_path_buf());
    let mut syntax = Vec::new();
    let mut policies = Vec::new();
    let mut hcl = Vec::new();
    let mut explicit = Vec::new();
    let mut tf_dirs: BTreeSet<PathBuf> = BTreeSet::new();
    for (i, id, p) in parsed {
        let f = &files[i];
        if f.explicit {
            if let Some(id) = id {
                explicit.push(id);
            } else if let Some(id) = sources.lookup(&f.path) {
                explicit.push(id);
            }
        }
        let Some(p) = p else { continue };
        match (&p, f.kind) {
            (Parsed::Failed(fd), FileKind::Json) => {
                // Only a file that names "Statement" got this far: a broken policy.
                syntax.push(fd.clone());
            }
            (Parsed::Failed(fd), _) => syntax.push(fd.clone()),
            (Parsed::Json(v), FileKind::Json) => {
                let is_policy =
                    matches!(&v.kind, crate::value::Kind::Object(m) if m.contains_key("Statement"));
                if is_policy {
                    if let Some(id) = id {
                        policies.push((id, v.clone()));
                    }
                }
            }
            (Parsed::Hcl(h), FileKind::Tf) => {
                hcl.push(h.clone());
                if let Some(d) = f.path.parent() {
                    tf_dirs.insert(d.to_path_buf());
                }
            }
            (Parsed::Hcl(h), FileKind::Tfvars) => hcl.push(h.clone()),
            _ => {}
        }
        loader.insert_parsed(f.path.clone(), p);
    }
    // Units: directories with .tf files that no other scanned module calls.
    let mut called: HashMap<PathBuf, Vec<PathBuf>> = HashMap::new();
    let by_dir: BTreeMap<PathBuf, Vec<&Arc<crate::parse::ParsedHcl>>> = {
        let mut m: BTreeMap<PathBuf, Vec<&Arc<crate::parse::ParsedHcl>>> = BTreeMap::new();
        for h in &hcl {
            let path = sources.get(h.file).path.clone();
            if path.extension().and_then(|e| e.to_str()) != Some("tf") {
                continue;
            }
            if let Some(d) = path.parent() {
                m.entry(d.to_path_buf()).or_default().push(h);
            }
        }
        m
    };
    for (dir, hs) in &by_dir {
        for h in hs {
            for b in h.body.get_blocks("module") {
                let Some(src) = b
                    .body
                    .get_attribute("source")
                    .and_then(|a| a.value.as_str().map(str::to_string))
                else {
                    continue;
                };
                if !(src.starts_with("./") || src.starts_with("../")) {
                    continue;
                }
                if let Ok(c) = std::fs::canonicalize(dir.join(&src)) {
                    if c != *dir {
                        called.entry(c).or_default().push(dir.clone());
                    }
                }
            }
        }
    }
    let mut units: Vec<PathBuf> = tf_dirs
        .iter()
        .filter(|d| !called.contains_key(*d))
        .cloned()
        .collect();
    // Directories reached only through a cycle of calls: make sure each is evaluated.
    let mut reached: BTreeSet<PathBuf> = BTreeSet::new();
    let mut stack: Vec<PathBuf> = units.clone();
    let mut calls_of: HashMap<PathBuf, Vec<PathBuf>> = HashMap::new();
    for (callee, callers) in &called {
        for c in callers {
            calls_of.entry(c.clone()).or_default().push(callee.clone());
        }
    }
    while let Some(d) = stack.pop() {
        if !reached.insert(d.clone()) {
            continue;
        }
        if let Some(cs) = calls_of.get(&d) {
            stack.extend(cs.iter().cloned());
        }
    }
    for d in &tf_dirs {
        if !reached.contains(d) {
            units.push(d.clone());
            // Everything it reaches is covered now.
            let mut st = vec![d.clone()];
            while let Some(x) = st.pop() {
                if !reached.insert(x.clone()) {
                    continue;
                }
                if let Some(cs) = calls_of.get(&x) {
                    st.extend(cs.iter().cloned());
                }
            }
        }
    }
    units.sort();
    syntax.sort_by_key(|f| (f.loc.file, f.loc.start));
    Loaded {
        sources,
        loader,
        units,
        policies,
        syntax,
        hcl,
        explicit,
    }
}
