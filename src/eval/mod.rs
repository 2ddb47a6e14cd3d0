//! Evaluation: what every Terraform expression means.
//!
//! A *unit* is a root module (a directory of `.tf` files that no other scanned module calls) with
//! the tree of local modules it calls. [`evaluate_unit`] evaluates it the way Terraform would plan
//! it: variables from defaults, tfvars, `--var-file`, `--var` and `TF_VAR_*`; locals in dependency
//! order (cycles become unknowns); `count`/`for_each` instances; `dynamic` blocks; local module
//! calls with their inputs and outputs; functions; `aws_iam_policy_document` rendering. What cannot
//! be known becomes an unknown [`Value`] that says why.

pub mod expr;
pub mod funcs;
pub mod module;
pub mod policydoc;

use crate::finding::Finding;
use crate::parse::ParsedHcl;
use crate::source::{FileId, Location, SourceMap};
use crate::value::{Hop, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use module::evaluate_unit;

/// Limits that keep evaluation small and finite on any input.
pub mod limits {
    /// Nested evaluation calls (expressions within locals within module outputs ...).
    pub const MAX_EVAL_DEPTH: usize = 200;
    /// Module calls nested in one another.
    pub const MAX_MODULE_DEPTH: usize = 16;
    /// Module instances in one unit (all calls, all levels, all `count`/`for_each` keys).
    pub const MAX_MODULE_INSTANCES: usize = 10_000;
    /// Instances of one resource or module call (`count`, `for_each`).
    pub const MAX_INSTANCES: usize = 10_000;
    /// Elements produced by one `for` expression or template `for` directive.
    pub const MAX_ITERATIONS: usize = 1_000_000;
    /// Bytes in one string value.
    pub const MAX_STRING: usize = 16 * 1024 * 1024;
    /// Nodes in one value.
    pub const MAX_VALUE_NODES: usize = 2_000_000;
    /// Evaluation steps in one unit.
    pub const MAX_STEPS: u64 = 50_000_000;
    /// Bytes read by `file()`/`templatefile()`.
    pub const MAX_FILE: u64 = 32 * 1024 * 1024;
}

/// Inputs to evaluation from the command line and environment.
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// `--var NAME=VALUE`, in command-line order.
    pub vars: Vec<(String, String)>,
    /// `--var-file FILE`, in command-line order (already resolved against the working directory).
    pub var_files: Vec<PathBuf>,
    /// `TF_VAR_name` environment variables.
    pub env_vars: Vec<(String, String)>,
    /// `terraform.workspace`
    pub workspace: String,
}

/// Everything evaluation needs from the rest of the run: sources, parsed files, where reading is
/// allowed.
#[derive(Debug)]
pub struct Loader {
    pub sources: Arc<SourceMap>,
    /// `file()`, `templatefile()` and module sources are read only below these directories.
    pub roots: Vec<PathBuf>,
    /// Working directory, for display paths.
    pub cwd: PathBuf,
    parsed: Mutex<HashMap<PathBuf, crate::parse::Parsed>>,
    /// Terraform files per (canonical) directory, from discovery.
    dir_files: Mutex<HashMap<PathBuf, Vec<PathBuf>>>,
}

impl Loader {
    pub fn new(sources: Arc<SourceMap>, roots: Vec<PathBuf>, cwd: PathBuf) -> Self {
        Loader {
            sources,
            roots,
            cwd,
            parsed: Mutex::new(HashMap::new()),
            dir_files: Mutex::new(HashMap::new()),
        }
    }

    /// Records a file already parsed by the pipeline.
    pub fn insert_parsed(&self, path: PathBuf, parsed: crate::parse::Parsed) {
        if let Some(dir) = path.parent() {
            let mut d = self.dir_files.lock().unwrap();
            let list = d.entry(dir.to_path_buf()).or_default();
            if !list.contains(&path) {
                list.push(path.clone());
            }
        }
        self.parsed.lock().unwrap().insert(path, parsed);
    }

    /// True when `path` (canonical) is inside one of the roots.
    pub fn allowed(&self, path: &Path) -> bool {
        self.roots.iter().any(|r| path.starts_with(r))
    }

    /// Reads and registers a text file inside the roots; the error says why it was not read.
    pub fn read_text(&self, path: &Path) -> Result<(FileId, Arc<str>), String> {
        let canon = std::fs::canonicalize(path)
            .map_err(|e| format!("`{}` cannot be read: {e}", path.display()))?;
        if !self.allowed(&canon) {
            return Err(format!(
                "`{}` is outside the scanned tree; policy-lint does not read it",
                path.display()
            ));
        }
        if let Some(id) = self.sources.lookup(&canon) {
            let f = self.sources.get(id);
            return Ok((id, f.text.clone()));
        }
        let meta = std::fs::metadata(&canon)
            .map_err(|e| format!("`{}` cannot be read: {e}", path.display()))?;
        if !meta.is_file() {
            return Err(format!("`{}` is not a regular file", path.display()));
        }
        if meta.len() > limits::MAX_FILE {
            return Err(format!(
                "`{}` is larger than {} MiB; policy-lint does not read it",
                path.display(),
                limits::MAX_FILE / 1024 / 1024
            ));
        }
        let bytes = std::fs::read(&canon)
            .map_err(|e| format!("`{}` cannot be read: {e}", path.display()))?;
        let text = crate::parse::decode_text(&bytes)
            .map_err(|(_, m)| format!("`{}`: {m}", path.display()))?;
        let display = crate::source::display_path(&canon, &self.cwd);
        let text: Arc<str> = text.into();
        let id = self.sources.add(canon, display, text.clone());
        Ok((id, text))
    }

    /// The parsed Terraform files of a directory (canonical path): those found by discovery, or
    /// read now when the directory is a module source outside the discovered set.
    pub fn module_files(&self, dir: &Path) -> Result<Vec<Arc<ParsedHcl>>, String> {
        let known = self.dir_files.lock().unwrap().get(dir).cloned();
        let paths = match known {
            Some(p) => p,
            None => {
                if !self.allowed(dir) {
                    return Err(format!(
                        "module directory `{}` is outside the scanned tree",
                        crate::source::display_path(dir, &self.cwd)
                    ));
                }
                let mut found = Vec::new();
                let rd = std::fs::read_dir(dir).map_err(|e| {
                    format!(
                        "module directory `{}` cannot be read: {e}",
                        crate::source::display_path(dir, &self.cwd)
                    )
                })?;
                for entry in rd.flatten() {
                    let p = entry.path();
                    if p.extension().and_then(|e| e.to_str()) == Some("tf") && p.is_file() {
                        found.push(p);
                    }
                }
                found.sort();
                for p in &found {
                    if !self.parsed.lock().unwrap().contains_key(p) {
                        let parsed = match std::fs::read(p)
                            .map_err(|e| (0, e.to_string()))
                            .and_then(|b| crate::parse::decode_text(&b))
                        {
                            Ok(text) => {
                                let display = crate::source::display_path(p, &self.cwd);
                                let id = self.sources.add(p.clone(), display, text.into());
                                crate::parse::parse_hcl(&self.sources, id)
                            }
                            Err(_) => continue,
                        };
                        self.parsed.lock().unwrap().insert(p.clone(), parsed);
                    }
                }
                self.dir_files
                    .lock()
                    .unwrap()
                    .insert(dir.to_path_buf(), found.clone());
                found
            }
        };
        let parsed = self.parsed.lock().unwrap();
        let mut out = Vec::new();
        let mut paths = paths;
        paths.sort();
        for p in paths {
            if p.extension().and_then(|e| e.to_str()) != Some("tf") {
                continue;
            }
            if let Some(crate::parse::Parsed::Hcl(h)) = parsed.get(&p) {
                out.push(h.clone());
            }
        }
        Ok(out)
    }

    /// A parsed file by path, if the pipeline parsed it.
    pub fn parsed(&self, path: &Path) -> Option<crate::parse::Parsed> {
        self.parsed.lock().unwrap().get(path).cloned()
    }
}

/// Resource (`managed`) or data source (`data`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Managed,
    Data,
}

/// One instance of a resource or data source, with its evaluated body.
#[derive(Debug, Clone)]
pub struct ResourceInstance {
    pub mode: Mode,
    pub rtype: String,
    pub name: String,
    /// Module address prefix: "" for the root module, `module.a.module.b` for nested calls.
    pub module: String,
    /// Address without instance key: `module.a.aws_kms_key.k`, `data.aws_iam_policy_document.p`.
    pub address: String,
    /// Instance key as written in an address: `0`, `"a"`; None for single instances.
    pub key: Option<String>,
    /// The evaluated body: an object; nested blocks are lists of objects under their type name.
    pub body: Value,
    /// The block header (type and labels).
    pub loc: Location,
    /// The whole block.
    pub block_loc: Location,
    /// Module call sites from the root to this resource's module.
    pub call_chain: Vec<Hop>,
    /// Set when the instance's existence depends on an unknown `count`/`for_each`.
    pub existence_unknown: Option<Arc<crate::value::Unknown>>,
    /// The `provider` meta-argument as written (`aws.west`), if any.
    pub provider: Option<String>,
}

impl ResourceInstance {
    /// Full address with instance key: `module.a.aws_kms_key.k["x"]`.
    pub fn full_address(&self) -> String {
        match &self.key {
            Some(k) => format!("{}[{}]", self.address, k),
            None => self.address.clone(),
        }
    }
    /// Attribute of the body.
    pub fn attr(&self, name: &str) -> Option<&Value> {
        self.body.get(name)
    }
    /// Locations of the module calls this instance sits in (for suppressions on `module` blocks).
    pub fn call_locs(&self) -> Vec<Location> {
        self.call_chain.iter().map(|h| h.loc).collect()
    }
}

/// How a string value's characters map back to source text (heredocs, `file()`, templates), so
/// JSON parsed from it can point into the file where it was written.
#[derive(Debug, Clone, Default)]
pub struct TextMap {
    /// Segments of the string (in placeholder form, see [`placeholder_text`]).
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone)]
pub struct Segment {
    /// Byte range in the string.
    pub start: usize,
    pub end: usize,
    /// Where it was written.
    pub loc: Location,
    /// True when the string's bytes are the source's bytes one to one from `loc.start`.
    pub linear: bool,
}

impl TextMap {
    /// Maps a range of the string to a source location.
    pub fn map(&self, r: std::ops::Range<usize>) -> Option<Location> {
        let seg = self
            .segments
            .iter()
            .find(|s| s.start <= r.start && r.start < s.end.max(s.start + 1))?;
        if seg.linear {
            let start = seg.loc.start as usize + (r.start - seg.start);
            let end = seg.loc.start as usize + (r.end.min(seg.end) - seg.start);
            Some(Location::new(seg.loc.file, start..end.max(start)))
        } else {
            Some(seg.loc)
        }
    }
}

pub use crate::json::placeholder_text;

/// Why a string could not be decoded as JSON.
#[derive(Debug, Clone)]
pub struct DecodeError {
    pub message: String,
    pub loc: Option<Location>,
}

/// The result of evaluating one unit.
#[derive(Debug, Default)]
pub struct Unit {
    /// Root module directory (display form).
    pub root: String,
    pub resources: Vec<ResourceInstance>,
    /// Terraform files evaluated in this unit (root and called modules).
    pub files: Vec<Arc<ParsedHcl>>,
    /// Module call blocks: address and block location.
    pub module_calls: Vec<(String, Location)>,
    /// Structured values behind JSON strings made by `jsonencode` or policy documents, keyed by
    /// the string's placeholder text, so findings point at the HCL that wrote each element.
    pub json_docs: HashMap<String, Value>,
    /// Source maps of strings from heredocs, `file()` and `templatefile()`.
    pub text_maps: HashMap<String, TextMap>,
    /// Findings of evaluation itself (EVAL001 for cycles and limits).
    pub diags: Vec<Finding>,
    /// `region` of the root module's `provider "aws"` blocks, by alias (None = the default
    /// provider). Child modules inherit the default provider.
    pub aws_regions: Vec<(Option<String>, Value)>,
}

impl Unit {
    /// Decodes a JSON string value (a policy) into a value whose elements point at where they were
    /// written: the HCL of a `jsonencode` or policy document, the JSON inside a heredoc or file.
    /// A value that is already an object (rare) is returned as is.
    pub fn decode_json(&self, v: &Value) -> Result<Value, DecodeError> {
        if matches!(v.kind, crate::value::Kind::Object(_)) {
            return Ok(v.clone());
        }
        let Some((text, unknowns)) = placeholder_text(v) else {
            return Err(DecodeError {
                message: format!("expected a JSON string, found {}", v.type_name()),
                loc: v.loc(),
            });
        };
        if let Some(doc) = self.json_docs.get(&text) {
            return Ok(doc.clone());
        }
        let map = self.text_maps.get(&text);
        let fallback = v.origin.clone();
        let origin = |r: std::ops::Range<usize>| match map.and_then(|m| m.map(r)) {
            Some(loc) => crate::value::Origin::at(loc),
            None => fallback.clone(),
        };
        crate::json::parse(&text, &origin, &unknowns).map_err(|e| DecodeError {
            message: e.message.clone(),
            loc: map
                .and_then(|m| m.map(e.offset..e.offset + 1))
                .or_else(|| v.loc()),
        })
    }

    /// The region an AWS resource is created in: its provider's `region` (the default provider
    /// unless `provider = aws.ALIAS`). None when no provider block says.
    pub fn aws_region_of(&self, r: &ResourceInstance) -> Option<&Value> {
        let alias = r
            .provider
            .as_deref()
            .and_then(|p| p.strip_prefix("aws."))
            .map(str::to_string);
        self.aws_regions
            .iter()
            .find(|(a, _)| *a == alias)
            .map(|(_, v)| v)
    }

    /// Resource instances of a type.
    pub fn of_type<'a>(&'a self, rtype: &'a str) -> impl Iterator<Item = &'a ResourceInstance> {
        self.resources
            .iter()
            .filter(move |r| r.rtype == rtype && r.mode == Mode::Managed)
    }

    /// Data source instances of a type.
    pub fn data_of_type<'a>(
        &'a self,
        rtype: &'a str,
    ) -> impl Iterator<Item = &'a ResourceInstance> {
        self.resources
            .iter()
            .filter(move |r| r.rtype == rtype && r.mode == Mode::Data)
    }

    /// The instances a reference points at.
    pub fn resolve(
        &self,
        r: &crate::value::ResourceRef,
    ) -> impl Iterator<Item = &ResourceInstance> + '_ {
        let address = r.address.clone();
        let key = r.key.clone();
        self.resources
            .iter()
            .filter(move |i| i.address == address && (key.is_none() || i.key == key))
    }
}

/// Source locations as strings for tests and messages.
pub fn describe_loc(sources: &SourceMap, loc: Location) -> String {
    let f = sources.get(loc.file);
    let lc = f.line_col(loc.start);
    format!("{}:{}:{}", f.display, lc.line, lc.col)
}
