//! What the `policy-lint` subcommands do (the argument parsing is in main.rs).

use crate::baseline;
use crate::config::Config;
use crate::engine::{self, Options, SetupError};
use crate::eval::EvalOptions;
use crate::finding::{Severity, Summary};
use crate::output::{self, Report, RuleDescriptor};
use crate::registry::{self, Registry};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Findings with source snippets, the documentation of their rules and a summary.
    Pretty,
    /// One line per finding: `path:line:col: severity[CODE] message`.
    Concise,
    /// A versioned JSON document (docs/json-output.md).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// GitHub workflow commands (`::error file=...`).
    Github,
    // JUnit XML (Jenkins, GitLab, Azure DevOps test reports).
    Junit,
    // GitLab Code Quality JSON.
    Gitlab,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// Everything `check` (and `baseline`) needs.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    pub paths: Vec<PathBuf>,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub environment: Option<String>,
    pub vars: Vec<String>,
    pub var_files: Vec<PathBuf>,
    /// `--plan [DIR=]FILE`
    pub plans: Vec<String>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub fail_on: FailOn,
    pub strict: bool,
    pub color: Color,
    pub quiet: bool,
    pub baseline: Option<PathBuf>,
    pub write_baseline: Option<PathBuf>,
    pub sarif_category: Option<String>,
    pub threads: usize,
    /// Pretty: the documentation link under each finding.
    pub show_urls: bool,
    /// Pretty: EVAL001 notes with their full context.
    pub verbose: bool,
    /// `--fix`, `--unsafe-fixes`, `--diff` (see [`crate::fix`]).
    pub fix: bool,
    pub unsafe_fixes: bool,
    pub diff: bool,
}

/// Prints an error with its snippet (a configuration or rule file that does not load), in the
/// colours and characters standard error can show; exit code 2.
pub fn report_error(e: impl miette::Diagnostic + Send + Sync + 'static) -> u8 {
    eprint!("{}", render_error(&e, crate::term::stderr_caps()));
    2
}

/// An error as text: its title in words (`invalid configuration`), the message, the snippet
/// and the help.
pub fn render_error(e: &dyn miette::Diagnostic, caps: crate::term::Caps) -> String {
    use miette::{GraphicalReportHandler, GraphicalTheme, ThemeCharacters, ThemeStyles};
    let theme = GraphicalTheme {
        characters: if caps.unicode {
            ThemeCharacters::unicode()
        } else {
            ThemeCharacters::ascii()
        },
        styles: if caps.color {
            ThemeStyles::ansi()
        } else {
            ThemeStyles::none()
        },
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(caps.width)
        .with_break_words(false)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .without_syntax_highlighting();
    let mut out = String::new();
    if handler.render_report(&mut out, e).is_err() {
        out = format!("error: {e}\n");
    }
    out
}

/// Loads the built-in rules, the config and the rules of its `rules_dirs`. Errors are printed.
pub fn load_setup(config_path: Option<&Path>, start: &Path) -> Result<(Registry, Config), u8> {
    let mut reg = match Registry::builtin() {
        Ok(r) => r,
        Err(e) => return Err(report_error(e)),
    };
    let path = match config_path {
        Some(p) => {
            if !p.is_file() {
                eprintln!("error: config file `{}` does not exist", p.display());
                return Err(2);
            }
            Some(p.to_path_buf())
        }
        None => Config::discover(start),
    };
    let mut config = match &path {
        Some(p) => match Config::load(p) {
            Ok(c) => c,
            Err(e) => return Err(report_error(e)),
        },
        None => Config::default(),
    };
    for d in config.rules_dirs.clone() {
        if let Err(e) = reg.load_dir(&d) {
            return Err(report_error(e));
        }
    }
    if let Err(e) = config.validate(&reg) {
        return Err(report_error(e));
    }
    config.canonicalize(&reg);
    reg.docs_base = config.docs_url.clone();
    Ok((reg, config))
}

/// Rule descriptors for SARIF.
pub fn descriptors(reg: &Registry) -> Vec<RuleDescriptor> {
    reg.rules
        .iter()
        .map(|r| RuleDescriptor {
            code: r.code.clone(),
            name: r.name.clone(),
            default_severity: r.severity,
            summary: r.summary.clone(),
            full_description: r.docs.what.trim().to_string(),
            help_markdown: format!(
                "{}\n\n**Why:** {}\n\n**Fix:** {}",
                r.docs.what.trim(),
                r.docs.why.trim(),
                r.docs.fix.trim()
            ),
            help_uri: reg.doc_url(r),
            tags: r.tags.clone(),
            security_severity: r.security_severity,
        })
        .collect()
}

fn parse_vars(vars: &[String]) -> Result<Vec<(String, String)>, String> {
    vars.iter()
        .map(|v| match v.split_once('=') {
            Some((k, val)) if !k.trim().is_empty() => Ok((k.trim().to_string(), val.to_string())),
            _ => Err(format!("--var `{v}` must be NAME=VALUE")),
        })
        .collect()
}

/// A word of a command line, quoted for a POSIX shell when it needs to be.
fn shell_word(w: &str) -> String {
    if !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', "'\\''"))
    }
}

/// The `policy-lint baseline` command that records what this `check` reports (same paths and
/// the options that decide the findings) into `out`.
fn baseline_command(req: &CheckRequest, out: &Path) -> String {
    let mut words: Vec<String> = vec!["policy-lint".into(), "baseline".into()];
    let paths = if req.paths.is_empty() {
        vec![".".to_string()]
    } else {
        req.paths.iter().map(|p| p.display().to_string()).collect()
    };
    words.extend(paths);
    let mut opt = |name: &str, value: String| {
        words.push(name.into());
        words.push(value);
    };
    if let Some(c) = &req.config {
        opt("--config", c.display().to_string());
    }
    if let Some(e) = &req.environment {
        opt("--environment", e.clone());
    }
    for v in &req.vars {
        opt("--var", v.clone());
    }
    for f in &req.var_files {
        opt("--var-file", f.display().to_string());
    }
    if !req.select.is_empty() {
        opt("--select", req.select.join(","));
    }
    if !req.ignore.is_empty() {
        opt("--ignore", req.ignore.join(","));
    }
    opt("--output", out.display().to_string());
    words
        .iter()
        .map(|w| shell_word(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// How long the run took: measured, or `POLICY_LINT_ELAPSED_MS` (for tests and snapshots).
fn elapsed_since(start: std::time::Instant) -> std::time::Duration {
    std::env::var("POLICY_LINT_ELAPSED_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(std::time::Duration::from_millis)
        .unwrap_or_else(|| start.elapsed())
}

/// The evaluation inputs of a run: `--var`, `--var-file` (which must exist), `TF_VAR_*`,
/// `TF_WORKSPACE` and `TF_DATA_DIR`, as `terraform plan` reads them. The error is for the user.
pub fn eval_options(vars: &[String], var_files: &[PathBuf]) -> Result<EvalOptions, String> {
    let vars = parse_vars(vars)?;
    for f in var_files {
        if !f.is_file() {
            return Err(format!("--var-file `{}` does not exist", f.display()));
        }
    }
    let env_vars: Vec<(String, String)> = std::env::vars()
        .filter_map(|(k, v)| k.strip_prefix("TF_VAR_").map(|n| (n.to_string(), v)))
        .collect();
    Ok(EvalOptions {
        vars,
        var_files: var_files.to_vec(),
        env_vars,
        workspace: std::env::var("TF_WORKSPACE").unwrap_or_default(),
        tf_data_dir: std::env::var_os("TF_DATA_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from),
        types: None,
        plan: None,
        world: Vec::new(),
    })
}

pub fn check(req: CheckRequest) -> u8 {
    let started = std::time::Instant::now();
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let eval = match eval_options(&req.vars, &req.var_files) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let plans = match crate::plan::Plans::load(&req.plans, &cwd) {
        Ok(p) => std::sync::Arc::new(p),
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let opts = Options {
        paths: req.paths.clone(),
        cwd: cwd.clone(),
        eval,
        environment: req.environment.clone(),
        plans,
        select: req.select.clone(),
        ignore: req.ignore.clone(),
        strict: req.strict,
        threads: req.threads,
        extra_types: Vec::new(),
    };
    // Read the baseline before the run: a file that cannot be used stops here (`baseline`,
    // which writes one, ignores it).
    let base = match req
        .baseline
        .as_ref()
        .filter(|_| req.write_baseline.is_none())
    {
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: cannot read baseline `{}`: {e}", path.display());
                    return 2;
                }
            };
            let regenerate = baseline_command(&req, path);
            match baseline::parse(&text, &path.display().to_string(), &regenerate) {
                Ok(b) => Some((b, regenerate)),
                Err(e) => {
                    eprintln!("error: {e}");
                    return 2;
                }
            }
        }
        None => None,
    };
    // `--config` applies to every file; otherwise each directory follows its nearest
    // policy-lint.toml.
    let mut run_once = || -> Result<(engine::Outcome, Registry), u8> {
        match &req.config {
            Some(path) => {
                let (reg, config) = load_setup(Some(path), &cwd)?;
                match engine::run(&opts, &config, &reg) {
                    Ok(o) => Ok((o, reg)),
                    Err(e) => {
                        eprintln!("error: {e}");
                        Err(2)
                    }
                }
            }
            None => {
                let builtin = Registry::builtin().map_err(report_error)?;
                match engine::run_nearest(&opts, builtin) {
                    Ok(x) => Ok(x),
                    Err(SetupError::Config(e)) => Err(report_error(*e)),
                    Err(SetupError::Rules(e)) => Err(report_error(*e)),
                    Err(SetupError::Other(e)) => {
                        eprintln!("error: {e}");
                        Err(2)
                    }
                }
            }
        }
    };
    let fixing = req.fix || req.diff;
    let (outcome, reg, fixed) = if fixing {
        let named = req.paths.iter().filter(|p| p.is_file()).cloned().collect();
        let fix_req = crate::fix::Request {
            unsafe_fixes: req.unsafe_fixes,
            diff: req.diff,
            named,
        };
        match crate::fix::run(&fix_req, &mut run_once) {
            Ok(a) => {
                for n in &a.notes {
                    eprintln!("policy-lint: {n}");
                }
                if req.diff {
                    // What --fix would change, nothing else; exit 1 when there is something.
                    print!("{}", a.diff);
                    if !req.quiet {
                        eprintln!(
                            "policy-lint: {} fix{} would change {} file{}",
                            a.fixed,
                            if a.fixed == 1 { "" } else { "es" },
                            a.files.len(),
                            if a.files.len() == 1 { "" } else { "s" }
                        );
                    }
                    return u8::from(!a.diff.is_empty());
                }
                (a.outcome, a.registry, Some((a.fixed, a.withheld)))
            }
            Err(c) => return c,
        }
    } else {
        match run_once() {
            Ok((o, r)) => (o, r, None),
            Err(c) => return c,
        }
    };
    // One SARIF run has one category: configurations that disagree need --sarif-category.
    let categories: BTreeSet<&str> = outcome
        .sarif_categories
        .iter()
        .map(|(_, c)| c.as_str())
        .collect();
    if req.format == Format::Sarif && req.sarif_category.is_none() && categories.len() > 1 {
        eprintln!(
            "error: the configurations of this run set different `[sarif] category` values ({}); one SARIF run has one category: pass --sarif-category",
            outcome
                .sarif_categories
                .iter()
                .map(|(p, c)| format!("`{c}` in {p}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        return 2;
    }
    let category = req
        .sarif_category
        .clone()
        .or(categories.first().map(|c| c.to_string()));
    let mut findings = outcome.findings;
    let on = |code: &str| {
        outcome
            .not_run
            .binary_search_by(|c| c.as_str().cmp(code))
            .is_err()
    };
    // Write a baseline.
    if let Some(path) = &req.write_baseline {
        let base = baseline::of(&findings, &outcome.sources, &outcome.repo_root);
        let n = base.findings.len();
        if let Err(e) = std::fs::write(path, baseline::render(&base)) {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            return 2;
        }
        if !req.quiet {
            eprintln!(
                "policy-lint: wrote a baseline of {n} findings to {}",
                path.display()
            );
        }
        return 0;
    }
    // Apply a baseline.
    let mut baselined = 0usize;
    let baseline_applied = base.is_some();
    if let Some((base, regenerate)) = base {
        // An entry of a rule that did not run (deselected, turned off) is not stale; an EVAL001
        // stands for the rules named at the start of its message.
        let ran = |e: &baseline::Entry| {
            if e.code != "EVAL001" {
                return on(&e.code);
            }
            let origins = engine::stamp::eval_origins(&e.message);
            on("EVAL001") && (origins.is_empty() || origins.iter().any(|c| on(c)))
        };
        let applied = baseline::apply(&mut findings, base, &ran);
        baselined = applied.baselined;
        let stale = applied.stale;
        if !stale.is_empty() && !req.quiet {
            let files: BTreeSet<&str> = stale.iter().map(|e| e.file.as_str()).collect();
            eprintln!(
                "policy-lint: {} baseline entr{} no longer match any finding (fixed or changed) in {}; once this run passes, regenerate the baseline with `{regenerate}` so it only shrinks",
                stale.len(),
                if stale.len() == 1 { "y" } else { "ies" },
                files.into_iter().collect::<Vec<_>>().join(", "),
            );
        }
    }
    let mut summary = Summary::of(&findings);
    summary.baselined = baselined;
    summary.files = outcome.files_checked;
    summary.skipped = outcome.skipped.clone();
    summary.notices = outcome.notices.clone();
    summary.not_run = outcome.not_run.clone();
    summary.baseline_applied = baseline_applied;
    if let Some((n, w)) = fixed {
        summary.fixed = n;
        summary.withheld = w;
    }
    summary.elapsed = Some(elapsed_since(started));
    let rules = descriptors(&reg);
    let report = Report {
        findings: &findings,
        sources: &outcome.sources,
        rules: &rules,
        summary: &summary,
        repo_root: &outcome.repo_root,
        tool_version: env!("CARGO_PKG_VERSION"),
        sarif_category: category.as_deref(),
    };
    // Colour, box drawing and width for the human-readable formats; a report written to a
    // file gets no colour unless asked.
    let mut caps = crate::term::stdout_caps(match req.color {
        Color::Always => Some(true),
        Color::Never => Some(false),
        Color::Auto if req.output.is_some() => Some(false),
        Color::Auto => None,
    });
    if req.output.is_some() {
        caps.width = crate::term::DEFAULT_WIDTH;
    }
    let text_opts = output::PrettyOptions {
        caps,
        show_urls: req.show_urls,
        verbose: req.verbose,
        quiet: req.quiet,
        cwd: std::fs::canonicalize(&cwd).ok(),
    };
    let render = || match req.format {
        Format::Pretty => output::render_pretty(&report, &text_opts),
        Format::Concise => output::render_concise(&report, &text_opts),
        Format::Json => output::render_json(&report),
        Format::Sarif => output::render_sarif(&report),
        Format::Github => output::render_github(&report),
        Format::Junit => output::render_junit(&report),
        Format::Gitlab => output::render_gitlab(&report),
    };
    // On the run's threads (the JSON formats render findings in parallel).
    let text = match crate::workers::pool(req.threads) {
        Ok(pool) => pool.install(render),
        Err(_) => render(),
    };
    match &req.output {
        Some(p) => {
            if let Err(e) = std::fs::write(p, &text) {
                eprintln!("error: cannot write `{}`: {e}", p.display());
                return 2;
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
        }
    }
    let threshold = match req.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Note => Some(Severity::Note),
        FailOn::Never => None,
    };
    let failing = threshold
        .map(|t| {
            findings
                .iter()
                .any(|f| f.suppression.is_none() && f.severity >= t)
        })
        .unwrap_or(false);
    // The process ends after this: the findings, sources and rule pack go back to the OS with it
    // instead of being freed one allocation at a time (tens of milliseconds on large runs).
    std::mem::forget((text, findings, outcome.sources, rules, reg));
    u8::from(failing)
}

pub fn rules(format: &str, config: Option<PathBuf>) -> u8 {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let (reg, _) = match load_setup(config.as_deref(), &cwd) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let imp = |c: &str| engine::is_implemented(&reg, c);
    let text = match format {
        "json" => registry::render_json(&reg, &imp),
        "markdown" => registry::render_markdown(&reg, &imp),
        _ => {
            // A table that fits the terminal; piped, one rule per paragraph.
            let caps = crate::term::stdout_caps(Some(false));
            crate::rules_table::render(&reg, &imp, caps.width, !caps.tty)
        }
    };
    print!("{text}");
    0
}

pub fn explain(rule: &str, config: Option<PathBuf>) -> u8 {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let (reg, _) = match load_setup(config.as_deref(), &cwd) {
        Ok(x) => x,
        Err(c) => return c,
    };
    match reg.get(rule) {
        Some(r) => {
            print!(
                "{}",
                registry::render_explain(&reg, r, engine::is_implemented(&reg, &r.code))
            );
            0
        }
        None => {
            eprintln!(
                "error: no rule `{rule}`{}; `policy-lint rules` lists them all",
                crate::suggest::did_you_mean(crate::suggest::rule(&reg, rule))
            );
            2
        }
    }
}

/// `policy-lint test [RULES] [--config FILE]`: runs the `[[tests]]` of the rules the
/// configuration loads (the built-in ones and those of its `rules_dirs`), or of the rules named.
/// Exit 0 when every case passes, 1 when one fails, 2 on a usage or configuration error.
pub fn test(rules: &[String], config: Option<PathBuf>) -> u8 {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let (reg, _) = match load_setup(config.as_deref(), &cwd) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let mut wanted: Vec<String> = Vec::new();
    for r in rules {
        match reg.get(r) {
            Some(def) => wanted.push(def.code.clone()),
            None => {
                eprintln!(
                    "error: `{r}` is not a rule code or name{}; `policy-lint rules` lists them all",
                    crate::suggest::did_you_mean(crate::suggest::rule(&reg, r))
                );
                return 2;
            }
        }
    }
    for code in &wanted {
        if let Some(def) = reg.get(code) {
            if def.tests.is_empty() {
                eprintln!(
                    "policy-lint: {} {} ({}) has no [[tests]]",
                    def.code, def.name, def.source_path
                );
            } else if !engine::is_implemented(&reg, code) {
                eprintln!(
                    "policy-lint: {} {} is not implemented yet: its [[tests]] are not run",
                    def.code, def.name
                );
            }
        }
    }
    let select = |r: &registry::RuleDef| wanted.is_empty() || wanted.contains(&r.code);
    let results = crate::ruletest::run(&reg, &select);
    if results.is_empty() {
        eprintln!("error: no [[tests]] case to run");
        return 2;
    }
    // Users' rules and the rules named are listed case by case; the built-in ones only when a
    // case fails.
    let show =
        |code: &str| wanted.iter().any(|w| w == code) || reg.get(code).is_some_and(|r| !r.builtin);
    print!("{}", crate::ruletest::render(&results, &show));
    let failed = results
        .iter()
        .any(|r| r.outcome != crate::ruletest::Outcome::Passed);
    u8::from(failed)
}
