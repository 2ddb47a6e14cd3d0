//! Evaluation: what every Terraform expression means.
//!
//! A *unit* is a root module (a directory of `.tf`/`.tf.json` files that no other scanned module
//! calls) with
//! the tree of local modules it calls. [`evaluate_unit`] evaluates it the way Terraform would plan
//! it: variables from defaults, tfvars, `--var-file`, `--var` and `TF_VAR_*`; locals in dependency
//! order (cycles become unknowns); `count`/`for_each` instances; `dynamic` blocks; local module
//! calls with their inputs and outputs; functions; `aws_iam_policy_document` rendering. What cannot
//! be known becomes an unknown [`Value`] that says why.

pub mod expr;
pub mod funcs;
pub(crate) mod graph;
mod known;
pub mod manifest;
pub mod module;
pub mod policydoc;
mod resources;

use crate::finding::Finding;
use crate::hash::{HashMap, HashSet};
use crate::parse::ParsedHcl;
use crate::source::{FileId, Location, SourceMap};
use crate::value::{Hop, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use module::{evaluate_unit, GIVEN_BY};
pub use resources::Resources;

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
    /// The plan of the root being evaluated (`--plan`): what Terraform knew when it planned —
    /// root variable values and attributes of resources and data sources.
    pub plan: Option<Arc<crate::plan::Plan>>,
    /// Root variables bound to one of their possible values for this evaluation, and
    /// conditionals with an unknown condition bound to one branch (see [`Unit::finite_inputs`]):
    /// the engine evaluates a root once per combination to decide what every possible value
    /// decides.
    pub world: Vec<(String, Value)>,
    /// `TF_DATA_DIR`: where `terraform init` put the modules manifest and the registry and git
    /// modules it installed (relative to each root module directory); None: `.terraform`.
    pub tf_data_dir: Option<PathBuf>,
    /// Resource and data source types to evaluate whether or not anything refers to them; the
    /// rest are evaluated only when a value needs them. None: every type.
    pub types: Option<Arc<TypeFilter>>,
}

/// The resource types some rule looks at (see [`EvalOptions::types`]).
#[derive(Debug, Clone, Default)]
pub struct TypeFilter {
    /// Type name prefixes (`databricks_`).
    pub prefixes: Vec<String>,
    /// Whole type names.
    pub names: HashSet<String>,
}

impl TypeFilter {
    pub fn wants(&self, rtype: &str) -> bool {
        self.names.contains(rtype) || self.prefixes.iter().any(|p| rtype.starts_with(p.as_str()))
    }
}

/// Everything evaluation needs from the rest of the run: sources, the Terraform files of each
/// directory, where reading is allowed.
///
/// Files are parsed when a unit first needs them, once, and their trees are dropped when the
/// last unit that needs their directory is done (see [`Loader::set_users`]), so memory follows
/// the units in flight, not the corpus. The first parse of each file records what outlives the
/// tree: its SYN001 finding, its suppression comments and its local module sources.
#[derive(Debug)]
pub struct Loader {
    pub sources: Arc<SourceMap>,
    /// `file()`, `templatefile()` and module sources are read only below these directories.
    pub roots: Vec<PathBuf>,
    /// Working directory, for display paths.
    pub cwd: PathBuf,
    state: Mutex<FileState>,
    /// `canonicalize` results: module sources resolve the same paths again and again.
    canon: crate::paths::Canonical,
    /// Directories of modules `terraform init` installed (see [`Loader::vendor`]).
    vendored: std::sync::RwLock<Vec<PathBuf>>,
}

/// What the loader knows of the Terraform files.
#[derive(Debug, Default)]
struct FileState {
    /// Files read by the pipeline and not necessarily parsed yet (their paths are the source
    /// map's: [`SourceMap::lookup`], [`SourceMap::path_of`]).
    registered: HashSet<FileId>,
    /// Trees currently held.
    parsed: HashMap<FileId, crate::parse::Parsed>,
    /// Terraform files (`.tf`, `.tf.json`, `.tfvars`) per (canonical) directory.
    dir_files: HashMap<PathBuf, Vec<FileId>>,
    /// Files parsed at least once: their results below are recorded.
    seen: HashSet<FileId>,
    /// Files some finding points into (or with SYN001 or suppressions): their texts are kept.
    keep: HashSet<FileId>,
    /// Units that still need each directory. A directory whose count reaches zero has its trees
    /// dropped; directories without a count are kept.
    users: HashMap<PathBuf, usize>,
    syntax: Vec<Finding>,
    suppressions: Vec<crate::suppress::Suppression>,
    /// Local module sources (`./x`, `../x`) of each parsed `.tf` and `.tf.json` file, by
    /// directory (hashed as files are parsed).
    module_sources: HashMap<PathBuf, Vec<String>>,
}

impl FileState {
    /// The files of `dirs` whose trees go when no unit needs them any more: their trees, and
    /// the texts of those parsed (a text not yet parsed is still needed for its SYN001 and
    /// suppressions) that no finding points into.
    fn drop_dir(
        &mut self,
        dir: &Path,
        trees: &mut Vec<crate::parse::Parsed>,
        texts: &mut Vec<FileId>,
    ) {
        let Some(files) = self.dir_files.get(dir) else {
            return;
        };
        for id in files {
            if let Some(p) = self.parsed.remove(id) {
                trees.push(p);
            }
            if self.seen.contains(id) && !self.keep.contains(id) {
                texts.push(*id);
            }
        }
    }
}

/// What the first parse of every file left behind (see [`Loader::take_results`]).
#[derive(Debug, Default)]
pub struct ParseResults {
    pub syntax: Vec<Finding>,
    pub suppressions: Vec<crate::suppress::Suppression>,
    /// Directories with at least one `.tf` or `.tf.json` file that parsed, with the local module
    /// sources of their `module` blocks, in no order (`engine::load::normalize_sources` puts
    /// them in the plan's).
    pub module_sources: Vec<(PathBuf, Vec<String>)>,
}

/// A `.tf.json` file: Terraform's JSON syntax.
pub fn is_tf_json(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".tf.json"))
}

/// A file of a module's configuration: `.tf` or `.tf.json`.
pub fn is_terraform_file(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()) == Some("tf") || is_tf_json(path)
}

/// The local module sources (`./x`, `../x`, as written) of a file's top-level `module` blocks.
pub fn local_module_sources(tree: &crate::tree::Tree) -> Vec<String> {
    tree.blocks_where(|ident, _| ident == "module")
        .filter_map(|(_, b)| {
            b.body
                .get_attribute("source")?
                .value
                .as_str()
                .map(str::to_string)
        })
        .filter(|s| s.starts_with("./") || s.starts_with("../"))
        .collect()
}

impl Loader {
    pub fn new(sources: Arc<SourceMap>, roots: Vec<PathBuf>, cwd: PathBuf) -> Self {
        Loader {
            sources,
            roots,
            cwd,
            state: Mutex::new(FileState::default()),
            canon: crate::paths::Canonical::default(),
            vendored: std::sync::RwLock::new(Vec::new()),
        }
    }

    /// `dir` (canonical) holds a module `terraform init` installed: it may be read although it
    /// is not below the roots (`TF_DATA_DIR` elsewhere), its files are never units of their own
    /// (their module calls do not count in the plan) and suppression comments in them are not
    /// read (they are not the repository's to make). Call before its files are parsed.
    pub fn vendor(&self, dir: &Path) {
        let mut v = self.vendored.write().unwrap_or_else(|e| e.into_inner());
        if !v.iter().any(|d| dir.starts_with(d)) {
            v.push(dir.to_path_buf());
        }
    }

    /// True when `path` (canonical) is inside a directory [`Loader::vendor`] named.
    pub fn is_vendored(&self, path: &Path) -> bool {
        self.vendored
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|d| path.starts_with(d))
    }

    /// `std::fs::canonicalize`, remembered for the run (see [`crate::paths::Canonical`]).
    pub fn canonical(&self, path: &Path) -> Option<PathBuf> {
        self.canon.get(path)
    }

    /// Directories known to be canonical (see [`crate::paths::Canonical::know`]).
    pub fn know_canonical<'a>(&self, dirs: impl IntoIterator<Item = &'a Path>) {
        self.canon.know(dirs);
    }

    fn state(&self) -> std::sync::MutexGuard<'_, FileState> {
        // A panic elsewhere never leaves the state half-written; keep going with it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a Terraform file read by the pipeline; it is parsed when first needed.
    pub fn register(&self, path: &Path, id: FileId) {
        self.register_all(std::iter::once((path, id)));
    }

    /// [`Loader::register`] for many files at once, with room made for them first; a file
    /// registered again is recorded once (a path has one id in the source map). A directory's
    /// files are added to it together (`paths::parent_runs`).
    pub fn register_all<P: AsRef<Path>>(&self, files: impl ExactSizeIterator<Item = (P, FileId)>) {
        let mut st = self.state();
        let st = &mut *st;
        st.registered.reserve(files.len());
        st.seen.reserve(files.len());
        for (dir, run) in crate::paths::parent_runs(files) {
            let added: Vec<FileId> = run
                .into_iter()
                .filter(|(_, id)| st.registered.insert(*id))
                .map(|(_, id)| id)
                .collect();
            if let Some(dir) = dir {
                if !added.is_empty() {
                    st.dir_files.entry(dir).or_default().extend(added);
                }
            }
        }
    }

    /// How many units need each directory; see [`Loader::release`].
    pub fn set_users(&self, users: HashMap<PathBuf, usize>) {
        self.state().users = users;
    }

    /// Keeps the texts of these files for the rest of the run (findings point into them).
    pub fn keep(&self, files: impl IntoIterator<Item = FileId>) {
        self.state().keep.extend(files);
    }

    /// A unit that needed `dirs` is done: directories no other unit needs drop their trees, and
    /// their files' texts unless a finding points into them (see [`SourceMap::release_text`]).
    pub fn release(&self, dirs: &[PathBuf]) {
        let mut dropped = Vec::new();
        let mut texts = Vec::new();
        {
            let mut st = self.state();
            for d in dirs {
                let Some(n) = st.users.get_mut(d) else {
                    continue;
                };
                *n = n.saturating_sub(1);
                if *n == 0 {
                    st.drop_dir(d, &mut dropped, &mut texts);
                }
            }
        }
        for id in texts {
            self.sources.release_text(id);
        }
        // Trees are freed here, outside the lock.
        drop(dropped);
    }

    /// A unit that evaluated the installed modules in `packages` (see [`Loader::vendor`]) is
    /// done: their trees are dropped, and their texts unless a finding points into them. Another
    /// unit that needs them again (a shared `TF_DATA_DIR`) parses them again.
    pub fn release_vendored(&self, packages: &[PathBuf]) {
        if packages.is_empty() {
            return;
        }
        let mut dropped = Vec::new();
        let mut texts = Vec::new();
        {
            let mut st = self.state();
            let dirs: Vec<PathBuf> = st
                .dir_files
                .keys()
                .filter(|d| packages.iter().any(|p| d.starts_with(p)))
                .cloned()
                .collect();
            for d in dirs {
                st.drop_dir(&d, &mut dropped, &mut texts);
            }
        }
        for id in texts {
            self.sources.release_text(id);
        }
        drop(dropped);
    }

    /// Records what outlives a file's tree, the first time the file is parsed.
    fn record(&self, path: &Path, id: FileId, parsed: &crate::parse::Parsed) {
        let vendored = self.is_vendored(path);
        let sups = match parsed {
            crate::parse::Parsed::Hcl(_) if vendored => Vec::new(),
            // JSON has no comments.
            crate::parse::Parsed::Hcl(h) if !h.json => {
                crate::suppress::scan_hcl(&self.sources.get(h.file), &h.tree)
            }
            _ => Vec::new(),
        };
        let mut st = self.state();
        if !st.seen.insert(id) {
            return;
        }
        match parsed {
            crate::parse::Parsed::Failed(f) => {
                st.keep.insert(f.loc.file);
                st.syntax.push((**f).clone());
            }
            crate::parse::Parsed::Hcl(h) => {
                if !sups.is_empty() {
                    st.keep.insert(h.file);
                }
                st.suppressions.extend(sups);
                if !vendored && is_terraform_file(path) {
                    if let Some(dir) = path.parent() {
                        let srcs = local_module_sources(&h.tree);
                        st.module_sources
                            .entry(dir.to_path_buf())
                            .or_default()
                            .extend(srcs);
                    }
                }
            }
            crate::parse::Parsed::Json(_) => {}
        }
    }

    /// A parsed file by path (a `.tf` of a module, a `.tfvars` of a unit): held, or parsed now
    /// from the text the pipeline read.
    pub fn parsed(&self, path: &Path) -> Option<crate::parse::Parsed> {
        let id = self.sources.lookup(path)?;
        if !self.state().registered.contains(&id) {
            return None;
        }
        Some(self.parsed_id(path, id))
    }

    /// [`Loader::parsed`] of a registered file whose id is known.
    fn parsed_id(&self, path: &Path, id: FileId) -> crate::parse::Parsed {
        if let Some(p) = self.state().parsed.get(&id) {
            return p.clone();
        }
        // Parsed outside the lock, so units parse in parallel. Two units may race to parse a
        // shared module; the first result is kept and recorded.
        let parsed = self.parse_file(path, id);
        self.record(path, id, &parsed);
        let mut st = self.state();
        st.parsed.entry(id).or_insert(parsed).clone()
    }

    /// Parses, in parallel, the registered files of `dirs` that no unit has parsed yet, and holds
    /// their trees (as [`Loader::parsed`] would when the evaluator first asks for them). A unit
    /// calls it before it is evaluated, so the files of one large unit are parsed by every thread
    /// instead of one after the other on the unit's own (rayon runs these parses on the threads
    /// that would otherwise wait for the last units).
    pub fn preparse(&self, dirs: &[PathBuf]) {
        use rayon::prelude::*;
        let todo: Vec<FileId> = {
            let st = self.state();
            dirs.iter()
                .filter_map(|d| st.dir_files.get(d))
                .flatten()
                .filter(|id| !st.parsed.contains_key(id))
                .copied()
                .collect()
        };
        if todo.len() < 2 {
            return;
        }
        todo.into_par_iter().for_each(|id| {
            self.parsed_id(&self.sources.path_of(id), id);
        });
    }

    /// Parses a registered file.
    fn parse_file(&self, path: &Path, id: FileId) -> crate::parse::Parsed {
        if is_tf_json(path) {
            return crate::tfjson::parse(&self.sources, id);
        }
        crate::parse::parse_hcl(&self.sources, id)
    }

    /// Parses every registered file no unit needed (for SYN001, suppressions and the call
    /// graph), in parallel, dropping each tree at once.
    pub fn parse_remaining(&self) {
        use rayon::prelude::*;
        let todo: Vec<FileId> = {
            let st = self.state();
            let mut v: Vec<FileId> = st
                .registered
                .iter()
                .filter(|id| !st.seen.contains(*id))
                .copied()
                .collect();
            v.sort();
            v
        };
        todo.par_iter().for_each(|id| {
            let p = self.sources.path_of(*id);
            let parsed = self.parse_file(&p, *id);
            self.record(&p, *id, &parsed);
        });
    }

    /// What the parses recorded (call once, after every unit and [`Loader::parse_remaining`]).
    pub fn take_results(&self) -> ParseResults {
        let mut st = self.state();
        // Units finish in any order; results do not depend on it.
        st.syntax.sort_by_key(|f| (f.loc.file, f.loc.start));
        st.suppressions.sort_by_key(|s| (s.loc.file, s.loc.start));
        ParseResults {
            syntax: std::mem::take(&mut st.syntax),
            suppressions: std::mem::take(&mut st.suppressions),
            module_sources: std::mem::take(&mut st.module_sources).into_iter().collect(),
        }
    }

    /// True when `path` (canonical) is inside one of the roots, or in an installed module.
    pub fn allowed(&self, path: &Path) -> bool {
        self.roots.iter().any(|r| path.starts_with(r)) || self.is_vendored(path)
    }

    /// Reads and registers a text file inside the roots; the error says why it was not read.
    pub fn read_text(&self, path: &Path) -> Result<(FileId, Arc<str>), String> {
        let canon = match self.canonical(path) {
            Some(c) => c,
            None => {
                let e = std::fs::canonicalize(path).err();
                return Err(match e {
                    Some(e) => format!("`{}` cannot be read: {e}", path.display()),
                    None => format!("`{}` cannot be read", path.display()),
                });
            }
        };
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
        let bytes = crate::source::read_bytes(&canon)
            .map_err(|e| format!("`{}` cannot be read: {e}", path.display()))?;
        let text = crate::parse::decode_owned(bytes)
            .map_err(|(_, m, _)| format!("`{}`: {m}", path.display()))?;
        let display = crate::source::display_path(&canon, &self.cwd);
        let text: Arc<str> = text.into();
        let id = self.sources.add(canon, display, text.clone());
        Ok((id, text))
    }

    /// The parsed Terraform files of a directory (canonical path): those found by discovery, or
    /// read now when the directory is a module source outside the discovered set.
    pub fn module_files(&self, dir: &Path) -> Result<Vec<Arc<ParsedHcl>>, String> {
        let known = self.state().dir_files.get(dir).cloned();
        let ids = match known {
            Some(p) => p,
            None => {
                if !self.allowed(dir) {
                    return Err(format!(
                        "module directory `{}` is outside the scanned tree",
                        crate::source::display_path(dir, &self.cwd)
                    ));
                }
                let mut found: Vec<PathBuf> = Vec::new();
                let rd = std::fs::read_dir(dir).map_err(|e| {
                    format!(
                        "module directory `{}` cannot be read: {e}",
                        crate::source::display_path(dir, &self.cwd)
                    )
                })?;
                for entry in rd.flatten() {
                    let p = entry.path();
                    if is_terraform_file(&p) && p.is_file() {
                        found.push(p);
                    }
                }
                found.sort();
                for p in &found {
                    if let Some(text) = crate::source::read_bytes(p)
                        .ok()
                        .and_then(|b| crate::parse::decode_owned(b).ok())
                    {
                        let display = crate::source::display_path(p, &self.cwd);
                        let id = self.sources.add(p.clone(), display, text.into());
                        self.register(p, id);
                    }
                }
                // Registered even when empty, so the directory is read once.
                self.state()
                    .dir_files
                    .entry(dir.to_path_buf())
                    .or_default()
                    .clone()
            }
        };
        let mut paths: Vec<(PathBuf, FileId)> = ids
            .into_iter()
            .map(|id| (self.sources.path_of(id), id))
            .collect();
        paths.sort();
        let mut out = Vec::new();
        for (p, id) in paths {
            if !is_terraform_file(&p) {
                continue;
            }
            if let crate::parse::Parsed::Hcl(h) = self.parsed_id(&p, id) {
                out.push(h);
            }
        }
        Ok(out)
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
    /// Its address, type, name and module ([`ResourceInstance::address`] and the others).
    pub names: ResourceNames,
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

/// A resource's address without instance key, with where its type and name start in it: one
/// allocation for what would be four strings (a module of 400,000 resources holds one per
/// instance).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceNames {
    address: Box<str>,
    /// The length of the module prefix (`module.a.module.b`; 0 in the root module).
    module_len: u32,
    /// Where the type starts (after the module prefix, its dot and `data.` for a data source).
    type_at: u32,
    /// Where the name starts.
    name_at: u32,
}

impl ResourceNames {
    /// `module` is "" for the root module.
    pub fn new(mode: Mode, module: &str, rtype: &str, name: &str) -> Self {
        let mut address = String::with_capacity(module.len() + rtype.len() + name.len() + 7);
        if !module.is_empty() {
            address.push_str(module);
            address.push('.');
        }
        if mode == Mode::Data {
            address.push_str("data.");
        }
        let type_at = address.len();
        address.push_str(rtype);
        address.push('.');
        let name_at = address.len();
        address.push_str(name);
        // Addresses are far shorter than 4 GiB: the text they come from is.
        let at = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        ResourceNames {
            address: address.into_boxed_str(),
            module_len: at(module.len()),
            type_at: at(type_at),
            name_at: at(name_at),
        }
    }
}

impl ResourceInstance {
    /// Address without instance key: `module.a.aws_kms_key.k`, `data.aws_iam_policy_document.p`.
    pub fn address(&self) -> &str {
        &self.names.address
    }
    pub fn rtype(&self) -> &str {
        &self.names.address[self.names.type_at as usize..self.names.name_at as usize - 1]
    }
    pub fn name(&self) -> &str {
        &self.names.address[self.names.name_at as usize..]
    }
    /// Module address prefix: "" for the root module, `module.a.module.b` for nested calls.
    pub fn module(&self) -> &str {
        &self.names.address[..self.names.module_len as usize]
    }
    /// Full address with instance key: `module.a.aws_kms_key.k["x"]`.
    pub fn full_address(&self) -> String {
        match &self.key {
            Some(k) => format!("{}[{}]", self.address(), k),
            None => self.address().to_string(),
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

/// A registry or git module call that is not evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteCall {
    /// `module.a`, `module.a.module.b`
    pub addr: String,
    pub source: String,
    /// The `module` block's header.
    pub loc: Location,
    /// Why it is not evaluated (no `terraform init`, a stale or malformed manifest).
    pub why: String,
}

/// A registry or git module evaluated from the directory `terraform init` installed it in.
/// Nothing inside it is ever a finding's location: findings there are reported at `call`.
#[derive(Debug, Clone, PartialEq)]
pub struct Vendored {
    /// The package directory (canonical): the module's directory, or the directory above it when
    /// the source names a subdirectory (`ns/name/provider//modules/x`).
    pub package: PathBuf,
    /// The package's source as `terraform init` recorded it, without the subdirectory.
    pub source: String,
    pub version: Option<String>,
    /// The header of the `module` block in the repository through which it is reached: the call
    /// itself, or for a module called by an installed module, the repository call above it.
    pub call: Location,
}

impl Vendored {
    /// `SOURCE@VERSION//path/in/package.tf:LINE` for a location inside the package.
    pub fn describe(&self, sources: &SourceMap, loc: Location) -> String {
        let f = sources.get(loc.file);
        let rel = f
            .path
            .strip_prefix(&self.package)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| f.display.clone());
        let line = f.line_col(loc.start).line;
        match &self.version {
            Some(v) => format!("{}@{v}//{rel}:{line}", self.source),
            None => format!("{}//{rel}:{line}", self.source),
        }
    }
}

/// The result of evaluating one unit.
#[derive(Debug, Default)]
pub struct Unit {
    /// Root module directory (display form).
    pub root: String,
    pub resources: Resources,
    /// Terraform files evaluated in this unit (root and called modules).
    pub files: Vec<Arc<ParsedHcl>>,
    /// Module call blocks: address and block location.
    pub module_calls: Vec<(String, Location)>,
    /// Module calls not evaluated (registry and git sources that `terraform init` has not
    /// installed).
    pub remote_calls: Vec<RemoteCall>,
    /// Registry and git modules evaluated from where `terraform init` installed them.
    pub vendored: Vec<Vendored>,
    /// Structured values behind JSON strings made by `jsonencode` or policy documents, keyed by
    /// the string's placeholder text, so findings point at the HCL that wrote each element. One
    /// text may be written in several places (two keys with the same `jsonencode` policy): each
    /// entry keeps the location of the string it made, and [`Unit::decode_json`] picks the one
    /// written where the string came from.
    pub json_docs: HashMap<String, Vec<(Option<Location>, Value)>>,
    /// Source maps of strings from heredocs, `file()` and `templatefile()`.
    pub text_maps: HashMap<String, TextMap>,
    /// Findings of evaluation itself (EVAL001 for cycles and limits).
    pub diags: Vec<Finding>,
    /// `region` of the root module's `provider "aws"` blocks, by alias (None = the default
    /// provider). Child modules inherit the default provider.
    pub aws_regions: Vec<(Option<String>, Value)>,
    /// The root module's `provider "databricks"` blocks (what they say about their cloud).
    /// Child modules inherit the default provider.
    pub databricks_providers: Vec<DatabricksProvider>,
    /// Root variables that have no value but a finite set of possible ones (`type = bool`, or a
    /// `validation` whose condition is `contains([...], var.NAME)` over literals), read during
    /// the evaluation; and conditional expressions whose condition is unknown, which can take
    /// either branch (named by [`choice_key`], domain `[true, false]`).
    pub finite_inputs: Vec<(String, Vec<Value>)>,
    /// The cloud providers (`aws`, `azurerm`, `google`) each module instance (by address, "" for
    /// the root) configures or requires, sorted.
    pub module_providers: HashMap<String, Vec<String>>,
}

/// The name under which a conditional expression whose condition (written at `cond`, as `text`)
/// is unknown appears among [`Unit::finite_inputs`] and in [`EvalOptions::world`]: `?`, the
/// locations of the condition and of the two branches, a unit separator and the condition's
/// text for messages.
pub fn choice_key(cond: Location, branches: [Location; 2], text: &str) -> String {
    let [t, f] = branches;
    format!(
        "?{}:{}:{}:{}:{}:{}\u{1f}{}",
        cond.file.0, cond.start, t.start, t.end, f.start, f.end, text
    )
}

/// The condition's text of a [`choice_key`], or None for a variable's name.
pub fn choice_text(key: &str) -> Option<&str> {
    key.strip_prefix('?')?.split_once('\u{1f}').map(|(_, t)| t)
}

/// Where the two branches of the conditional of a [`choice_key`] are written.
pub fn choice_branches(key: &str) -> Option<[Location; 2]> {
    let (head, _) = key.strip_prefix('?')?.split_once('\u{1f}')?;
    let n: Vec<u32> = head.split(':').filter_map(|x| x.parse().ok()).collect();
    match n[..] {
        [file, _, ts, te, fs, fe] => {
            let at = |start, end| Location {
                file: FileId(file),
                start,
                end,
            };
            Some([at(ts, te), at(fs, fe)])
        }
        _ => None,
    }
}

/// A `provider "databricks"` block of the root module, as far as the cloud of the resources it
/// manages is concerned.
#[derive(Debug, Clone)]
pub struct DatabricksProvider {
    /// `alias`, None for the default provider.
    pub alias: Option<String>,
    /// `host`, evaluated.
    pub host: Option<Value>,
    /// Names of the arguments the block sets (`azure_workspace_resource_id`, `google_service_account`...).
    pub arguments: Vec<String>,
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
        if let Some(docs) = self.json_docs.get(&text) {
            let at = v.loc();
            let doc = docs
                .iter()
                .find(|(loc, _)| at.is_some() && *loc == at)
                .or_else(|| docs.first());
            if let Some((_, doc)) = doc {
                return Ok(doc.clone());
            }
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
    /// Records the structured value behind a JSON string made at `loc` (see [`Unit::json_docs`]).
    pub fn add_json_doc(&mut self, text: String, loc: Option<Location>, doc: Value) {
        let docs = self.json_docs.entry(text).or_default();
        if !docs.iter().any(|(l, _)| *l == loc) {
            docs.push((loc, doc));
        }
    }

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

    /// The `provider "databricks"` block a resource uses (the default one unless
    /// `provider = databricks.ALIAS`). None when the root module has no such block.
    pub fn databricks_provider_of(&self, r: &ResourceInstance) -> Option<&DatabricksProvider> {
        let alias = match r.provider.as_deref() {
            None | Some("databricks") => None,
            Some(p) => Some(p.strip_prefix("databricks.")?.to_string()),
        };
        self.databricks_providers.iter().find(|p| p.alias == alias)
    }

    /// Resource instances of a type.
    pub fn of_type<'a>(&'a self, rtype: &'a str) -> impl Iterator<Item = &'a ResourceInstance> {
        self.resources
            .iter()
            .filter(move |r| r.rtype() == rtype && r.mode == Mode::Managed)
    }

    /// Data source instances of a type.
    pub fn data_of_type<'a>(
        &'a self,
        rtype: &'a str,
    ) -> impl Iterator<Item = &'a ResourceInstance> {
        self.resources
            .iter()
            .filter(move |r| r.rtype() == rtype && r.mode == Mode::Data)
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
            .filter(move |i| i.address() == address && (key.is_none() || i.key == key))
    }
}

/// Source locations as strings for tests and messages.
pub fn describe_loc(sources: &SourceMap, loc: Location) -> String {
    let f = sources.get(loc.file);
    let lc = f.line_col(loc.start);
    format!("{}:{}:{}", f.display, lc.line, lc.col)
}
