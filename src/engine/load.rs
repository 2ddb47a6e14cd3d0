//! Reading every discovered file once, in parallel, and planning the units (root modules) to
//! evaluate. `.tf` and `.tf.json` files are the Terraform files of their directory.
//!
//! Terraform files are only read here; each is parsed when the first unit that needs it is
//! evaluated, and its tree is dropped when the last such unit is done (see [`crate::eval::Loader`]).
//! Which directories are units, and which units need which directories, is planned from a scan of
//! the text for `module` blocks ([`scan_module_sources`]); once everything is parsed the engine
//! checks the plan against the parsed files ([`unit_plan`] over the recorded module sources) and
//! evaluates whatever the scan missed, so the scan decides only how soon memory is freed, never
//! what is reported.

use crate::discover::{FileKind, Found};
use crate::eval::Loader;
use crate::finding::Finding;
use crate::hash::HashMap;
use crate::parse;
use crate::source::{FileId, SourceMap};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest file policy-lint reads (bigger files are SYN001).
pub const MAX_INPUT: u64 = 64 * 1024 * 1024;

/// Terraform texts up to this many bytes in all are kept as they are from the first read to the
/// parse; beyond it, a text is kept compressed (see [`KEEP_PACKED`]), so that memory follows the
/// units in flight, not the corpus.
pub const KEEP_TEXTS: u64 = 4 * 1024 * 1024;

/// Compressed texts ([`crate::source::pack`]) up to this many bytes in all are kept, each until
/// the last unit that needs its file is done, so each file is read once (about four times as much
/// text as this); beyond it, a text is let go after the scan and read again by the unit that
/// parses it.
pub const KEEP_PACKED: u64 = 32 * 1024 * 1024;

/// Everything read from disk, and the plan.
pub struct Loaded {
    pub sources: Arc<SourceMap>,
    pub loader: Loader,
    /// The plan: root module directories to evaluate (canonical), sorted.
    pub units: Vec<PathBuf>,
    /// The directories each planned unit needs (itself and the local modules it calls).
    pub reach: HashMap<PathBuf, Vec<PathBuf>>,
    /// What the plan was made from: the local module sources the text scan found, by directory
    /// ([`normalize_sources`]). When the parse finds the same, the plan stands as it is.
    pub scanned: Vec<(PathBuf, Vec<String>)>,
    /// JSON files to parse: policy documents (`.json` naming `"Statement"`, or named as key
    /// policies by the configuration) and `.tfvars.json` (their syntax; their values are read by
    /// the units that use them). `.tf.json` files are Terraform files of their directory, like
    /// `.tf` files.
    pub json: Vec<(FileId, FileKind)>,
    /// SYN001 findings of reading (binary, too large).
    pub syntax: Vec<Finding>,
}

/// True when a JSON text is worth treating as a policy document.
fn mentions_statement(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), b"\"Statement\"").is_some()
}

enum Read {
    Text(FileId),
    Failed(Box<Finding>),
    Skip,
}

/// The bytes of text kept so far: as they are ([`KEEP_TEXTS`]) and compressed ([`KEEP_PACKED`]).
#[derive(Default)]
struct TextBudget {
    raw: std::sync::atomic::AtomicU64,
    packed: std::sync::atomic::AtomicU64,
}

/// Reads one file: registers it and, for Terraform files, scans it for the local module calls
/// of the plan. A Terraform text is kept as it is while such texts add up to at most
/// [`KEEP_TEXTS`], then compressed while those add up to at most [`KEEP_PACKED`]; past both, the
/// file is registered without its text, which the unit that parses it reads again. Texts are
/// read into a buffer of the thread, so one that is not kept as it is costs no allocation of its
/// size.
fn read_one(
    sources: &SourceMap,
    f: &Found,
    cwd: &Path,
    named: &NamedFn<'_>,
    budget: &TextBudget,
) -> (Read, Vec<String>) {
    use std::sync::atomic::Ordering::Relaxed;
    if matches!(f.kind, FileKind::Template | FileKind::Terragrunt) {
        return (Read::Skip, Vec::new());
    }
    let display = crate::source::display_path(&f.path, cwd);
    let meta = match std::fs::metadata(&f.path) {
        Ok(m) => m,
        Err(_) => return (Read::Skip, Vec::new()),
    };
    // A .json file is read only when it may be a policy; one the configuration names as a key
    // policy is reported (SYN001) when it cannot be read, like Terraform files.
    let named_json = f.kind == FileKind::Json && named(&f.path);
    if meta.len() > MAX_INPUT {
        if f.kind == FileKind::Json && !named_json {
            return (Read::Skip, Vec::new());
        }
        let id = sources.add(f.path.clone(), display, Arc::from(""));
        return (
            Read::Failed(Box::new(Finding::new(
                "SYN001",
                crate::source::Location::new(id, 0..0),
                format!(
                    "the file is {} MiB, larger than policy-lint's limit of {} MiB; it was not read",
                    meta.len() / 1024 / 1024,
                    MAX_INPUT / 1024 / 1024
                ),
            ))),
            Vec::new(),
        );
    }
    let mut bytes = crate::source::take_buffer();
    if crate::source::read_into(&f.path, &mut bytes, Some(meta.len())).is_err() {
        crate::source::recycle(bytes);
        return (Read::Skip, Vec::new());
    }
    let (read, calls, bytes) = match parse::decode_owned(bytes) {
        Ok(text) => {
            let (read, calls) =
                if f.kind == FileKind::Json && !named_json && !mentions_statement(&text) {
                    (Read::Skip, Vec::new())
                } else {
                    let calls = match f.kind {
                        FileKind::Tf => scan_module_sources(&text),
                        FileKind::TfJson => crate::tfjson::module_sources(&text),
                        _ => Vec::new(),
                    };
                    let terraform =
                        matches!(f.kind, FileKind::Tf | FileKind::TfJson | FileKind::Tfvars);
                    let len = text.len() as u64;
                    let keep = !terraform || budget.raw.fetch_add(len, Relaxed) + len <= KEEP_TEXTS;
                    let id = if keep {
                        sources.add(f.path.clone(), display, Arc::from(text.as_str()))
                    } else {
                        let packed = (budget.packed.load(Relaxed) < KEEP_PACKED).then(|| {
                            let p = crate::source::pack(&text);
                            budget.packed.fetch_add(p.len() as u64, Relaxed);
                            p
                        });
                        sources.add_unkept(f.path.clone(), display, &text, packed)
                    };
                    (Read::Text(id), calls)
                };
            (read, calls, text.into_bytes())
        }
        Err((off, msg, bytes)) => {
            let read = if f.kind == FileKind::Json && !named_json {
                // A binary or non-UTF-8 .json file is not a policy we were asked about.
                Read::Skip
            } else {
                let lossy = String::from_utf8_lossy(&bytes[..off.min(bytes.len())]).to_string();
                let id = sources.add(f.path.clone(), display, Arc::from(lossy));
                Read::Failed(Box::new(parse::syntax_finding(sources, id, off, msg)))
            };
            (read, Vec::new(), bytes)
        }
    };
    crate::source::recycle(bytes);
    (read, calls)
}

/// Whether a `.json` file is named as a key policy by the configuration (`[kms]
/// databricks_key_policies`): such a file is kept even if it does not name `"Statement"`.
pub type NamedFn<'a> = dyn Fn(&Path) -> bool + Sync + 'a;

/// Reads `files` and plans the units.
pub fn load(files: &[Found], cwd: &Path, roots: Vec<PathBuf>) -> Loaded {
    load_with(files, cwd, roots, &|_| false)
}

/// [`load`], keeping the `.json` files `named` says are key policies whatever their text.
pub fn load_with(files: &[Found], cwd: &Path, roots: Vec<PathBuf>, named: &NamedFn<'_>) -> Loaded {
    let sources = Arc::new(SourceMap::with_capacity(files.len()));
    // Read (and scan .tf files for module calls) in parallel; which texts are kept, and how, is
    // read_one's (a budget, so that memory does not grow with the corpus).
    let budget = TextBudget::default();
    let results: Vec<(Read, Vec<String>)> = files
        .par_iter()
        .map(|f| read_one(&sources, f, cwd, named, &budget))
        .collect();
    let loader = Loader::new(sources.clone(), roots, cwd.to_path_buf());
    let mut syntax = Vec::new();
    let mut json = Vec::new();
    let mut terraform: Vec<(&Path, FileId)> = Vec::with_capacity(files.len());
    let mut calls_of: Vec<(&Path, Vec<String>)> = Vec::with_capacity(files.len());
    for (f, (r, calls)) in files.iter().zip(results) {
        match r {
            Read::Skip => {}
            Read::Failed(fd) => syntax.push(*fd),
            Read::Text(id) => match f.kind {
                FileKind::Tf | FileKind::TfJson | FileKind::Tfvars => {
                    terraform.push((&f.path, id));
                    if matches!(f.kind, FileKind::Tf | FileKind::TfJson) {
                        calls_of.push((&f.path, calls));
                    }
                }
                FileKind::Json | FileKind::TfvarsJson => json.push((id, f.kind)),
                FileKind::Template | FileKind::Terragrunt => {}
            },
        }
    }
    // Registering the files and planning the units need nothing of each other, and both are
    // sequential but for the plan's lookups of where calls lead: the plan runs on this thread
    // while another registers (and then helps with those lookups), instead of one after the
    // other while the other threads wait.
    let (plan, ()) = rayon::join(
        || Plan::of(calls_of, &loader),
        || loader.register_all(terraform.into_iter()),
    );
    let Plan {
        scanned,
        units,
        reach,
        users,
    } = plan;
    loader.set_users(users);
    syntax.sort_by_key(|f| (f.loc.file, f.loc.start));
    Loaded {
        sources,
        loader,
        units,
        reach,
        scanned,
        json,
        syntax,
    }
}

/// What [`load_with`] plans from the scan of the Terraform files.
struct Plan {
    /// [`Loaded::scanned`].
    scanned: Vec<(PathBuf, Vec<String>)>,
    /// [`Loaded::units`].
    units: Vec<PathBuf>,
    /// [`Loaded::reach`].
    reach: HashMap<PathBuf, Vec<PathBuf>>,
    /// How many units need each directory ([`Loader::set_users`]).
    users: HashMap<PathBuf, usize>,
}

impl Plan {
    /// The plan from the local module calls the scan found in each `.tf` and `.tf.json` file
    /// (`calls_of`, in path order; discovery's paths, which are canonical).
    fn of(calls_of: Vec<(&Path, Vec<String>)>, loader: &Loader) -> Plan {
        // Hashed while files are added, sorted once for the plan.
        let mut scanned: HashMap<PathBuf, Vec<String>> = HashMap::default();
        for (dir, run) in crate::paths::parent_runs(calls_of) {
            if let Some(d) = dir {
                scanned
                    .entry(d)
                    .or_default()
                    .extend(run.into_iter().flat_map(|(_, calls)| calls));
            }
        }
        let scanned = normalize_sources(scanned.into_iter().collect());
        // The directories of discovered files are canonical: calls that lead to them, or
        // through them, are resolved without looking at the file system.
        loader.know_canonical(scanned.iter().map(|(d, _)| d.as_path()));
        let (units, reach) = unit_plan(&scanned, &|p| loader.canonical(p));
        let mut users: HashMap<PathBuf, usize> = HashMap::default();
        for dirs in reach.values() {
            for d in dirs {
                *users.entry(d.clone()).or_default() += 1;
            }
        }
        Plan {
            scanned,
            units,
            reach,
            users,
        }
    }
}

/// Module sources by directory in the form the plan compares: directories in path order, each
/// one's sources sorted and without repeats (the plan depends on neither their order nor their
/// repeats; the parse records them in the order files happen to be parsed).
pub fn normalize_sources(mut dirs: Vec<(PathBuf, Vec<String>)>) -> Vec<(PathBuf, Vec<String>)> {
    dirs.par_iter_mut().for_each(|(_, srcs)| {
        srcs.sort_unstable();
        srcs.dedup();
    });
    crate::paths::sort_by_path(&mut dirs);
    dirs
}

/// Units and what each needs, from the local module sources of each directory with Terraform
/// files (`.tf`, `.tf.json`):
/// the directories no other one calls, plus one directory of each cycle of calls that no unit
/// reaches (so every directory is evaluated). `module_sources` is sorted by path (one entry per
/// directory). Returns the units, sorted, and for each unit the directories it reaches (itself
/// first).
pub fn unit_plan(
    module_sources: &[(PathBuf, Vec<String>)],
    canonical: &(dyn Fn(&Path) -> Option<PathBuf> + Sync),
) -> (Vec<PathBuf>, HashMap<PathBuf, Vec<PathBuf>>) {
    // Where each call leads, resolved in parallel (a file-system lookup per new path): the
    // rest of the plan is sequential.
    let targets: Vec<Vec<PathBuf>> = module_sources
        .par_iter()
        .map(|(dir, srcs)| {
            let mut seen: BTreeSet<&str> = BTreeSet::new();
            srcs.iter()
                .filter(|src| seen.insert(src.as_str()))
                .filter_map(|src| canonical(&dir.join(src)))
                .collect()
        })
        .collect();
    // Directories are numbered (those with Terraform files first, in path order, then the other
    // directories calls lead to) and the plan works on numbers: paths are compared and hashed
    // once each, so planning grows with the number of directories and calls, not faster.
    let mut dirs: Vec<PathBuf> = module_sources.iter().map(|(d, _)| d.clone()).collect();
    let mut number: HashMap<PathBuf, usize> = dirs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.clone(), i))
        .collect();
    let sourced = dirs.len();
    let mut calls_of: Vec<Vec<usize>> = vec![Vec::new(); sourced];
    let mut called = vec![false; sourced];
    for (i, cs) in targets.into_iter().enumerate() {
        for c in cs {
            let n = match number.get(&c) {
                Some(&n) => n,
                None => {
                    number.insert(c.clone(), dirs.len());
                    dirs.push(c);
                    calls_of.push(Vec::new());
                    called.push(false);
                    dirs.len() - 1
                }
            };
            if n != i {
                called[n] = true;
                calls_of[i].push(n);
            }
        }
    }
    let mut reached = vec![false; dirs.len()];
    // Which walk last met each directory (walks are numbered from 1): one array for all walks,
    // so planning does not grow with units times directories.
    let mut seen_by = vec![0usize; dirs.len()];
    let mut walk = 0usize;
    let mut reach_from = |d: usize, reached: &mut [bool]| -> Vec<PathBuf> {
        walk += 1;
        let mut out = Vec::new();
        let mut stack = vec![d];
        while let Some(x) = stack.pop() {
            if std::mem::replace(&mut seen_by[x], walk) == walk {
                continue;
            }
            stack.extend(calls_of[x].iter().rev());
            reached[x] = true;
            out.push(dirs[x].clone());
        }
        out
    };
    let mut units: Vec<usize> = (0..sourced).filter(|&i| !called[i]).collect();
    let mut reach: HashMap<PathBuf, Vec<PathBuf>> = HashMap::default();
    for &u in &units {
        reach.insert(dirs[u].clone(), reach_from(u, &mut reached));
    }
    // Directories reached only through a cycle of calls: make sure each is evaluated.
    for d in 0..sourced {
        if !reached[d] {
            reach.insert(dirs[d].clone(), reach_from(d, &mut reached));
            units.push(d);
        }
    }
    // Numbers below `sourced` are in path order.
    units.sort();
    (units.into_iter().map(|u| dirs[u].clone()).collect(), reach)
}

/// The local module sources (`./x`, `../x`) of the top-level `module` blocks of a Terraform
/// text, by a scan of the text (no parse): blocks whose `module` keyword starts a line; inside
/// them comments, strings and heredocs are skipped, and a `source` counts when it is a plain
/// string at the top level of the block. The engine checks the result against the parse, so a
/// miss (an indented or unusually written block) costs time, not correctness.
pub fn scan_module_sources(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    // Top-level blocks start a line (`terraform fmt` puts them at its beginning; some are
    // indented): only `module` blocks found that way are scanned, each up to its closing brace.
    // (A `module` line inside a heredoc may be taken for a block: the parse corrects the plan.)
    let bytes = text.as_bytes();
    let mut from = 0;
    // memchr's vectorised search: this runs over every byte of every `.tf` file.
    while let Some(p) = memchr::memmem::find(&bytes[from..], b"module") {
        let start = from + p;
        // Only blanks between the line's start and the word (looked at backwards, so a long
        // line full of `module` costs no more than its length).
        let indent = bytes[..start]
            .iter()
            .rev()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        from = if start == indent || bytes[start - indent - 1] == b'\n' {
            start + scan_module_block(&text[start..], &mut out)
        } else {
            start + "module".len()
        };
    }
    out
}

/// Scans one `module` block at the start of `text` for its `source`; returns the length of
/// text consumed (at least one byte).
fn scan_module_block(text: &str, out: &mut Vec<String>) -> usize {
    let after = &text["module".len()..];
    if !after.starts_with([' ', '\t', '"']) {
        return "module".len();
    }
    let mut depth: usize = 0;
    let mut heredoc: Option<String> = None;
    let mut in_comment = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        offset += line.len();
        let trimmed = line.trim();
        if let Some(end) = &heredoc {
            if trimmed == end {
                heredoc = None;
            }
            continue;
        }
        if in_comment {
            if let Some(p) = line.find("*/") {
                in_comment = false;
                depth = scan_braces(&line[p + 2..], depth, &mut in_comment, &mut heredoc);
            }
            continue;
        }
        if depth == 1 {
            if let Some(src) = source_value(trimmed) {
                out.push(src.to_string());
            }
        }
        depth = scan_braces(line, depth, &mut in_comment, &mut heredoc);
        if depth == 0 && heredoc.is_none() && !in_comment {
            break;
        }
    }
    offset.max(1)
}

/// `source = "./x"` (a local path without interpolation) on a line, or None.
fn source_value(trimmed: &str) -> Option<&str> {
    let rest = trimmed.strip_prefix("source")?.trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let src = &rest[..rest.find('"')?];
    ((src.starts_with("./") || src.starts_with("../")) && !src.contains("${")).then_some(src)
}

/// Brace depth after one line, skipping strings and comments; notes a heredoc or block comment
/// that starts on the line.
fn scan_braces(
    line: &str,
    mut depth: usize,
    in_comment: &mut bool,
    heredoc: &mut Option<String>,
) -> usize {
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => break,
            b'/' if b.get(i + 1) == Some(&b'/') => break,
            b'/' if b.get(i + 1) == Some(&b'*') => match line[i + 2..].find("*/") {
                Some(p) => i += 2 + p + 1,
                None => {
                    *in_comment = true;
                    break;
                }
            },
            b'"' => {
                // Skip the string (escapes and interpolations included).
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'<' if b.get(i + 1) == Some(&b'<') => {
                let rest = line[i + 2..].trim_start_matches('-');
                let marker: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !marker.is_empty() {
                    *heredoc = Some(marker);
                    // The rest of the line belongs to the heredoc opener.
                    return depth;
                }
                i += 1;
            }
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    depth
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_sources_by_scan() {
        let text = r#"
# module "commented" { source = "./no" }
module "a" {
  source = "./modules/a"
  x = { source = "./not-top-level" }
  y = <<EOT
module "in_heredoc" {
  source = "./no"
}
EOT
}
module "b" {
  version = "1.0"
  source  = "terraform-aws-modules/vpc/aws"
}
/* module "c" {
  source = "./no" } */
module "d" {
  source = "../d"
}
resource "x" "y" {
  source = "./no"
  list = [
    module.d.id,
  ]
}
  module "indented" {
    source = "./e"
  }
"#;
        assert_eq!(
            scan_module_sources(text),
            vec!["./modules/a", "../d", "./e"]
        );
        // Tabs indent too; `module` after anything but blanks on its line is no block.
        let t = "a = module.b\n\tmodule \"t\" {\n  source = \"./t\"\n}\nx module \"u\" {\n  source = \"./u\"\n}\n";
        assert_eq!(scan_module_sources(t), vec!["./t"]);
        // A comment before the value is beyond the scan; fixtures/eval/module-source-scan-miss
        // relies on that to prove the engine corrects the plan from the parse.
        assert!(scan_module_sources("module \"m\" {\n  source = /* c */ \"./m\"\n}\n").is_empty());
    }

    #[test]
    fn scan_agrees_with_parse_on_real_files() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/insecure-workspace/main.tf"
        ))
        .unwrap();
        let body = hcl_edit::parser::parse_body(&text).unwrap();
        assert_eq!(
            scan_module_sources(&text),
            crate::eval::local_module_sources(&crate::tree::Tree::Whole(body))
        );
    }
}
