//! The run: discover, parse, evaluate units in parallel, run the checks, then stamp findings
//! with rule metadata, configured severities, environments and suppressions.

pub mod callers;
pub mod configs;
pub mod load;
pub mod relocate;
pub mod roots;
pub mod stamp;
pub mod worlds;

pub use configs::{Configs, SetupError};

use crate::checks;
use crate::config::Config;
use crate::discover;
use crate::eval::{evaluate_unit, EvalOptions};
use crate::finding::{sort_and_dedup, Finding};
use crate::registry::Registry;
use crate::source::SourceMap;
use rayon::prelude::*;
use std::collections::BTreeSet;
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
    /// `--plan`: values from `terraform show -json`, per root.
    pub plans: Arc<crate::plan::Plans>,
    /// `--select` codes (empty = all).
    pub select: Vec<String>,
    /// `--ignore` codes.
    pub ignore: Vec<String>,
    /// `--strict` (or config `strict`): EVAL001 is an error.
    pub strict: bool,
    /// Threads (0 = one per core).
    pub threads: usize,
    /// Resource types evaluated for their own sake although no rule reads them (for a
    /// [`UnitHook`] that needs them, such as `aws_s3_bucket`).
    pub extra_types: Vec<String>,
}

/// One evaluation of a unit as a [`UnitHook`] sees it: the evaluated unit, the root and the
/// environment it was evaluated for, and the rule parameters of its configuration.
pub struct UnitView<'a> {
    pub unit: &'a crate::eval::Unit,
    /// The root module's directory (canonical).
    pub dir: &'a Path,
    /// The root directory relative to its configuration's directory (`.` for that directory).
    pub root: &'a str,
    pub environment: &'a str,
    /// Rule parameter (`code`, `key`) under the unit's configuration.
    pub params: &'a checks::ParamFn<'a>,
    /// The unit's configuration.
    pub config: &'a Config,
}

/// Called once per evaluation of every unit (from several threads), after evaluation and
/// before the trees are released: the way for other commands (`egress-report`) to read the
/// evaluated configuration without a pipeline of their own.
pub type UnitHook<'a> = dyn Fn(&UnitView) + Sync + 'a;

/// The result of a run.
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub sources: Arc<SourceMap>,
    /// Git top level (or the directory that holds the given paths): SARIF URIs, fingerprints
    /// and root paths are relative to it.
    pub repo_root: PathBuf,
    pub files_checked: usize,
    /// What was not checked, and why.
    pub skipped: Vec<crate::finding::Skipped>,
    /// About the run itself (an undeclared `--environment`, a named module no root calls).
    pub notices: Vec<String>,
    /// `[sarif] category` of each configuration that set one (its path relative to the
    /// repository root, the category), by path.
    pub sarif_categories: Vec<(String, String)>,
    /// Rules that ran under no configuration of the run (deselected, turned off), sorted.
    pub not_run: Vec<String>,
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
    "SYN001", "EVAL001", "SUP001", "SUP002", "SUP003", "SUP004", "NET001", "NET002", "NET003",
    "NET004", "NET005", "NET006", "NET007", "NET008", "NET009", "TF001", "TF002", "TF003",
    "CMK001", "CMK002", "CMK003", "REG001", "REG002", "REG003",
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

/// What the end of a run needs from discovery's list of files, taken before the list is let go
/// (after reading: on 20 copies of the public corpus it was 7 MB held to the end).
struct FoundSummary {
    /// `terragrunt.hcl` files (each directory is reported as skipped).
    terragrunt: Vec<PathBuf>,
    /// Given paths (canonical) under which nothing was found.
    empty: Vec<PathBuf>,
    /// Files checked: every found file but Terragrunt's.
    files_checked: usize,
}

impl FoundSummary {
    fn of(paths: &[PathBuf], found: &[discover::Found]) -> FoundSummary {
        FoundSummary {
            terragrunt: found
                .iter()
                .filter(|f| f.kind == discover::FileKind::Terragrunt)
                .map(|f| f.path.clone())
                .collect(),
            empty: paths
                .iter()
                .filter_map(|p| std::fs::canonicalize(p).ok())
                .filter(|c| !found.iter().any(|f| f.path.starts_with(c)))
                .collect(),
            files_checked: found
                .iter()
                .filter(|f| f.kind != discover::FileKind::Terragrunt)
                .count(),
        }
    }
}

/// What the run did not check: module calls not evaluated, Terragrunt configurations, and given
/// paths in which there is nothing to check. Sorted, without duplicates.
fn skipped_of(
    found: &FoundSummary,
    calls: Vec<(crate::source::Location, String)>,
    sources: &crate::source::SourceMap,
    repo_root: &Path,
) -> Vec<crate::finding::Skipped> {
    use crate::finding::Skipped;
    let rel = |p: &Path| crate::source::display_path(p, repo_root).replace('\\', "/");
    let mut out: Vec<Skipped> = calls
        .into_iter()
        .map(|(loc, reason)| {
            let file = sources.get(loc.file);
            Skipped {
                path: format!("{}:{}", rel(&file.path), file.line_col(loc.start).line),
                reason,
            }
        })
        .collect();
    for t in &found.terragrunt {
        out.push(Skipped {
            path: rel(t.parent().unwrap_or(t)),
            reason: "Terragrunt configuration (terragrunt.hcl): policy-lint evaluates the Terraform modules it deploys, not Terragrunt".into(),
        });
    }
    for c in &found.empty {
        out.push(Skipped {
            path: rel(c),
            reason: "nothing to check: no Terraform, tfvars or JSON files".into(),
        });
    }
    out.sort();
    out.dedup();
    out
}

/// Runs policy-lint.
/// Runs policy-lint with one configuration for every file (`--config`; library callers).
pub fn run(opts: &Options, config: &Config, registry: &Registry) -> Result<Outcome, String> {
    run_with(opts, config, registry, None)
}

/// [`run`] with a [`UnitHook`] that sees every evaluated unit.
pub fn run_with(
    opts: &Options,
    config: &Config,
    registry: &Registry,
    hook: Option<&UnitHook>,
) -> Result<Outcome, String> {
    let paths = given_paths(opts)?;
    let repo_root = configs::repo_root_of(&paths);
    let configs = Configs::fixed(config, &repo_root)?;
    let prepared = prepare(opts, paths, repo_root, &configs).map_err(|e| e.to_string())?;
    execute(opts, prepared, &configs, registry, hook).map_err(|e| e.to_string())
}

/// Runs policy-lint with the nearest `policy-lint.toml` of each directory (see
/// [`configs`]); `builtin` is the built-in rule pack, to which the configurations' `rules_dirs`
/// are added. Returns the outcome and the run's rule pack.
pub fn run_nearest(opts: &Options, builtin: Registry) -> Result<(Outcome, Registry), SetupError> {
    run_nearest_with(opts, builtin, None)
}

/// [`run_nearest`] with a [`UnitHook`] that sees every evaluated unit.
pub fn run_nearest_with(
    opts: &Options,
    builtin: Registry,
    hook: Option<&UnitHook>,
) -> Result<(Outcome, Registry), SetupError> {
    let paths = given_paths(opts)?;
    let repo_root = configs::repo_root_of(&paths);
    let configs = Configs::nearest(&repo_root)?;
    let prepared = prepare(opts, paths, repo_root, &configs)?;
    let registry = configs.validate(builtin)?;
    let outcome = execute(opts, prepared, &configs, &registry, hook)?;
    Ok((outcome, registry))
}

/// The paths of the command line (the working directory when there are none), absolute.
fn given_paths(opts: &Options) -> Result<Vec<PathBuf>, String> {
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
    for (p, typed) in paths.iter().zip(&opts.paths) {
        if !p.exists() {
            return Err(format!("`{}` does not exist", typed.display()));
        }
    }
    Ok(paths)
}

/// What discovery found.
struct Prepared {
    paths: Vec<PathBuf>,
    repo_root: PathBuf,
    found: Vec<discover::Found>,
    /// When paths name files: the findings reported are those in these files or below these
    /// directories.
    reported: Option<stamp::Reported>,
    notices: Vec<String>,
}

/// Discovery: the given paths, and when some name files, the roots that call them.
fn prepare(
    opts: &Options,
    paths: Vec<PathBuf>,
    repo_root: PathBuf,
    configs: &Configs,
) -> Result<Prepared, SetupError> {
    let accepts = |p: &Path| configs.accepts(p);
    let data_dir = discover::data_dir_of(opts.eval.tf_data_dir.clone());
    let mut found = discover::discover_by(&paths, &accepts, &data_dir, opts.threads)?;
    let named: Vec<discover::Found> = found.iter().filter(|f| f.explicit).cloned().collect();
    let named_files: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.is_file())
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    let mut notices = Vec::new();
    let reported = if named_files.is_empty() {
        None
    } else {
        // pre-commit: each named file is evaluated through the roots that call its module.
        let selection = callers::select(&named, configs, opts.threads, &repo_root)?;
        for d in &selection.dirs {
            found.extend(discover::siblings(d, &accepts));
        }
        found.sort();
        found.dedup_by(|a, b| {
            if a.path == b.path {
                b.explicit |= a.explicit;
                true
            } else {
                false
            }
        });
        notices.extend(selection.notices);
        Some(stamp::Reported {
            files: named_files,
            dirs: paths
                .iter()
                .filter(|p| p.is_dir())
                .filter_map(|p| std::fs::canonicalize(p).ok())
                .collect(),
        })
    };
    if let Some(e) = configs.take_error() {
        return Err(e);
    }
    Ok(Prepared {
        paths,
        repo_root,
        found,
        reported,
        notices,
    })
}

/// What one configuration decides while units are evaluated.
struct Ctx<'a> {
    entry: &'a configs::Entry,
    on: stamp::Enabled<'a>,
    params: stamp::ParamCache<'a>,
}

/// Reads, evaluates, checks and stamps what [`prepare`] found.
fn execute(
    opts: &Options,
    prepared: Prepared,
    configs: &Configs,
    registry: &Registry,
    hook: Option<&UnitHook>,
) -> Result<Outcome, SetupError> {
    for (flag, list) in [("--select", &opts.select), ("--ignore", &opts.ignore)] {
        for code in list {
            if registry.get(code).is_none() {
                return Err(SetupError::Other(format!(
                    "{flag}: `{code}` is not a policy-lint rule code or name{} (see `policy-lint rules`)",
                    crate::suggest::did_you_mean(crate::suggest::rule(registry, code))
                )));
            }
        }
    }
    let Prepared {
        paths,
        repo_root,
        found,
        reported,
        mut notices,
    } = prepared;
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
    let pool = crate::workers::pool(opts.threads)?;
    let cwd = opts.cwd.clone();
    // The configurations discovery met, each with what it decides.
    let entries = configs.entries();
    let ctxs: Vec<Ctx> = entries
        .iter()
        .map(|e| Ctx {
            entry: e,
            on: stamp::Enabled::of_entry(registry, e, opts),
            params: stamp::ParamCache::new(registry, &e.config),
        })
        .collect();
    // The configuration of a directory met by discovery (units, JSON files). A unit discovery
    // did not meet (only a directory reached through a cycle of module calls, all outside the
    // given paths) whose configuration is first read now falls back to the first configuration.
    let ctx_of = |dir: &Path| -> (usize, &Ctx) {
        let i = configs.index_of(dir);
        let i = if i < ctxs.len() { i } else { 0 };
        (i, &ctxs[i])
    };
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
            // NET007 on Azure workspaces, when a configuration's [rules.NET007] all_clouds asks.
            .chain(
                ctxs.iter()
                    .any(|c| {
                        c.params
                            .get("NET007", "all_clouds")
                            .and_then(|v| v.as_bool())
                            .unwrap_or(false)
                    })
                    .then(|| checks::net::AZURE_WORKSPACE.to_string()),
            )
            .chain(opts.extra_types.iter().cloned())
            .chain(
                registry
                    .rules
                    .iter()
                    .filter_map(|r| r.assert.as_ref())
                    .flat_map(|a| a.resource.iter().cloned()),
            )
            .collect(),
    }));
    let found_summary = FoundSummary::of(&paths, &found);
    // Let go once read (see FoundSummary).
    let found = std::sync::Mutex::new(found);
    let skipped_calls: std::sync::Mutex<Vec<(crate::source::Location, String)>> =
        std::sync::Mutex::new(Vec::new());
    let installed: std::sync::Mutex<Vec<crate::eval::Vendored>> = std::sync::Mutex::new(Vec::new());
    let (loaded, results, mut findings, used) = pool.install(|| {
        // `.json` files a configuration's `[kms]` globs name are key policies whatever their text.
        let named = |p: &Path| {
            let (_, ctx) = ctx_of(p.parent().unwrap_or(p));
            ctx.entry
                .config
                .kms
                .is_databricks_key_policy(&stamp::relative_to(p, &ctx.entry.base))
        };
        let found = std::mem::take(&mut *found.lock().unwrap_or_else(|e| e.into_inner()));
        let loaded = load::load_with(&found, &cwd, roots, &named);
        drop(found);
        // A bare `--plan FILE` belongs to the run's only root.
        let single_root = loaded.units.len() <= 1;
        // One unit: evaluate and check it once per environment it is deployed in (each
        // finding names its root and environment), then let go of the trees no other unit needs.
        let check_unit = |dir: &PathBuf| -> checks::UnitChecks {
            crate::alloc::working_on(crate::alloc::Work::Unit(
                &crate::source::display_path(dir, &cwd),
            ));
            let (ci, ctx) = ctx_of(dir);
            let params = |code: &str, key: &str| ctx.params.get(code, key);
            let enabled = |code: &str| ctx.on.is_on(code);
            let strict = opts.strict || ctx.entry.config.strict;
            let root_path = roots::relative_dir(dir, &repo_root);
            let mut out = Vec::new();
            let mut key_policy_files = Vec::new();
            let mut remote: Vec<crate::eval::RemoteCall> = Vec::new();
            let mut vendored: Vec<crate::eval::Vendored> = Vec::new();
            for e in roots::evaluations(
                dir,
                &ctx.entry.base,
                &ctx.entry.config,
                opts,
                &eval_opts.var_files,
            ) {
                let eval_opts = EvalOptions {
                    var_files: e.var_files,
                    plan: opts.plans.of(dir, single_root).cloned(),
                    ..eval_opts.clone()
                };
                let unit = evaluate_unit(&loaded.loader, &eval_opts, dir);
                if let Some(hook) = hook {
                    hook(&UnitView {
                        unit: &unit,
                        dir,
                        root: &e.root,
                        environment: &e.environment,
                        params: &params,
                        config: &ctx.entry.config,
                    });
                }
                for c in &unit.remote_calls {
                    if !remote.contains(c) {
                        remote.push(c.clone());
                    }
                }
                for v in &unit.vendored {
                    if !vendored.contains(v) {
                        vendored.push(v.clone());
                    }
                }
                let root = crate::finding::RootRef {
                    path: root_path.clone(),
                    environment: e.environment,
                };
                let checked = checks::check_unit(&unit, &params, &enabled, registry);
                key_policy_files.extend(checked.key_policy_files);
                let mut found = checked.findings;
                crate::finding::merge_unresolved(&mut found);
                // Inputs with a few possible values and no value: decide for each of them.
                let found = worlds::decide(found, &unit.finite_inputs, &|world| {
                    let opts = EvalOptions {
                        world,
                        ..eval_opts.clone()
                    };
                    let u = evaluate_unit(&loaded.loader, &opts, dir);
                    let mut f = checks::check_unit(&u, &params, &enabled, registry).findings;
                    crate::finding::merge_unresolved(&mut f);
                    f
                });
                out.extend(
                    found
                        .into_iter()
                        .map(|mut f| {
                            // Findings on a `.tf.json` file were made on its native form.
                            f.resolve_locations(&loaded.sources);
                            f.environment = Some(root.environment.clone());
                            f.roots = vec![root.clone()];
                            f
                        }),
                );
            }
            loaded.loader.keep(out.iter().flat_map(|f| {
                std::iter::once(f.loc.file)
                    .chain(f.anchor.map(|a| a.file))
                    .chain(f.related.iter().map(|r| r.loc.file))
            }));
            if let Some(dirs) = loaded.reach.get(dir) {
                loaded.loader.release(dirs);
            }
            // Installed modules: the repository calls findings move to are kept; the trees of
            // the modules go when this unit is done (each root has its own `.terraform`).
            loaded.loader.keep(vendored.iter().map(|v| v.call.file));
            loaded
                .loader
                .release_vendored(&vendored.iter().map(|v| v.package.clone()).collect::<Vec<_>>());
            installed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(vendored);
            for c in remote {
                let crate::eval::RemoteCall {
                    addr,
                    source,
                    loc,
                    why,
                } = c;
                if strict {
                    out.push(Finding::new(
                        "EVAL001",
                        loc,
                        format!("`{addr}` (source `{source}`) is not evaluated: {why}; its resources are not checked"),
                    ));
                }
                loaded.loader.keep([loc.file]);
                skipped_calls
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((loc, format!("`{addr}` from `{source}` not evaluated: {why}")));
            }
            for f in &mut out {
                f.config = ci;
            }
            key_policy_files.sort();
            key_policy_files.dedup();
            checks::UnitChecks {
                findings: out,
                key_policy_files,
            }
        };
        // A JSON file: SYN001 when it does not parse; a `.json` file is checked on its own, under
        // the configuration of its directory, when json_file::classify says it is a key policy
        // (after the units, which tell which files Terraform already uses as key policies); a
        // `.tfvars.json` file must hold an object of variable values (the units that use it read
        // them).
        let check_json = |id: crate::source::FileId,
                          kind: discover::FileKind,
                          key_policy_files: &[crate::source::FileId]|
         -> Vec<Finding> {
            let v = match crate::parse::parse_json(&loaded.sources, id) {
                crate::parse::Parsed::Failed(f) => return vec![*f],
                crate::parse::Parsed::Json(v) => v,
                crate::parse::Parsed::Hcl(_) => return vec![],
            };
            if kind == discover::FileKind::TfvarsJson {
                if matches!(v.kind, crate::value::Kind::Object(_)) {
                    return vec![];
                }
                let text = loaded.sources.get(id).text.clone();
                let start = text.len() - text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']).len();
                return vec![crate::parse::syntax_finding(
                    &loaded.sources,
                    id,
                    start,
                    format!(
                        "a `.tfvars.json` file must be a JSON object of variable values (`{{\"NAME\": VALUE}}`), not {}; Terraform rejects it",
                        match v.kind {
                            crate::value::Kind::List(_) => "an array",
                            crate::value::Kind::String(_) | crate::value::Kind::Partial(_) => "a string",
                            crate::value::Kind::Number(_) => "a number",
                            crate::value::Kind::Bool(_) => "a boolean",
                            _ => "null",
                        }
                    ),
                )];
            }
            if kind != discover::FileKind::Json {
                return vec![];
            }
            let path = loaded.sources.get(id).path.clone();
            let (ci, ctx) = ctx_of(path.parent().unwrap_or(&path));
            let rel = stamp::relative_to(&path, &ctx.entry.base);
            let named = ctx.entry.config.kms.is_databricks_key_policy(&rel);
            let used = key_policy_files.binary_search(&id).is_ok();
            if !checks::json_file::classify(&v, named, used).is_standalone_key_policy() {
                return vec![];
            }
            let params = |code: &str, key: &str| ctx.params.get(code, key);
            let enabled = |code: &str| ctx.on.is_on(code);
            let mut out = checks::kms_link::check_standalone(
                id,
                &v,
                &rel,
                registry,
                &ctx.entry.config,
                &params,
                &enabled,
            );
            for f in &mut out {
                f.config = ci;
            }
            out
        };
        // Each unit's files are parsed in parallel before it is evaluated (`Loader::preparse`):
        // a large unit would otherwise leave the other threads idle while it parses its files
        // one by one.
        let per_unit: Vec<(PathBuf, checks::UnitChecks)> = loaded
            .units
            .par_iter()
            .map(|dir| {
                if let Some(dirs) = loaded.reach.get(dir) {
                    loaded.loader.preparse(dirs);
                }
                (dir.clone(), check_unit(dir))
            })
            .collect();
        // Files no unit needed still get their syntax checked and suppressions read.
        loaded.loader.parse_remaining();
        let mut results = loaded.loader.take_results();
        // The plan came from a scan of the text; the parse has the last word. Units the scan
        // missed are evaluated now, and units it invented are dropped.
        // (The same sources as the scan give the same plan: it is made again only when they
        // differ.)
        let parsed_sources = load::normalize_sources(std::mem::take(&mut results.module_sources));
        let exact = if parsed_sources == loaded.scanned {
            loaded.units.clone()
        } else {
            load::unit_plan(&parsed_sources, &|p| loaded.loader.canonical(p)).0
        };
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
        // JSON files after the units, which tell which files Terraform uses as key policies.
        findings.extend(
            loaded
                .json
                .par_iter()
                .flat_map_iter(|(id, kind)| check_json(*id, *kind, &key_policy_files))
                .collect::<Vec<_>>(),
        );
        // The configurations that decided something: those of the units and JSON policies.
        let mut used: BTreeSet<usize> = exact.iter().map(|d| ctx_of(d).0).collect();
        used.extend(
            loaded
                .json
                .iter()
                .filter_map(|(id, _)| loaded.sources.get(*id).path.parent().map(|d| ctx_of(d).0)),
        );
        (loaded, results, findings, used)
    });
    // Syntax errors and suppression comments follow the configuration of their own file (read
    // now if discovery never met its directory: a module outside the given paths).
    let file_config = |id: crate::source::FileId| -> usize {
        let path = loaded.sources.get(id).path.clone();
        configs.index_of(path.parent().unwrap_or(&path))
    };
    for mut f in loaded.syntax.iter().chain(&results.syntax).cloned() {
        // Syntax errors in a `.tf.json` file were found in its native form.
        f.resolve_locations(&loaded.sources);
        f.config = file_config(f.loc.file);
        findings.push(f);
    }
    let suppressions: Vec<(crate::suppress::Suppression, usize)> = results
        .suppressions
        .iter()
        .map(|s| (s.clone(), file_config(s.loc.file)))
        .collect();
    if let Some(e) = configs.take_error() {
        return Err(e);
    }
    let entries = configs.entries();
    let ons: Vec<stamp::Enabled> = entries
        .iter()
        .map(|e| stamp::Enabled::of_entry(registry, e, opts))
        .collect();
    let sources = loaded.sources.clone();
    // Nothing is reported inside a module `terraform init` installed.
    let installed =
        relocate::Installed::new(installed.into_inner().unwrap_or_else(|e| e.into_inner()));
    installed.relocate(&mut findings, &sources);
    let skipped_calls = skipped_calls
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|(loc, reason)| match installed.place(&sources, loc) {
            Some((call, place)) => (call, format!("{reason} (in {place})")),
            None => (loc, reason),
        })
        .collect();
    stamp::stamp(
        &mut findings,
        &loaded,
        &suppressions,
        &ons,
        reported.as_ref(),
    );
    sort_and_dedup(&mut findings, &sources);
    crate::fix::realize(&mut findings, &sources, &repo_root);
    // On the run's threads, not rayon's global pool (started for this alone otherwise).
    pool.install(|| crate::output::assign_fingerprints(&mut findings, &sources, &repo_root));
    let skipped = skipped_of(&found_summary, skipped_calls, &sources, &repo_root);
    // `--plan` files that no root of this run used.
    for (dir, plan) in &opts.plans.entries {
        let shown = crate::source::display_path(&plan.path, &opts.cwd);
        match dir {
            None if loaded.units.len() > 1 => notices.push(format!(
                "--plan `{shown}` names no root and this run has {} roots: it was not used; name its root with --plan DIR={shown}",
                loaded.units.len()
            )),
            Some(d) if loaded.units.binary_search(d).is_err() => notices.push(format!(
                "--plan `{}={shown}`: `{}` is not a root module of this run; the plan was not used",
                crate::source::display_path(d, &opts.cwd),
                crate::source::display_path(d, &opts.cwd)
            )),
            _ => {}
        }
    }
    // Every configuration that decided something, by path.
    let mut used: Vec<&configs::Entry> = used.iter().map(|i| &*entries[*i]).collect();
    if used.is_empty() {
        used.push(&entries[0]);
    }
    used.sort_by(|a, b| a.path().cmp(&b.path()));
    used.dedup_by(|a, b| a.path() == b.path());
    if let Some(e) = &opts.environment {
        let undeclared: Vec<&&configs::Entry> =
            used.iter().filter(|c| !c.config.declares(e)).collect();
        if used.len() <= 1 && !undeclared.is_empty() {
            notices.push(format!(
                "--environment `{e}` is not declared in the configuration (production, [environments], non_production or [[roots]]): it is treated as production"
            ));
        } else {
            for c in undeclared {
                notices.push(format!(
                    "--environment `{e}` is not declared in {} (production, [environments], non_production or [[roots]]): it is treated as production where it applies",
                    c.path()
                        .map(|p| format!("`{}`", crate::source::display_path(p, &repo_root)))
                        .unwrap_or_else(|| "the defaults (no policy-lint.toml)".into())
                ));
            }
        }
    }
    let sarif_categories = used
        .iter()
        .filter_map(|c| {
            let cat = c.config.sarif_category.clone()?;
            let path = c
                .path()
                .map(|p| crate::source::display_path(p, &repo_root))?;
            Some((path, cat))
        })
        .collect();
    // Rules that ran under none of the configurations that decided something.
    let used_ons: Vec<stamp::Enabled> = used
        .iter()
        .map(|e| stamp::Enabled::of_entry(registry, e, opts))
        .collect();
    let not_run = registry
        .rules
        .iter()
        .filter(|r| !used_ons.iter().any(|o| o.is_on(&r.code)))
        .map(|r| r.code.clone())
        .collect();
    Ok(Outcome {
        not_run,
        findings,
        sources,
        repo_root,
        files_checked: found_summary.files_checked,
        skipped,
        notices,
        sarif_categories,
    })
}
