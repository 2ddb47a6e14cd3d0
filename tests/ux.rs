//! The command line as a new user meets it: did-you-mean, help texts, completions, the
//! human-readable formats in different terminals, suppression near misses and `policy-lint test`.

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{code, repo_dir as repo, stderr as err, stdout as out, write, BAD_TF};

/// Runs policy-lint in `dir` with a neutral environment (no colour, UTF-8 locale, fixed time)
/// plus `env`.
fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_policy-lint"))
        .args(args)
        .current_dir(dir)
        .env("POLICY_LINT_TODAY", "2026-11-24")
        .env("POLICY_LINT_ELAPSED_MS", "10")
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_CTYPE")
        .env_remove("TERM")
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .env_remove("TF_WORKSPACE")
        .env_remove("TF_DATA_DIR")
        .envs(env.iter().copied())
        .output()
        .expect("run policy-lint")
}

fn run(dir: &Path, args: &[&str]) -> Output {
    run_env(dir, args, &[])
}

#[test]
fn a_mistyped_subcommand_gets_did_you_mean_and_a_real_directory_is_checked() {
    let d = repo();
    write(d.path(), "main.tf", BAD_TF);
    let o = run(d.path(), &["chekc"]);
    assert_eq!(code(&o), 2, "{}", err(&o));
    assert!(
        err(&o).contains("a similar subcommand exists: `check`"),
        "{}",
        err(&o)
    );
    assert!(!err(&o).contains(d.path().to_str().unwrap()), "{}", err(&o));
    let o = run(d.path(), &["explian", "NET002"]);
    assert!(err(&o).contains("`explain`"), "{}", err(&o));
    // A path that exists is checked, whatever its name.
    write(d.path(), "chekc/main.tf", BAD_TF);
    let o = run(d.path(), &["chekc", "--format", "concise"]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    assert!(out(&o).starts_with("chekc/main.tf:"), "{}", out(&o));
    // A subcommand word is always the subcommand; `./test` is the directory.
    write(d.path(), "test/main.tf", BAD_TF);
    let o = run(d.path(), &["./test", "--format", "concise"]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    let o = run(d.path(), &["test", "NET002"]);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    assert!(
        out(&o).contains("NET002 egress-unrestricted"),
        "{}",
        out(&o)
    );
    // A missing path is named as typed.
    let o = run(d.path(), &["check", "nowhere"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("`nowhere` does not exist"), "{}", err(&o));
}

#[test]
fn mistyped_flags_rule_codes_and_names_get_the_nearest_one() {
    let d = repo();
    write(d.path(), "main.tf", BAD_TF);
    let o = run(d.path(), &["--selct", "NET002"]);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("a similar argument exists: '--select'"),
        "{}",
        err(&o)
    );
    let o = run(d.path(), &["check", "--select", "net02"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("did you mean `NET002`?"), "{}", err(&o));
    let o = run(d.path(), &["check", "--ignore", "egress-unrestrcted"]);
    assert_eq!(code(&o), 2);
    assert!(
        err(&o).contains("did you mean `egress-unrestricted`?"),
        "{}",
        err(&o)
    );
    let o = run(d.path(), &["explain", "NET03"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("did you mean `NET003`?"), "{}", err(&o));
    // The configuration: the same suggestion, an error titled in words, the path as typed.
    write(
        d.path(),
        "policy-lint.toml",
        "[rules.net02]\nseverity = \"note\"\n",
    );
    let o = run(d.path(), &["check"]);
    assert_eq!(code(&o), 2);
    let e = err(&o);
    assert!(e.contains("did you mean `NET002`?"), "{e}");
    assert!(e.contains("invalid configuration"), "{e}");
    assert!(
        !e.contains("policy_lint::"),
        "a module path as the title: {e}"
    );
    assert!(e.contains("policy-lint.toml:1"), "{e}");
    assert!(!e.contains(d.path().to_str().unwrap()), "{e}");
}

#[test]
fn help_shows_the_implicit_form_exit_codes_examples_and_every_flag() {
    let d = repo();
    let o = run(d.path(), &["--help"]);
    assert_eq!(code(&o), 0);
    let h = out(&o);
    assert!(h.contains("policy-lint [OPTIONS] [PATHS]..."), "{h}");
    assert!(h.contains("Exit codes:"), "{h}");
    assert!(h.contains("Examples:"), "{h}");
    for sub in [
        "check",
        "baseline",
        "rules",
        "explain",
        "test",
        "completions",
    ] {
        assert!(h.contains(&format!("  {sub} ")), "{sub} in {h}");
    }
    let check = out(&run(d.path(), &["check", "--help"]));
    assert!(check.contains("--format <FORMAT>"), "{check}");
    assert!(check.contains("concise (one line per finding)"), "{check}");
    assert!(check.contains("--show-urls"), "{check}");
    assert!(check.contains("--verbose"), "{check}");
    let explain = out(&run(d.path(), &["explain", "--help"]));
    assert!(
        explain.contains("--config <FILE>  Configuration file"),
        "{explain}"
    );
    let baseline = out(&run(d.path(), &["baseline", "--help"]));
    for ignored in [
        "--format",
        "--fail-on",
        "--color",
        "--baseline <",
        "--strict",
    ] {
        assert!(!baseline.contains(ignored), "{ignored} in {baseline}");
    }
    assert!(baseline.contains("--output <FILE>"), "{baseline}");
    // `baseline` without --output is a usage error.
    let o = run(d.path(), &["baseline", "."]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("--output"), "{}", err(&o));
}

#[test]
fn completions_for_each_shell() {
    let d = repo();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef policy-lint"),
        ("fish", "complete -c policy-lint"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let o = run(d.path(), &["completions", shell]);
        assert_eq!(code(&o), 0, "{shell}: {}", err(&o));
        let s = out(&o);
        assert!(s.contains(marker), "{shell}: {s}");
        assert!(s.contains("explain") && s.contains("select"), "{shell}");
    }
    let o = run(d.path(), &["completions", "tcsh"]);
    assert_eq!(code(&o), 2);
}

#[test]
fn concise_is_one_line_per_finding() {
    let d = repo();
    write(d.path(), "infra/main.tf", BAD_TF);
    let o = run(d.path(), &["check", "--format", "concise"]);
    assert_eq!(code(&o), 1, "{}", err(&o));
    let s = out(&o);
    let lines: Vec<&str> = s.lines().collect();
    assert_eq!(lines.len(), 2, "{s}");
    assert!(
        lines[0].starts_with("infra/main.tf:5:26: error[NET002] "),
        "{s}"
    );
    assert_eq!(lines[1], "1 error, 0 warnings, 0 notes in 1 file");
    // From a subdirectory, paths are relative to it.
    let o = run(&d.path().join("infra"), &["--format", "concise", "-q"]);
    assert!(
        out(&o).starts_with("main.tf:5:26: error[NET002] "),
        "{}",
        out(&o)
    );
}

#[test]
fn pretty_output_follows_the_terminal() {
    let d = repo();
    write(d.path(), "main.tf", BAD_TF);
    let pretty = |env: &[(&str, &str)], extra: &[&str]| {
        let mut args = vec!["check"];
        args.extend(extra);
        out(&run_env(d.path(), &args, env))
    };
    let utf8 = pretty(&[], &[]);
    assert!(
        utf8.starts_with("error[NET002] egress-unrestricted: "),
        "{utf8}"
    );
    assert!(utf8.contains('╭'), "box drawing in a UTF-8 locale: {utf8}");
    assert!(!utf8.contains('\u{1b}'), "no colour under a pipe");
    assert!(
        utf8.contains("Documentation:\n  NET002 egress-unrestricted"),
        "{utf8}"
    );
    assert!(utf8.contains("Checked in 0.01s."), "{utf8}");
    assert!(
        utf8.contains("hint: `policy-lint explain NET002`"),
        "{utf8}"
    );
    for env in [
        &[("TERM", "dumb")][..],
        &[("LANG", "C")][..],
        &[("LC_ALL", "POSIX")][..],
    ] {
        let ascii = pretty(env, &[]);
        assert!(ascii.is_ascii(), "{env:?}: {ascii}");
        assert!(ascii.contains(",-[main.tf:5:26]"), "{env:?}: {ascii}");
    }
    let coloured = pretty(&[], &["--color", "always"]);
    assert!(
        coloured.contains("\u{1b}[1;31merror[NET002]\u{1b}[0m"),
        "{coloured}"
    );
    let no_color = pretty(&[("NO_COLOR", "1")], &["--color", "auto"]);
    assert!(!no_color.contains('\u{1b}'));
    let urls = pretty(&[], &["--show-urls"]);
    assert!(urls.contains("  = docs: https://"), "{urls}");
    assert!(!urls.contains("Documentation:"), "{urls}");
    let timed = pretty(&[("POLICY_LINT_ELAPSED_MS", "1234")], &[]);
    assert!(timed.contains("Checked in 1.23s."), "{timed}");
    // A narrow terminal wraps the hint between words.
    let narrow = pretty(&[("COLUMNS", "50")], &[]);
    let hint: Vec<&str> = narrow
        .lines()
        .skip_while(|l| !l.starts_with("hint:"))
        .collect();
    assert!(hint.len() > 2, "{narrow}");
    assert!(hint.iter().all(|l| l.chars().count() <= 50), "{narrow}");
}

#[test]
fn eval001_notes_are_one_line_unless_verbose() {
    let d = repo();
    write(
        d.path(),
        "main.tf",
        r#"variable "mode" {}

resource "databricks_account_network_policy" "p" {
  network_policy_id = "prod-egress"
  egress = {
    network_access = {
      restriction_mode = var.mode
      policy_enforcement = {
        enforcement_mode = "ENFORCED"
      }
    }
  }
}

resource "databricks_workspace_network_option" "p" {
  workspace_id      = "1234567890"
  network_policy_id = databricks_account_network_policy.p.network_policy_id
}
"#,
    );
    let compact = out(&run(d.path(), &["check"]));
    let line = compact
        .lines()
        .find(|l| l.starts_with("note[EVAL001] unresolved-value: main.tf:7:26: "))
        .unwrap_or_else(|| panic!("{compact}"));
    assert!(line.contains("var.mode"), "{line}");
    assert!(line.contains("--var mode="), "the input to set: {line}");
    assert!(!compact.contains("╭"), "{compact}");
    let verbose = out(&run(d.path(), &["check", "--verbose"]));
    assert!(verbose.contains("╭─[main.tf:7:26]"), "{verbose}");
}

fn suppressed(comment: &str) -> String {
    BAD_TF.replacen(
        "resource \"databricks_account_network_policy\"",
        &format!("{comment}\nresource \"databricks_account_network_policy\""),
        1,
    )
}

fn findings(o: &Output) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let mut f: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"] != true)
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["help"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    f.sort();
    f
}

#[test]
fn suppression_near_misses_are_reported_with_the_form_that_works() {
    let d = repo();
    let check = |comment: &str| {
        write(d.path(), "main.tf", &suppressed(comment));
        findings(&run(d.path(), &["check", "--format", "json"]))
    };
    for comment in [
        "# policy-lint: ignore NET002 reason=\"sandbox\"",
        "# policy-lint:disable NET002 reason=\"sandbox\"",
        "# Policy-Lint:Ignore NET002 reason=\"sandbox\"",
        "# noqa: NET002",
        "// policy_lint:ignore egress-unrestricted reason=\"sandbox\"",
    ] {
        let f = check(comment);
        let codes: Vec<&str> = f.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(codes, ["NET002", "SUP004"], "{comment}");
        let help = &f[1].1;
        assert!(
            help.contains("policy-lint:ignore NET002 reason="),
            "{comment}: {help}"
        );
    }
    // Other tools' markers are left alone.
    let f = check("# noqa: E501");
    assert_eq!(
        f.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        ["NET002"]
    );
    // `, ` between codes is accepted.
    let f = check("# policy-lint:ignore NET002, NET005 reason=\"sandbox\"");
    assert!(f.is_empty(), "{f:?}");
    // An unknown code: SUP003 with the nearest rule.
    let f = check("# policy-lint:ignore NET02 reason=\"sandbox\"");
    assert_eq!(f[1].0, "SUP003", "{f:?}");
    assert!(
        f[1].1.contains("did you mean `NET002` for `NET02`?"),
        "{f:?}"
    );
}

const USER_RULE: &str = r#"code = "ACME001"
name = "kms-deletion-window-not-30"
severity = "warning"
category = "kms"
summary = "An aws_kms_key does not set deletion_window_in_days = 30"

[assert]
resource = "aws_kms_key"
attribute = "deletion_window_in_days"
equals = 30
absent = "fail"
message = "`{attribute}` is {value} on {address}; use {expected}."

[docs]
what = "Reports an `aws_kms_key` whose `deletion_window_in_days` is not 30."
why = "The longest window gives the most time to notice a mistaken deletion."
fix = "Set `deletion_window_in_days = 30`."

[[tests]]
name = "a 7-day window is reported"
file = "main.tf"
source = '''
resource "aws_kms_key" "k" {
  deletion_window_in_days = 7
}
'''
expect = EXPECT

[[tests]]
name = "30 days is quiet"
file = "main.tf"
source = '''
resource "aws_kms_key" "k" {
  deletion_window_in_days = 30
}
'''
expect = 0
"#;

#[test]
fn policy_lint_test_runs_users_rule_tests() {
    let d = repo();
    write(
        d.path(),
        "policy-lint.toml",
        "rules_dirs = [\"policy/rules\"]\n",
    );
    let rule = write(
        d.path(),
        "policy/rules/ACME001.toml",
        &USER_RULE.replace("EXPECT", "1"),
    );
    let o = run(d.path(), &["test"]);
    assert_eq!(code(&o), 0, "{}{}", out(&o), err(&o));
    let s = out(&o);
    assert!(s.contains("ACME001 kms-deletion-window-not-30"), "{s}");
    assert!(s.contains("  ok    a 7-day window is reported"), "{s}");
    assert!(s.contains(" 0 failed"), "{s}");
    // A test that does not hold fails the command.
    std::fs::write(&rule, USER_RULE.replace("EXPECT", "5")).unwrap();
    let o = run(
        d.path(),
        &["test", "--config", "policy-lint.toml", "ACME001"],
    );
    assert_eq!(code(&o), 1, "{}{}", out(&o), err(&o));
    let s = out(&o);
    assert!(
        s.contains("  FAIL  a 7-day window is reported: expected 5 findings of ACME001, got 1"),
        "{s}"
    );
    assert!(s.contains("1 rule, 2 cases: 1 passed, 1 failed"), "{s}");
    // An unknown rule is a usage error with the nearest one.
    let o = run(d.path(), &["test", "ACME01"]);
    assert_eq!(code(&o), 2);
    assert!(err(&o).contains("did you mean `ACME001`?"), "{}", err(&o));
}

#[test]
fn users_rules_link_to_their_doc_url_or_nothing() {
    let d = repo();
    write(
        d.path(),
        "policy-lint.toml",
        "rules_dirs = [\"policy/rules\"]\n",
    );
    write(
        d.path(),
        "policy/rules/ACME001.toml",
        &USER_RULE.replace("EXPECT", "1"),
    );
    write(
        d.path(),
        "main.tf",
        "resource \"aws_kms_key\" \"k\" {\n  deletion_window_in_days = 7\n}\n",
    );
    let url = |o: &Output| {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["findings"][0]["doc_url"].as_str().unwrap().to_string()
    };
    let o = run(d.path(), &["check", "--format", "json"]);
    assert_eq!(
        url(&o),
        "",
        "no anchor in docs/rules.md documents a user's rule"
    );
    let pretty = out(&run(d.path(), &["check"]));
    assert!(!pretty.contains("Documentation:"), "{pretty}");
    let rule = USER_RULE.replace("EXPECT", "1").replace(
        "category = \"kms\"\n",
        "category = \"kms\"\ndoc_url = \"https://wiki.example.com/acme001\"\n",
    );
    write(d.path(), "policy/rules/ACME001.toml", &rule);
    let o = run(d.path(), &["check", "--format", "json"]);
    assert_eq!(url(&o), "https://wiki.example.com/acme001");
    // Built-in rules link to the release's documentation, or to the configured page.
    write(
        d.path(),
        "main.tf",
        &format!(
            "{BAD_TF}\nresource \"aws_kms_key\" \"k\" {{\n  deletion_window_in_days = 30\n}}\n"
        ),
    );
    let o = run(d.path(), &["check", "--format", "json"]);
    assert!(
        url(&o).ends_with(&format!(
            "/blob/v{}/docs/rules.md#net002",
            env!("CARGO_PKG_VERSION")
        )),
        "{}",
        url(&o)
    );
    write(
        d.path(),
        "policy-lint.toml",
        "rules_dirs = [\"policy/rules\"]\ndocs_url = \"https://docs.example.com/policy-lint/rules.html\"\n",
    );
    let o = run(d.path(), &["check", "--format", "json"]);
    assert_eq!(
        url(&o),
        "https://docs.example.com/policy-lint/rules.html#net002"
    );
}

#[test]
fn rules_fits_the_terminal_or_is_narrow_when_piped() {
    let d = repo();
    let o = run(d.path(), &["rules"]);
    assert_eq!(code(&o), 0);
    let s = out(&o);
    assert!(
        s.starts_with("NET001 egress-not-enforced (error, production only)\n    "),
        "{s}"
    );
    for l in s.lines() {
        assert!(l.chars().count() <= 100, "{l}");
    }
}
