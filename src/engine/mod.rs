//! The run: discover, parse, evaluate units in parallel, run the checks, then stamp findings
//! with rule metadata, configured severities, environments and suppressions.

pub mod load;
pub mod stamp;

use crate::checks;
use crate::config::Config;
use crate::discover::{self, Filter};
use crate::eval::{evaluate_unit, EvalOptions};
use crate::finding::{sort_and_dedup, Finding};
use crate::registry::Registry;
use crate::source::SourceMap;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the command line asks for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    pub cwd: PathBuf,
    pub eval: EvalOptions,
    /// `--environment`: overrides `[environments]` for the whole run.
    pub environment: Option<String>,
    /// `--select` codes (empty = all).
    pub select: Vec<String>,
    /// `--ignore` codes.
    pub ignore: Vec<String>,
    /// `--strict` (or config `strict`): EVAL001 is an error.
    pub strict: bool,
    /// Threads (0 = one per core).
    pub threads: usize,
}

/// The result of a run.
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub sources: Arc<SourceMap>,
    /// Git top level (or the first path's directory): SARIF URIs and fingerprints are relative to it.
    pub repo_root: PathBuf,
    /// Directory config globs are relative to.
    pub base: PathBuf,
    pub files_checked: usize,
}

/// The nearest directory at or above `start` that contains `.git`.
pub fn git_root(start: &Path) -> Option<PathBuf> {
    let mut cur = Some(start);
    while let Some(d) = cur {
        if d.join(".git").exists() {
            return Some(d.to_path_buf());
        }
        cur = d.parent();
    }
    None
}

/// Codes implemented by Rust checks (the rest of the catalogue says "not implemented" until
/// its check exists).
pub const IMPLEMENTED: &[&str] = &[
    "SYN001", "EVAL001", "SUP001", "SUP002", "SUP003", "NET001", "NET002", "NET003", "NET004",
    "NET005", "NET006", "NET007", "NET008", "NET009", "TF001", "TF002", "TF003", "CMK001",
    "CMK002", "CMK003", "REG001", "REG002", "REG003",
];

pub fn is_implemented(registry: &Registry, code: &str) -> bool {
    if IMPLEMENTED.contains(&code) || crate::checks::kms_link::IMPLEMENTED.contains(&code) {
        return true;
    }
    // User rules and declarative rules are implemented by the assertion engine.
    registry
        .get(code)
        .map(|r| r.assert.is_some())
        .unwrap_or(false)
}

/// Runs policy-lint.
pub fn run(opts: &Options, config: &Config, registry: &Registry) -> Result<Outcome, String> {
    let paths: Vec<PathBuf> = if opts.paths.is_empty() {
        vec![opts.cwd.clone()]
    } else {
        opts.paths
            .iter()
            .map(|p| {
                if p.is_absolute() {
                    p.clone()
                } else {
                    opts.cwd.join(p)
                }
            })
            .collect()
    };
    for p in &paths {
        if !p.exists() {
            return Err(format!("`{}` does not exist", p.display()));
        }
    }
    let first =
        std::fs::canonicalize(&paths[0]).map_err(|e| format!("`{}`: {e}", paths[0].display()))?;
    let first_dir = if first.is_dir() {
        first.clone()
    } else {
        first
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or(first.clone())
    };
    let repo_root = git_root(&first_dir).unwrap_or(first_dir.clone());
    let base = config
        .path
        .as_ref()
        .and_then(|p| std::fs::canonicalize(p).ok())
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or(repo_root.clone());
    let filter = Filter::new(&config.include, &config.exclude)?;
    let found = discover::discover_with(&paths, &base, &filter, opts.threads)?;
    // file()/templatefile() may read inside the repository and the given paths.
    let mut roots = vec![repo_root.clone()];
    for p in &paths {
        if let Ok(c) = std::fs::canonicalize(p) {
            let d = if c.is_dir() {
                c
            } else {
                c.parent().map(Path::to_path_buf).unwrap_or(c)
            };
            if !roots.iter().any(|r| d.starts_with(r)) {
                roots.push(d);
            }
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .stack_size(256 * 1024 * 1024)
        .build()
        .map_err(|e| e.to_string())?;
    let cwd = opts.cwd.clone();
    let on = stamp::Enabled::new(registry, config, opts);
    let enabled = |code: &str| on.is_on(code);
    let param_cache = stamp::ParamCache::new(registry, config);
    let params = |code: &str, key: &str| param_cache.get(code, key);
    let mut eval_opts = opts.eval.clone();
    // --var-file paths are relative to the working directory.
    eval_opts.var_files = eval_opts
        .var_files
        .iter()
        .map(|p| {
            if p.is_absolute() {
                p.clone()
            } else {
                cwd.join(p)
            }
        })
        .collect();
    // Only resources some rule looks at are evaluated for their own sake: the Databricks and KMS
    // types of the built-in checks, policy documents, and the types of declarative rules.
    eval_opts.types = Some(Arc::new(crate::eval::TypeFilter {
        prefixes: vec!["databricks_".into(), "aws_kms_".into()],
        names: std::iter::once("aws_iam_policy_document".to_string())
            // NET007 on Azure workspaces, when [rules.NET007] all_clouds asks for it.
            .chain(
                params("NET007", "all_clouds")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false)
                    .then(|| checks::net::AZURE_WORKSPACE.to_string()),
            )
            .chain(
                registry
                    .rules
                    .iter()
                    .filter_map(|r| r.assert.as_ref())
                    .flat_map(|a| a.resource.iter().cloned()),
            )
            .collect(),
    }));
    // Resource blocks of other types need no tree unless something kept refers to them; TF003
    // reads the syntax of the types in its nesting table, so those keep theirs too.
    let mut keep_syntax = (**eval_opts.types.as_ref().expect("set above")).clone();
    if let Some(serde_json::Value::Object(m)) = params("TF003", "nesting").as_deref() {
        keep_syntax.names.extend(m.keys().cloned());
    }
    let keep_syntax = Arc::new(keep_syntax);
    let (loaded, results, mut findings) = pool.install(|| {
        let named = |p: &Path| {
            config
                .kms
                .is_databricks_key_policy(&crate::source::display_path(p, &base))
        };
        let loaded = load::load_with(&found, &cwd, roots, &named);
        loaded.loader.skip_unwanted(keep_syntax);
        // One unit: evaluate, check, then let go of the trees no other unit needs.
        let check_unit = |dir: &PathBuf| -> checks::UnitChecks {
            let unit = evaluate_unit(&loaded.loader, &eval_opts, dir);
            let out = checks::check_unit(&unit, &params, &enabled, registry);
            drop(unit);
            loaded.loader.keep(out.findings.iter().flat_map(|f| {
                std::iter::once(f.loc.file)
                    .chain(f.anchor.map(|a| a.file))
                    .chain(f.related.iter().map(|r| r.loc.file))
            }));
            if let Some(dirs) = loaded.reach.get(dir) {
                loaded.loader.release(dirs);
            }
            out
        };
        let per_unit: Vec<(PathBuf, checks::UnitChecks)> = loaded
            .units
            .par_iter()
            .map(|dir| (dir.clone(), check_unit(dir)))
            .collect();
        // Files no unit needed still get their syntax checked and suppressions read.
        loaded.loader.parse_remaining();
        let results = loaded.loader.take_results();
        // The plan came from a scan of the text; the parse has the last word. Units the scan
        // missed are evaluated now, and units it invented are dropped.
        let (exact, _) = load::unit_plan(&results.module_sources, &|p| loaded.loader.canonical(p));
        let mut findings: Vec<Finding> = Vec::new();
        let mut key_policy_files: Vec<crate::source::FileId> = Vec::new();
        for (dir, out) in per_unit {
            if exact.binary_search(&dir).is_ok() {
                findings.extend(out.findings);
                key_policy_files.extend(out.key_policy_files);
            }
        }
        let missed: Vec<&PathBuf> = exact
            .iter()
            .filter(|d| loaded.units.binary_search(d).is_err())
            .collect();
        for out in missed.par_iter().map(|d| check_unit(d)).collect::<Vec<_>>() {
            findings.extend(out.findings);
            key_policy_files.extend(out.key_policy_files);
        }
        key_policy_files.sort();
        key_policy_files.dedup();
        // A JSON file: SYN001 when it does not parse; `.tf.json`/`.tfvars.json` only for syntax;
        // a `.json` file is checked on its own when json_file::classify says it is a key policy
        // (after the units, which tell which files Terraform already uses as key policies).
        let check_json = |id: crate::source::FileId, kind: discover::FileKind| -> Vec<Finding> {
            let v = match crate::parse::parse_json(&loaded.sources, id) {
                crate::parse::Parsed::Failed(f) => return vec![*f],
                crate::parse::Parsed::Json(v) => v,
                crate::parse::Parsed::Hcl(_) => return vec![],
            };
            if kind != discover::FileKind::Json {
                return vec![];
            }
            let rel = crate::source::display_path(&loaded.sources.get(id).path, &base);
            let named = config.kms.is_databricks_key_policy(&rel);
            let used = key_policy_files.binary_search(&id).is_ok();
            if !checks::json_file::classify(&v, named, used).is_standalone_key_policy() {
                return vec![];
            }
            checks::kms_link::check_standalone(id, &v, &rel, registry, config, &params, &enabled)
        };
        findings.extend(
            loaded
                .json
                .par_iter()
                .flat_map_iter(|(id, kind)| check_json(*id, *kind))
                .collect::<Vec<_>>(),
        );
        findings.extend(loaded.syntax.iter().cloned());
        findings.extend(results.syntax.iter().cloned());
        (loaded, results, findings)
    });
    let sources = loaded.sources.clone();
    stamp::stamp(&mut findings, &loaded, &results.suppressions, &on, &base);
    sort_and_dedup(&mut findings, &sources);
    Ok(Outcome {
        findings,
        sources,
        repo_root,
        base,
        files_checked: found.len(),
    })
}
