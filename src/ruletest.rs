//! The rule test harness: every `[[tests]]` case of a rule file is a run of its `source`,
//! written as `file` in a fresh directory, that must give exactly `expect` findings of the
//! rule's code (suppressed findings do not count). `policy-lint test` runs the cases of the
//! rules a configuration loads (users' `rules_dirs` included); the test suite runs those of the
//! built-in rules.

use crate::config::Config;
use crate::engine::{self, Options};
use crate::registry::{Registry, RuleDef, RuleTest};

/// The verdict of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// Expected and reported counts, and every finding of the run (`file:line CODE message`).
    Failed {
        expected: u32,
        got: usize,
        findings: Vec<String>,
    },
    /// The case could not be run (its parameters do not fit the rule, the run failed).
    Error(String),
}

/// One case and its verdict.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub code: String,
    pub name: String,
    /// The rule file.
    pub source_path: String,
    pub case: String,
    pub outcome: Outcome,
}

/// A parameter value as TOML.
fn toml_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => format!("{s:?}"),
        serde_json::Value::Array(a) => format!(
            "[{}]",
            a.iter().map(toml_value).collect::<Vec<_>>().join(", ")
        ),
        serde_json::Value::Object(o) => format!(
            "{{ {} }}",
            o.iter()
                .map(|(k, v)| format!("{k:?} = {}", toml_value(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// Runs one case of `rule`.
pub fn run_case(reg: &Registry, rule: &RuleDef, t: &RuleTest) -> Outcome {
    let dir = match tempfile_dir() {
        Ok(d) => d,
        Err(e) => return Outcome::Error(format!("cannot create a temporary directory: {e}")),
    };
    let result = run_in(reg, rule, t, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(reg: &Registry, rule: &RuleDef, t: &RuleTest, dir: &std::path::Path) -> Outcome {
    let path = dir.join(&t.file);
    if !path.starts_with(dir) || t.file.contains("..") {
        return Outcome::Error(format!("`file = {:?}` must be a relative path", t.file));
    }
    if let Some(p) = path.parent() {
        if let Err(e) = std::fs::create_dir_all(p) {
            return Outcome::Error(format!("cannot create {}: {e}", p.display()));
        }
    }
    if let Err(e) = std::fs::write(&path, &t.source) {
        return Outcome::Error(format!("cannot write {}: {e}", path.display()));
    }
    let mut cfg_text = String::new();
    if !t.params.is_empty() {
        cfg_text.push_str(&format!("[rules.{}]\n", rule.code));
        for (k, v) in &t.params {
            cfg_text.push_str(&format!("{k} = {}\n", toml_value(v)));
        }
    }
    let mut config = match Config::parse(&cfg_text, "params") {
        Ok(c) => c,
        Err(e) => return Outcome::Error(format!("invalid params: {e}")),
    };
    if let Err(e) = config.validate(reg) {
        return Outcome::Error(format!("invalid params: {e}"));
    }
    config.canonicalize(reg);
    let opts = Options {
        paths: vec![dir.to_path_buf()],
        cwd: dir.to_path_buf(),
        environment: t.environment.clone(),
        threads: 1,
        ..Options::default()
    };
    let outcome = match engine::run(&opts, &config, reg) {
        Ok(o) => o,
        Err(e) => return Outcome::Error(e),
    };
    let got = outcome
        .findings
        .iter()
        .filter(|f| f.code == rule.code && f.suppression.is_none())
        .count();
    if got == t.expect as usize {
        return Outcome::Passed;
    }
    let findings = outcome
        .findings
        .iter()
        .map(|f| {
            let file = outcome.sources.get(f.loc.file);
            format!(
                "{}:{} {} {}",
                file.display,
                file.line_col(f.loc.start).line,
                f.code,
                f.message
            )
        })
        .collect();
    Outcome::Failed {
        expected: t.expect,
        got,
        findings,
    }
}

/// A fresh temporary directory.
fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::temp_dir();
    for _ in 0..100 {
        let d = base.join(format!(
            "policy-lint-test-{}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        match std::fs::create_dir(&d) {
            Ok(()) => return Ok(d),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary directory name"))
}

/// Runs every case of the rules `select` keeps whose check exists (a rule whose check is not
/// implemented reports nothing, so its cases say nothing about it), in catalogue order.
pub fn run(reg: &Registry, select: &dyn Fn(&RuleDef) -> bool) -> Vec<CaseResult> {
    let cases: Vec<(&RuleDef, &RuleTest)> = reg
        .rules
        .iter()
        .filter(|r| select(r) && engine::is_implemented(reg, &r.code))
        .flat_map(|r| r.tests.iter().map(move |t| (r, t)))
        .collect();
    cases
        .iter()
        .map(|(r, t)| CaseResult {
            code: r.code.clone(),
            name: r.name.clone(),
            source_path: r.source_path.clone(),
            case: t.name.clone(),
            outcome: run_case(reg, r, t),
        })
        .collect()
}

/// The report of `policy-lint test`: each rule with its cases (the passing ones only for the
/// rules `show_passes` names), failures with what was found, then `N passed, N failed`.
pub fn render(results: &[CaseResult], show_passes: &dyn Fn(&str) -> bool) -> String {
    let mut out = String::new();
    let mut current = "";
    for r in results {
        let rule_failed = results
            .iter()
            .any(|x| x.code == r.code && x.outcome != Outcome::Passed);
        if !show_passes(&r.code) && !rule_failed {
            continue;
        }
        if r.code != current {
            out.push_str(&format!("{} {} ({})\n", r.code, r.name, r.source_path));
            current = &r.code;
        }
        match &r.outcome {
            Outcome::Passed => out.push_str(&format!("  ok    {}\n", r.case)),
            Outcome::Failed {
                expected,
                got,
                findings,
            } => {
                out.push_str(&format!(
                    "  FAIL  {}: expected {expected} finding{} of {}, got {got}\n",
                    r.case,
                    if *expected == 1 { "" } else { "s" },
                    r.code
                ));
                for f in findings {
                    out.push_str(&format!("          {f}\n"));
                }
                if findings.is_empty() {
                    out.push_str("          (no findings at all)\n");
                }
            }
            Outcome::Error(e) => {
                out.push_str(&format!("  ERROR {}: {e}\n", r.case));
            }
        }
    }
    let passed = results
        .iter()
        .filter(|r| r.outcome == Outcome::Passed)
        .count();
    let failed = results.len() - passed;
    let rules: std::collections::BTreeSet<&str> = results.iter().map(|r| r.code.as_str()).collect();
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&format!(
        "{} rule{}, {} case{}: {passed} passed, {failed} failed\n",
        rules.len(),
        if rules.len() == 1 { "" } else { "s" },
        results.len(),
        if results.len() == 1 { "" } else { "s" },
    ));
    out
}
