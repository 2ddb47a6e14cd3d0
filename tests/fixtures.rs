//! Annotated fixtures, checked both ways: every `# expect: CODE` annotation (on the line the
//! finding must point at) is found, and nothing unannotated is reported.
//!
//! Layout: `fixtures/<group>/<case>/` is one run (a directory of Terraform and JSON files, with an
//! optional `policy-lint.toml`; subdirectories may have their own, which apply as the nearest
//! configuration). Annotations: `# expect: CODE[, CODE]` or `// expect: CODE` at
//! the end of the line the finding points at; JSON files list theirs in `<file>.expect`
//! as `LINE CODE` lines. An `args` file in the case directory adds command-line options
//! (`--environment dev`, `--var name=value`, `--var-file x.tfvars`, `--strict`, `--plan FILE`).
//! `fixtures/fix/` is not annotated: its before/after trees are checked by tests/fix.rs.

use policy_lint::engine::{self, Options};
use policy_lint::eval::EvalOptions;
use policy_lint::registry::Registry;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out = Vec::new();
    for g in std::fs::read_dir(&root).expect("fixtures/") {
        let g = g.unwrap().path();
        // `fixtures/fix/` holds before/after trees of `--fix`, checked by tests/fix.rs.
        if !g.is_dir() || g.file_name().is_some_and(|n| n == "fix") {
            continue;
        }
        for c in std::fs::read_dir(&g).unwrap() {
            let c = c.unwrap().path();
            if c.is_dir() {
                out.push(c);
            }
        }
    }
    out.sort();
    out
}

fn expectations(dir: &Path) -> BTreeSet<(String, u32, String)> {
    let mut out = BTreeSet::new();
    for e in walk(dir) {
        let rel = e
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let name = e.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".expect") {
            let target = rel.trim_end_matches(".expect").to_string();
            for l in std::fs::read_to_string(&e).unwrap().lines() {
                let l = l.trim();
                if l.is_empty() || l.starts_with('#') {
                    continue;
                }
                let (line, code) = l.split_once(' ').expect("LINE CODE");
                out.insert((
                    target.clone(),
                    line.parse().unwrap(),
                    code.trim().to_string(),
                ));
            }
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&e) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            for marker in ["# expect:", "// expect:"] {
                if let Some(pos) = line.find(marker) {
                    for code in line[pos + marker.len()..].split(',') {
                        let code = code.trim();
                        if !code.is_empty() {
                            out.insert((rel.clone(), i as u32 + 1, code.to_string()));
                        }
                    }
                }
            }
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn run_case(dir: &Path) -> (BTreeSet<(String, u32, String)>, Vec<String>) {
    let reg = Registry::builtin().expect("built-in rules");
    let mut opts = Options {
        paths: vec![dir.to_path_buf()],
        cwd: dir.to_path_buf(),
        eval: EvalOptions::default(),
        ..Options::default()
    };
    if let Ok(args) = std::fs::read_to_string(dir.join("args")) {
        let words: Vec<&str> = args.split_whitespace().collect();
        let mut i = 0;
        while i < words.len() {
            match words[i] {
                "--environment" => {
                    opts.environment = Some(words[i + 1].to_string());
                    i += 1;
                }
                "--var" => {
                    let (k, v) = words[i + 1].split_once('=').unwrap();
                    opts.eval.vars.push((k.to_string(), v.to_string()));
                    i += 1;
                }
                "--var-file" => {
                    opts.eval.var_files.push(dir.join(words[i + 1]));
                    i += 1;
                }
                "--env" => {
                    let (k, v) = words[i + 1].split_once('=').unwrap();
                    opts.eval.env_vars.push((k.to_string(), v.to_string()));
                    i += 1;
                }
                "--strict" => opts.strict = true,
                "--plan" => {
                    opts.plans = std::sync::Arc::new(
                        policy_lint::plan::Plans::load(&[words[i + 1].to_string()], dir)
                            .expect("the fixture's plan loads"),
                    );
                    i += 1;
                }
                other => panic!("unknown fixture arg {other}"),
            }
            i += 1;
        }
    }
    // As the command line does without --config: each directory follows its nearest
    // policy-lint.toml (the case's own, or one in a subdirectory).
    let (outcome, _) = engine::run_nearest(&opts, reg)
        .unwrap_or_else(|e| panic!("{}: the run fails: {e}", dir.display()));
    let canon = std::fs::canonicalize(dir).unwrap();
    let mut got = BTreeSet::new();
    let mut shown = Vec::new();
    for f in &outcome.findings {
        if f.suppression.is_some() {
            continue;
        }
        let file = outcome.sources.get(f.loc.file);
        let rel = file
            .path
            .strip_prefix(&canon)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| file.display.clone());
        let line = file.line_col(f.loc.start).line;
        shown.push(format!("{rel}:{line}: {} {}", f.code, f.message));
        got.insert((rel, line, f.code.clone()));
    }
    (got, shown)
}

#[test]
fn fixtures_produce_exactly_their_annotations() {
    let mut failures = Vec::new();
    let all = cases();
    assert!(all.len() >= 10, "fixtures/ holds the annotated cases");
    for dir in all {
        let want = expectations(&dir);
        let (got, shown) = run_case(&dir);
        let missing: Vec<_> = want.difference(&got).collect();
        let unexpected: Vec<_> = got.difference(&want).collect();
        if !missing.is_empty() || !unexpected.is_empty() {
            failures.push(format!(
                "{}:\n  missing: {missing:?}\n  unexpected: {unexpected:?}\n  all findings:\n    {}",
                dir.display(),
                shown.join("\n    ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
