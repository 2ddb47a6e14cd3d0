//! Automatic fixes (`check --fix`, `--unsafe-fixes`, `--diff`), compared by exact text.
//!
//! Layout: `fixtures/fix/<case>/input/` is a repository before the fix and
//! `fixtures/fix/<case>/expected/` the same repository after `policy-lint check --fix`, file by
//! file, byte for byte (CRLF, BOM, tabs and comments included). An `args` file in the case
//! directory adds options (`--unsafe-fixes`, `--environment dev`); an `paths` file names the
//! paths to check (pre-commit passes files), relative to the repository, one per line. Each
//! case also checks that a second `--fix` changes nothing and that `--diff` on the fixed tree
//! prints nothing and exits 0, and that `--diff` on the input writes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{code, repo_dir, stderr, stdout, write};

fn policy_lint(dir: &Path, args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_policy-lint"))
        .args(args)
        .current_dir(dir)
        .env("POLICY_LINT_TODAY", "2026-11-24")
        .env("POLICY_LINT_ELAPSED_MS", "10")
        .env_remove("TF_WORKSPACE")
        .env_remove("TF_DATA_DIR")
        .output()
        .expect("run policy-lint")
}

/// Every file under `dir` (relative path → bytes), `.git` left out.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for (rel, bytes) in tree(from) {
        let p = to.join(&rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fix");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures/fix")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

fn words(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| t.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The first difference between two trees, for the failure message.
fn difference(got: &BTreeMap<String, Vec<u8>>, want: &BTreeMap<String, Vec<u8>>) -> String {
    for (k, v) in want {
        match got.get(k) {
            None => return format!("{k} is missing"),
            Some(g) if g != v => {
                return format!(
                    "{k} differs:\n--- got ---\n{}\n--- expected ---\n{}",
                    String::from_utf8_lossy(g),
                    String::from_utf8_lossy(v)
                )
            }
            _ => {}
        }
    }
    for k in got.keys() {
        if !want.contains_key(k) {
            return format!("{k} is unexpected");
        }
    }
    String::new()
}

#[test]
fn every_fix_case_gives_its_expected_tree() {
    let all = cases();
    assert!(all.len() >= 10, "fixtures/fix holds the fix cases");
    let mut failures = Vec::new();
    for case in &all {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let input = case.join("input");
        let expected = tree(&case.join("expected"));
        let dir = repo_dir();
        copy_tree(&input, dir.path());
        let before = tree(dir.path());
        let mut args: Vec<String> = vec!["check".into(), "--format".into(), "concise".into()];
        args.extend(words(&case.join("args")));
        let paths = words(&case.join("paths"));
        args.extend(paths.iter().cloned());
        // --diff writes nothing and exits 1 when something would change.
        let mut diff_args = args.clone();
        diff_args.push("--diff".into());
        let d = policy_lint(dir.path(), &diff_args);
        if tree(dir.path()) != before {
            failures.push(format!("{name}: --diff wrote files"));
        }
        let changes = before != expected;
        if code(&d) != i32::from(changes) {
            failures.push(format!(
                "{name}: --diff exited {} (stdout {}; stderr {})",
                code(&d),
                stdout(&d),
                stderr(&d)
            ));
        }
        // --fix gives the expected tree.
        let mut fix_args = args.clone();
        fix_args.push("--fix".into());
        let o = policy_lint(dir.path(), &fix_args);
        let got = tree(dir.path());
        let diff = difference(&got, &expected);
        if !diff.is_empty() {
            failures.push(format!(
                "{name}: {diff}\nstdout:\n{}\nstderr:\n{}",
                stdout(&o),
                stderr(&o)
            ));
            continue;
        }
        if code(&o) == 2 {
            failures.push(format!("{name}: --fix exited 2: {}", stderr(&o)));
        }
        // The diff printed before is the change made.
        if changes && !stdout(&d).starts_with("--- a/") {
            failures.push(format!("{name}: --diff printed no diff: {}", stdout(&d)));
        }
        // A second run changes nothing, and --diff agrees.
        let again = policy_lint(dir.path(), &fix_args);
        if tree(dir.path()) != expected {
            failures.push(format!(
                "{name}: a second --fix changed files: {}",
                difference(&tree(dir.path()), &expected)
            ));
        }
        if code(&again) == 2 {
            failures.push(format!("{name}: second --fix exited 2: {}", stderr(&again)));
        }
        let d2 = policy_lint(dir.path(), &diff_args);
        if code(&d2) != 0 || !stdout(&d2).is_empty() {
            failures.push(format!(
                "{name}: --diff after --fix is not empty: {}",
                stdout(&d2)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A repository with fixes in several files: `--fix` reports only what remains, with the exit
/// code of what remains, the summary says how many were fixed, and the fixable line counts
/// unsafe fixes separately.
#[test]
fn fix_reports_what_remains_and_counts_fixes() {
    let dir = repo_dir();
    let tf = r#"resource "databricks_account_network_policy" "p" {
  network_policy_id = "prod-egress"
  egress = {
    network_access = {
      restriction_mode = "RESTRICTED_ACCESS"
      allowed_internet_destinations = [
        { destination = "https://PyPI.org/simple", internet_destination_type = "DNS_NAME" },
      ]
      policy_enforcement = {
        enforcement_mode = "DRY_RUN"
      }
    }
  }
}

resource "databricks_workspace_network_option" "p" {
  workspace_id      = "1234567890"
  network_policy_id = databricks_account_network_policy.p.network_policy_id
}
"#;
    write(dir.path(), "main.tf", tf);
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = vec!["check".into()];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    // Before: one safe fix (NET004), one unsafe (NET001).
    let o = policy_lint(dir.path(), &args(&[]));
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(
        out.trim_end()
            .ends_with("1 fixable with --fix (1 more with --unsafe-fixes)"),
        "{out}"
    );
    assert!(
        out.contains("fix: write the bare host `pypi.org` (safe: --fix)"),
        "{out}"
    );
    let j = policy_lint(dir.path(), &args(&["--format", "json"]));
    let v: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    let net004 = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "NET004")
        .unwrap();
    assert_eq!(net004["fix"]["applicability"], "safe");
    assert_eq!(net004["fix"]["edits"][0]["content"], "pypi.org");
    assert_eq!(net004["fix"]["edits"][0]["file"], "main.tf");
    assert_eq!(v["summary"]["fixable"], 1);
    assert_eq!(v["summary"]["unsafe_fixable"], 1);
    let s = policy_lint(dir.path(), &args(&["--format", "sarif"]));
    let v: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    let res = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "NET004")
        .unwrap();
    let rep = &res["fixes"][0]["artifactChanges"][0];
    assert_eq!(rep["artifactLocation"]["uri"], "main.tf");
    assert_eq!(
        rep["replacements"][0]["insertedContent"]["text"],
        "pypi.org"
    );
    assert_eq!(rep["replacements"][0]["deletedRegion"]["startLine"], 7);
    // --fix: the safe one; NET001 remains, exit 1.
    let o = policy_lint(dir.path(), &args(&["--fix", "--format", "concise"]));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("error[NET001]"), "{out}");
    assert!(!out.contains("NET004"), "{out}");
    assert!(out.contains("Fixed 1 finding."), "{out}");
    assert!(
        out.trim_end()
            .ends_with("1 fixable with --fix --unsafe-fixes"),
        "{out}"
    );
    let text = std::fs::read_to_string(dir.path().join("main.tf")).unwrap();
    assert_eq!(text, tf.replace("https://PyPI.org/simple", "pypi.org"));
    // --unsafe-fixes: NET001 too; nothing remains, exit 0.
    let o = policy_lint(dir.path(), &args(&["--fix", "--unsafe-fixes"]));
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let text = std::fs::read_to_string(dir.path().join("main.tf")).unwrap();
    assert_eq!(
        text,
        tf.replace("https://PyPI.org/simple", "pypi.org")
            .replace("\"DRY_RUN\"", "\"ENFORCED\"")
    );
}

/// `--select`/`--ignore` decide which fixes run; a suppressed finding is not fixed.
#[test]
fn select_ignore_and_suppressions_decide_which_fixes_run() {
    let dir = repo_dir();
    let tf = r#"resource "databricks_account_network_policy" "p" {
  network_policy_id = "prod-egress"
  egress = {
    network_access = {
      restriction_mode = "RESTRICTED_ACCESS"
      allowed_internet_destinations = [
        { destination = "https://pypi.org", internet_destination_type = "DNS_NAME" },
        # policy-lint:ignore NET004 reason="kept on purpose"
        { destination = "https://github.com", internet_destination_type = "DNS_NAME" },
      ]
      policy_enforcement = {
        enforcement_mode = "MONITOR_ONLY"
      }
    }
  }
}
"#;
    write(dir.path(), "main.tf", tf);
    let run = |extra: &[&str]| {
        let mut a: Vec<String> = vec!["check".into(), "--fix".into()];
        a.extend(extra.iter().map(|s| s.to_string()));
        policy_lint(dir.path(), &a)
    };
    run(&["--select", "TF001"]);
    let text = std::fs::read_to_string(dir.path().join("main.tf")).unwrap();
    assert_eq!(text, tf.replace("MONITOR_ONLY", "DRY_RUN"));
    run(&["--ignore", "NET004"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.tf")).unwrap(),
        text
    );
    run(&[]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.tf")).unwrap(),
        text.replace("\"https://pypi.org\"", "\"pypi.org\"")
    );
}

/// `policy-lint explain` says whether the rule has a fix, and which.
#[test]
fn explain_says_whether_a_rule_has_a_fix() {
    let dir = repo_dir();
    let o = policy_lint(dir.path(), &["explain".into(), "TF001".into()]);
    assert!(
        stdout(&o).contains("**Automatic fix** (safe, applied by `--fix`)"),
        "{}",
        stdout(&o)
    );
    let o = policy_lint(
        dir.path(),
        &["explain".into(), "egress-not-enforced".into()],
    );
    assert!(
        stdout(&o).contains("**Automatic fix** (unsafe, applied by `--fix --unsafe-fixes`)"),
        "{}",
        stdout(&o)
    );
    let o = policy_lint(dir.path(), &["explain".into(), "NET002".into()]);
    assert!(
        stdout(&o).contains("**Automatic fix:** none"),
        "{}",
        stdout(&o)
    );
}

/// A file that does not parse is never edited, and the run says so through SYN001 as usual.
#[test]
fn a_file_with_a_syntax_error_is_left_alone() {
    let dir = repo_dir();
    let text = "resource \"databricks_account_network_policy\" \"p\" {\n  egress = {\n";
    write(dir.path(), "main.tf", text);
    let o = policy_lint(dir.path(), &["check".into(), "--fix".into()]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stdout(&o).contains("SYN001"), "{}", stdout(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("main.tf")).unwrap(),
        text
    );
}

/// The example repository: `--diff` writes nothing and exits 1, `--fix` fixes in several files
/// in rounds (MONITOR_ONLY becomes DRY_RUN, which --unsafe-fixes then enforces), a second
/// `--fix` changes nothing, and every edited file still parses.
#[test]
fn the_example_repository_is_fixed_once() {
    let dir = repo_dir();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/insecure-workspace"),
        dir.path(),
    );
    let before = tree(dir.path());
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = vec!["check".into(), "--format".into(), "concise".into()];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let d = policy_lint(dir.path(), &args(&["--diff", "--unsafe-fixes"]));
    assert_eq!(code(&d), 1, "{}", stderr(&d));
    assert_eq!(tree(dir.path()), before, "--diff wrote files");
    let diff = stdout(&d);
    for f in [
        "--- a/main.tf",
        "--- a/terraform.tfvars",
        "--- a/modules/cmk/main.tf",
    ] {
        assert!(diff.contains(f), "{diff}");
    }
    let o = policy_lint(dir.path(), &args(&["--fix", "--unsafe-fixes"]));
    assert_ne!(code(&o), 2, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.contains("SYN001"), "{out}");
    assert!(out.contains("Fixed 5 findings."), "{out}");
    let fixed = tree(dir.path());
    assert_ne!(fixed, before);
    let main = String::from_utf8(fixed["main.tf"].clone()).unwrap();
    assert!(main.contains("enforcement_mode = \"ENFORCED\""), "{main}");
    assert!(
        main.contains("resource \"databricks_workspace_network_option\" \"this\""),
        "{main}"
    );
    let again = policy_lint(dir.path(), &args(&["--fix", "--unsafe-fixes"]));
    assert_eq!(tree(dir.path()), fixed, "a second --fix changed files");
    assert!(!stdout(&again).contains("Fixed"), "{}", stdout(&again));
    let d = policy_lint(dir.path(), &args(&["--diff", "--unsafe-fixes"]));
    assert_eq!(code(&d), 0);
    assert!(stdout(&d).is_empty());
}
