//! `policy-lint egress-report`: from the exported log of serverless egress denials
//! (`system.access.outbound_network`) to the allow-lists of the Terraform configuration.
//!
//! [`run`] is the one entry point: it reads the logs ([`log`], streamed and aggregated),
//! evaluates the configuration through the engine's unit hook ([`model`]: policies, allow-lists
//! with where each is written, bindings, buckets), attributes the events to policies and
//! classifies them ([`report`]), renders the report ([`render`]) and, with `--write`, adds the
//! missing destinations to the configuration through [`crate::edit`] ([`write`]), then evaluates
//! again to confirm. See docs/egress-report.md.

pub mod log;
pub mod model;
pub mod render;
pub mod report;
pub mod write;

use crate::engine::{self, Options, SetupError, UnitView};
use crate::registry::Registry;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// `--format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pretty,
    Json,
    Markdown,
}

/// Everything `egress-report` is asked.
#[derive(Debug, Clone)]
pub struct Request {
    pub paths: Vec<PathBuf>,
    pub logs: Vec<PathBuf>,
    pub config: Option<PathBuf>,
    pub environment: Option<String>,
    pub vars: Vec<String>,
    pub var_files: Vec<PathBuf>,
    /// `--plan [DIR=]FILE`: workspace IDs (and other values) Terraform knew when it planned.
    pub plans: Vec<String>,
    /// `--policy`: the policy of events without a workspace ID (ID or address).
    pub policy: Option<String>,
    /// `--workspace ID=NETWORK_POLICY_ID`.
    pub workspaces: Vec<String>,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub write: bool,
    /// With `write`: print the changes as a diff instead of writing them.
    pub diff: bool,
    pub threads: usize,
}

/// A workspace ID the Terraform does not hold, and the policy it is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceInput {
    pub workspace: String,
    /// A network policy ID or a resource address.
    pub policy: String,
    /// Where it was given (`--workspace 123=prod`, `policy-lint.toml:12`), for messages.
    pub from: String,
}

/// The values from outside the HCL, in one place: `[egress.workspaces]` of `policy-lint.toml`
/// and `--workspace` (the command line wins for the same workspace).
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    pub workspaces: Vec<WorkspaceInput>,
}

impl Inputs {
    /// From the configuration (`config_file` names it in messages) and `--workspace` values.
    pub fn new(
        config: &crate::config::EgressConfig,
        config_file: &str,
        cli: &[String],
    ) -> Result<Inputs, String> {
        let mut workspaces: Vec<WorkspaceInput> = config
            .workspaces
            .iter()
            .map(|(w, p, line)| WorkspaceInput {
                workspace: w.trim().to_string(),
                policy: p.trim().to_string(),
                from: format!("{config_file}:{line}"),
            })
            .collect();
        for v in cli {
            let Some((w, p)) = v.split_once('=') else {
                return Err(format!(
                    "--workspace `{v}` must be WORKSPACE_ID=NETWORK_POLICY_ID"
                ));
            };
            let (w, p) = (w.trim(), p.trim());
            if w.is_empty() || p.is_empty() {
                return Err(format!(
                    "--workspace `{v}` must be WORKSPACE_ID=NETWORK_POLICY_ID"
                ));
            }
            workspaces.retain(|x| x.workspace != w || x.from.starts_with("--workspace"));
            if let Some(prev) = workspaces.iter().find(|x| x.workspace == w) {
                if prev.policy != p {
                    return Err(format!(
                        "--workspace gives workspace {w} twice, to `{}` and to `{p}`",
                        prev.policy
                    ));
                }
                continue;
            }
            workspaces.push(WorkspaceInput {
                workspace: w.to_string(),
                policy: p.to_string(),
                from: format!("--workspace {w}={p}"),
            });
        }
        Ok(Inputs { workspaces })
    }
}

/// An error for the user: exit code 2.
fn fail(msg: impl std::fmt::Display) -> u8 {
    eprintln!("error: {msg}");
    2
}

/// The configuration that holds `[egress]`: `--config`, else the nearest `policy-lint.toml`
/// of the first path (or the working directory).
fn egress_config(req: &Request, cwd: &Path) -> Result<(crate::config::EgressConfig, String), u8> {
    let path = match &req.config {
        Some(p) => Some(p.clone()),
        None => {
            let start = req
                .paths
                .first()
                .map(|p| cwd.join(p))
                .unwrap_or(cwd.to_path_buf());
            crate::config::Config::discover(&start)
        }
    };
    let Some(path) = path else {
        return Ok((Default::default(), "policy-lint.toml".into()));
    };
    match crate::config::Config::load(&path) {
        Ok(c) => Ok((c.egress, path.display().to_string())),
        Err(e) => Err(crate::cli::report_error(e)),
    }
}

/// One evaluation of the configuration: the unit models and what the report needs from the run.
struct Evaluated {
    models: Vec<model::UnitModel>,
    outcome: engine::Outcome,
}

fn evaluate(req: &Request, opts: &Options) -> Result<Evaluated, u8> {
    let models: Mutex<Vec<model::UnitModel>> = Mutex::new(Vec::new());
    let hook = |view: &UnitView| {
        let m = model::extract(view);
        models.lock().unwrap_or_else(|e| e.into_inner()).push(m);
    };
    let outcome = match &req.config {
        Some(path) => {
            let cwd = &opts.cwd;
            let (reg, config) = crate::cli::load_setup(Some(path), cwd)?;
            engine::run_with(opts, &config, &reg, Some(&hook)).map_err(fail)?
        }
        None => {
            let builtin = Registry::builtin().map_err(crate::cli::report_error)?;
            match engine::run_nearest_with(opts, builtin, Some(&hook)) {
                Ok((o, _)) => o,
                Err(SetupError::Config(e)) => return Err(crate::cli::report_error(*e)),
                Err(SetupError::Rules(e)) => return Err(crate::cli::report_error(*e)),
                Err(SetupError::Other(e)) => return Err(fail(e)),
            }
        }
    };
    Ok(Evaluated {
        models: models.into_inner().unwrap_or_else(|e| e.into_inner()),
        outcome,
    })
}

/// Warnings about the evaluation itself: files that did not parse, module calls not evaluated.
fn run_warnings(o: &engine::Outcome) -> Vec<String> {
    let mut out = Vec::new();
    let syn: Vec<String> = o
        .findings
        .iter()
        .filter(|f| f.code == "SYN001")
        .map(|f| {
            let file = o.sources.get(f.loc.file);
            format!(
                "{}:{}",
                crate::source::display_path(&file.path, &o.repo_root),
                file.line_col(f.loc.start).line
            )
        })
        .collect();
    if !syn.is_empty() {
        out.push(format!(
            "syntax errors in {} (run `policy-lint check`): what they hold is not compared",
            syn.join(", ")
        ));
    }
    for s in &o.skipped {
        out.push(format!("not evaluated: {} ({})", s.path, s.reason));
    }
    out
}

/// `policy-lint egress-report`. Returns the exit code: 0 when nothing in the log would be
/// blocked under enforcement, 1 when something would, 2 on an error.
pub fn run(req: Request) -> u8 {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if req.diff && !req.write {
        return fail("--diff shows what --write would change: pass --write --diff");
    }
    // The logs first: a log that cannot be used stops before any evaluation.
    let mut events = log::Events::default();
    for l in &req.logs {
        let p = if l.is_absolute() {
            l.clone()
        } else {
            cwd.join(l)
        };
        if let Err(e) = events.read(&p) {
            return fail(e.0.replace(&p.display().to_string(), &l.display().to_string()));
        }
    }
    for (f, l) in events.files.iter_mut().zip(&req.logs) {
        f.path = l.display().to_string();
    }
    let (egress, config_file) = match egress_config(&req, &cwd) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let inputs = match Inputs::new(&egress, &config_file, &req.workspaces) {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    let eval = match crate::cli::eval_options(&req.vars, &req.var_files) {
        Ok(e) => e,
        Err(e) => return fail(e),
    };
    let plans = match crate::plan::Plans::load(&req.plans, &cwd) {
        Ok(p) => std::sync::Arc::new(p),
        Err(e) => return fail(e),
    };
    let opts = Options {
        paths: req.paths.clone(),
        cwd: cwd.clone(),
        eval,
        environment: req.environment.clone(),
        plans,
        threads: req.threads,
        extra_types: vec!["aws_s3_bucket".into()],
        ..Options::default()
    };
    let checked: Vec<PathBuf> = if req.paths.is_empty() {
        vec![cwd.clone()]
    } else {
        req.paths.iter().map(|p| cwd.join(p)).collect()
    }
    .iter()
    .filter_map(|p| std::fs::canonicalize(p).ok())
    .collect();
    let evaluated = match evaluate(&req, &opts) {
        Ok(e) => e,
        Err(c) => return c,
    };
    let build = |ev: Evaluated| -> Result<(report::Built, engine::Outcome), String> {
        let Evaluated { models, outcome } = ev;
        let installed: Vec<_> = models.iter().flat_map(|m| m.installed.clone()).collect();
        let cx = report::Context {
            sources: &outcome.sources,
            repo_root: &outcome.repo_root,
            checked: &checked,
            policy_arg: req.policy.as_deref(),
            installed: &installed,
        };
        let mut built = report::build(models, &events, &inputs, &cx)?;
        built.report.warnings.extend(run_warnings(&outcome));
        Ok((built, outcome))
    };
    let installed: Vec<_> = evaluated
        .models
        .iter()
        .flat_map(|m| m.installed.clone())
        .collect();
    let (mut built, outcome) = match build(evaluated) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let mut code = u8::from(built.report.summary.would_block);
    if req.write {
        let cx = report::Context {
            sources: &outcome.sources,
            repo_root: &outcome.repo_root,
            checked: &checked,
            policy_arg: req.policy.as_deref(),
            installed: &installed,
        };
        let applied = write::apply(&built, &cx, !req.diff);
        for e in &applied.errors {
            built.report.warnings.push(format!("not written: {e}"));
        }
        if req.diff {
            built.report.diff = Some(applied.diff.clone());
        }
        let wrote = applied.changes.iter().any(|c| c.written);
        built.report.changes = Some(applied.changes);
        if wrote {
            // Evaluate the edited configuration: every destination written must now be allowed,
            // and the exit code says what is still blocked.
            let again = match evaluate(&req, &opts).and_then(|e| build(e).map_err(fail)) {
                Ok((b, _)) => b,
                Err(c) => return c,
            };
            for before in &built.report.policies {
                let Some(after) = again.report.policies.iter().find(|a| {
                    (&a.root, &a.environment, &a.address)
                        == (&before.root, &before.environment, &before.address)
                }) else {
                    continue;
                };
                for d in &before.missing {
                    let now_missing = after.missing.iter().any(|m| {
                        m.destination == d.destination && m.destination_type == d.destination_type
                    });
                    let written = built.report.changes.iter().flatten().any(|c| {
                        c.written
                            && c.added.contains(&d.destination)
                            && c.list == d.list.unwrap_or("")
                    });
                    if written && now_missing {
                        built.report.warnings.push(format!(
                            "`{}` was written for {} but the edited configuration still does not allow it: check the change",
                            d.destination, before.address
                        ));
                    }
                }
            }
            code = u8::from(again.report.summary.would_block);
        }
    }
    let write_out = |w: &mut dyn std::io::Write| -> std::io::Result<()> {
        match req.format {
            Format::Pretty => w.write_all(render::pretty(&built.report).as_bytes()),
            Format::Markdown => w.write_all(render::markdown(&built.report).as_bytes()),
            Format::Json => render::write_json(&built.report, w),
        }?;
        w.flush()
    };
    match &req.output {
        Some(p) => {
            let res =
                std::fs::File::create(p).and_then(|f| write_out(&mut std::io::BufWriter::new(f)));
            if let Err(e) = res {
                return fail(format!("cannot write `{}`: {e}", p.display()));
            }
        }
        None => {
            let out = std::io::stdout().lock();
            let _ = write_out(&mut std::io::BufWriter::new(out));
        }
    }
    code
}
