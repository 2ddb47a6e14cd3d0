//! The `policy-lint` command line, run as a child process in temporary directories.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A policy that allows all serverless egress: NET002 (error) in production.
const BAD_TF: &str = r#"resource "databricks_account_network_policy" "p" {
  network_policy_id = "prod-egress"
  egress = {
    network_access = {
      restriction_mode = "FULL_ACCESS"
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
"#;

/// The same policy, restricted: no findings.
const GOOD_TF: &str = r#"resource "databricks_account_network_policy" "p" {
  network_policy_id = "prod-egress"
  egress = {
    network_access = {
      restriction_mode = "RESTRICTED_ACCESS"
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
"#;

fn policy_lint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_policy-lint"))
        .args(args)
        .current_dir(dir)
        .env("POLICY_LINT_TODAY", "2026-11-24")
        .env_remove("NO_COLOR")
        .env_remove("TF_WORKSPACE")
        .output()
        .expect("run policy-lint")
}

fn tempdir() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("temp dir");
    // Stop config discovery and give the run a repository root.
    std::fs::create_dir(d.path().join(".git")).unwrap();
    d
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(o), stderr(o)))
}

/// (code, file, start line) of every finding of a JSON report.
fn findings(v: &serde_json::Value) -> Vec<(String, String, u64, bool)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["start"]["line"].as_u64().unwrap(),
                f["suppressed"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn codes(v: &serde_json::Value) -> Vec<String> {
    findings(v)
        .into_iter()
        .filter(|f| !f.3)
        .map(|f| f.0)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Exit codes
// ---------------------------------------------------------------------------------------------

#[test]
fn clean_directory_exits_0() {
    let d = tempdir();
    write(d.path(), "main.tf", GOOD_TF);
    let o = policy_lint(d.path(), &["check", ".", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(json(&o)["summary"]["total"], 0, "{}", stdout(&o));
    // An empty directory too.
    let e = tempdir();
    let o = policy_lint(e.path(), &["check", "."]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn findings_exit_1_and_fail_on_never_exits_0() {
    let d = tempdir();
    write(d.path(), "main.tf", BAD_TF);
    let o = policy_lint(d.path(), &["check", ".", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(codes(&json(&o)), vec!["NET002"]);
    let o = policy_lint(d.path(), &["check", ".", "--fail-on", "never"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    // Outside production NET002 does not apply.
    let o = policy_lint(d.path(), &["check", ".", "--environment", "dev"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn unknown_flag_exits_2() {
    let d = tempdir();
    let o = policy_lint(d.path(), &["check", ".", "--no-such-flag"]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("--no-such-flag"), "{}", stderr(&o));
    // Also without the subcommand.
    let o = policy_lint(d.path(), &["--no-such-flag"]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn config_with_unknown_key_exits_2_and_points_at_the_line() {
    let d = tempdir();
    write(d.path(), "main.tf", GOOD_TF);
    write(
        d.path(),
        "policy-lint.toml",
        "# settings\nrequire_reason = true\nstirct = true\n",
    );
    let o = policy_lint(d.path(), &["check", "."]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("stirct"), "{err}");
    assert!(
        err.contains("policy-lint.toml:3") || err.contains(":3:"),
        "no line 3 in: {err}"
    );
    assert!(err.contains("strict"), "no suggestion in: {err}");
    // The same through --config.
    let o = policy_lint(d.path(), &["check", ".", "--config", "policy-lint.toml"]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    // A config file that does not exist.
    let o = policy_lint(d.path(), &["check", ".", "--config", "nope.toml"]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn unknown_select_code_exits_2() {
    let d = tempdir();
    write(d.path(), "main.tf", BAD_TF);
    let o = policy_lint(d.path(), &["check", ".", "--select", "NET999"]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("NET999"), "{}", stderr(&o));
    let o = policy_lint(d.path(), &["check", ".", "--ignore", "NET002,nope"]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    // Known codes and names are fine.
    let o = policy_lint(d.path(), &["check", ".", "--select", "egress-unrestricted"]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let o = policy_lint(d.path(), &["check", ".", "--ignore", "NET002"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn bad_var_and_missing_path_exit_2() {
    let d = tempdir();
    write(d.path(), "main.tf", GOOD_TF);
    let o = policy_lint(d.path(), &["check", ".", "--var", "novalue"]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    let o = policy_lint(d.path(), &["check", ".", "--var-file", "missing.tfvars"]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    let o = policy_lint(d.path(), &["check", "does-not-exist"]);
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
}

// ---------------------------------------------------------------------------------------------
// rules, explain
// ---------------------------------------------------------------------------------------------

#[test]
fn rules_lists_34_rules() {
    let d = tempdir();
    let o = policy_lint(d.path(), &["rules", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    let list = v
        .as_array()
        .or_else(|| v["rules"].as_array())
        .expect("a list of rules");
    assert_eq!(list.len(), 34, "{}", stdout(&o));
    // The table names every code too.
    let o = policy_lint(d.path(), &["rules"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let table = stdout(&o);
    for r in list {
        let c = r["code"].as_str().unwrap();
        assert!(table.contains(c), "{c} missing from the table:\n{table}");
    }
    assert!(table.contains("NET002") && table.contains("egress-unrestricted"));
}

#[test]
fn explain_shows_bad_and_good_examples() {
    let d = tempdir();
    let o = policy_lint(d.path(), &["explain", "NET002"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("# NET002 egress-unrestricted"), "{text}");
    assert!(text.contains("FULL_ACCESS"), "no bad example:\n{text}");
    assert!(
        text.contains("RESTRICTED_ACCESS"),
        "no good example:\n{text}"
    );
    let lower = text.to_lowercase();
    assert!(lower.contains("bad") && lower.contains("good"), "{text}");
    // By name, and case-insensitively by code.
    let by_name = policy_lint(d.path(), &["explain", "egress-unrestricted"]);
    assert_eq!(code(&by_name), 0, "{}", stderr(&by_name));
    assert_eq!(stdout(&by_name), text);
    let lower_code = policy_lint(d.path(), &["explain", "net002"]);
    assert_eq!(code(&lower_code), 0, "{}", stderr(&lower_code));
    // An unknown rule is a usage error with a suggestion.
    let o = policy_lint(d.path(), &["explain", "egress-unrestrcted"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("egress-unrestricted"), "{}", stderr(&o));
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

#[test]
fn plain_paths_mean_check() {
    let d = tempdir();
    write(d.path(), "main.tf", BAD_TF);
    let dir = d.path().to_str().unwrap();
    let a = policy_lint(d.path(), &[dir, "--format", "json"]);
    let b = policy_lint(d.path(), &["check", dir, "--format", "json"]);
    assert_eq!(code(&a), 1, "{}", stderr(&a));
    assert_eq!(code(&a), code(&b));
    assert_eq!(a.stdout, b.stdout);
    // Pretty output too, and `policy-lint` alone checks the current directory.
    let a = policy_lint(d.path(), &[dir, "--color", "never"]);
    let b = policy_lint(d.path(), &["check", dir, "--color", "never"]);
    assert_eq!(a.stdout, b.stdout);
    let c = policy_lint(d.path(), &["--color", "never"]);
    let e = policy_lint(d.path(), &["check", ".", "--color", "never"]);
    assert_eq!(code(&c), 1);
    assert_eq!(c.stdout, e.stdout);
}

#[test]
fn sarif_is_json_with_one_run() {
    let d = tempdir();
    write(d.path(), "main.tf", BAD_TF);
    let o = policy_lint(d.path(), &["check", ".", "--format", "sarif"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["version"], "2.1.0");
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let results = runs[0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "NET002");
    assert_eq!(results[0]["level"], "error");
    let uri = &results[0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(uri["uri"], "main.tf");
    assert_eq!(uri["uriBaseId"], "%SRCROOT%");
    assert!(results[0]["partialFingerprints"]["policyLint/v1"].is_string());
    let rules = runs[0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 34);
    let net002 = rules.iter().find(|r| r["id"] == "NET002").unwrap();
    assert!(
        net002["helpUri"].as_str().unwrap().starts_with("http"),
        "{net002}"
    );
    assert_eq!(runs[0]["automationDetails"]["id"], "policy-lint/");
    // --sarif-category
    let o = policy_lint(
        d.path(),
        &[
            "check",
            ".",
            "--format",
            "sarif",
            "--sarif-category",
            "infra/",
        ],
    );
    assert_eq!(json(&o)["runs"][0]["automationDetails"]["id"], "infra/");
}

#[test]
fn output_writes_the_file() {
    let d = tempdir();
    write(d.path(), "main.tf", BAD_TF);
    let o = policy_lint(
        d.path(),
        &[
            "check",
            ".",
            "--format",
            "json",
            "--output",
            "out/report.json",
        ],
    );
    // The directory of --output is not created.
    assert_eq!(code(&o), 2, "{}{}", stdout(&o), stderr(&o));
    let o = policy_lint(
        d.path(),
        &["check", ".", "--format", "json", "--output", "report.json"],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "{}", stdout(&o));
    let text = std::fs::read_to_string(d.path().join("report.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["summary"]["error"], 1);
    let o = policy_lint(
        d.path(),
        &["check", ".", "--format", "sarif", "-o", "r.sarif"],
    );
    assert_eq!(code(&o), 1);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("r.sarif")).unwrap()).unwrap();
    assert_eq!(v["runs"].as_array().unwrap().len(), 1);
}

#[test]
fn no_color_under_a_pipe() {
    let d = tempdir();
    write(d.path(), "main.tf", BAD_TF);
    // stdout is a pipe here: --color auto means no colour.
    let o = policy_lint(d.path(), &["check", ".", "--color", "auto"]);
    assert_eq!(code(&o), 1);
    assert!(!o.stdout.contains(&0x1b), "ESC in:\n{}", stdout(&o));
    assert!(stdout(&o).contains("NET002"), "{}", stdout(&o));
    // NO_COLOR as well.
    let o = Command::new(env!("CARGO_BIN_EXE_policy-lint"))
        .args(["check", ".", "--color", "auto"])
        .current_dir(d.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!o.stdout.contains(&0x1b) && !o.stderr.contains(&0x1b));
    // --color always does colour, so the checks above are meaningful.
    let o = policy_lint(d.path(), &["check", ".", "--color", "always"]);
    assert!(
        o.stdout.contains(&0x1b),
        "no ESC with --color always:\n{}",
        stdout(&o)
    );
}

#[test]
fn quiet_drops_the_summary_line() {
    let d = tempdir();
    write(d.path(), "main.tf", BAD_TF);
    let loud = stdout(&policy_lint(d.path(), &["check", ".", "--color", "never"]));
    let quiet = stdout(&policy_lint(
        d.path(),
        &["check", ".", "--color", "never", "--quiet"],
    ));
    assert!(loud.contains("1 error"), "{loud}");
    assert!(!quiet.contains("1 error,"), "{quiet}");
    assert!(quiet.contains("NET002"), "{quiet}");
}

// ---------------------------------------------------------------------------------------------
// Baselines
// ---------------------------------------------------------------------------------------------

#[test]
fn baseline_round_trip_survives_inserted_lines() {
    let d = tempdir();
    let main = write(d.path(), "main.tf", BAD_TF);
    let o = policy_lint(d.path(), &["baseline", "."]);
    assert_eq!(code(&o), 2, "baseline needs --output: {}", stderr(&o));
    let o = policy_lint(d.path(), &["baseline", ".", "--output", "baseline.json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let base: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.path().join("baseline.json")).unwrap())
            .unwrap();
    assert_eq!(base["version"], 1);
    assert_eq!(base["findings"].as_array().unwrap().len(), 1);
    assert_eq!(base["findings"][0]["code"], "NET002");

    let run = || {
        policy_lint(
            d.path(),
            &[
                "check",
                ".",
                "--baseline",
                "baseline.json",
                "--format",
                "json",
            ],
        )
    };
    let o = run();
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(v["summary"]["baselined"], 1);
    assert_eq!(v["summary"]["total"], 0);
    assert!(v["findings"].as_array().unwrap().is_empty());

    // Lines inserted above: the finding moves, its fingerprint does not.
    std::fs::write(&main, format!("\n\n# moved down\n\n{BAD_TF}")).unwrap();
    let o = run();
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(json(&o)["summary"]["baselined"], 1);

    // A new finding is reported, the old one stays baselined.
    write(
        d.path(),
        "other.tf",
        &BAD_TF.replace(".p.", ".q.").replace("\"p\"", "\"q\""),
    );
    let o = run();
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(v["summary"]["baselined"], 1);
    assert_eq!(
        findings(&v)
            .iter()
            .map(|f| f.1.as_str())
            .collect::<Vec<_>>(),
        vec!["other.tf"]
    );

    // Fixing the baselined finding: the stale entry is reported on stderr.
    std::fs::write(&main, GOOD_TF).unwrap();
    std::fs::remove_file(d.path().join("other.tf")).unwrap();
    let o = run();
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(json(&o)["summary"]["baselined"], 0);
    assert!(stderr(&o).contains("no longer match"), "{}", stderr(&o));

    // A file that is not a baseline is a usage error.
    write(d.path(), "nonsense.json", "[1, 2]");
    let o = policy_lint(d.path(), &["check", ".", "--baseline", "nonsense.json"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}

// ---------------------------------------------------------------------------------------------
// pre-commit: named files
// ---------------------------------------------------------------------------------------------

#[test]
fn a_named_file_is_reported_alone_with_its_module_loaded() {
    let d = tempdir();
    write(
        d.path(),
        "main.tf",
        r#"resource "databricks_account_network_policy" "p" {
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
    write(
        d.path(),
        "variables.tf",
        "variable \"mode\" {\n  type = string\n}\n",
    );
    write(d.path(), "terraform.tfvars", "mode = \"FULL_ACCESS\"\n");
    // A sibling with a finding of its own, which must not be reported.
    write(
        d.path(),
        "other.tf",
        &BAD_TF.replace(".p.", ".q.").replace("\"p\"", "\"q\""),
    );

    // pre-commit runs `policy-lint main.tf` (no subcommand).
    let o = policy_lint(d.path(), &["main.tf", "--format", "json"]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    let f = findings(&v);
    assert_eq!(f.len(), 1, "{}", stdout(&o));
    // The finding points at where the value is set (as with `check .`); it is kept because its
    // resource (the anchor) is in the named file.
    assert_eq!(
        (f[0].0.as_str(), f[0].1.as_str(), f[0].2),
        ("NET002", "terraform.tfvars", 1)
    );
    assert_eq!(
        v["findings"][0]["address"],
        "databricks_account_network_policy.p"
    );
    // The value came from terraform.tfvars.
    let msg = v["findings"][0]["message"].as_str().unwrap();
    assert!(msg.contains("FULL_ACCESS"), "{msg}");

    // The whole directory reports both.
    let o = policy_lint(d.path(), &["check", ".", "--format", "json"]);
    let mut files: Vec<String> = findings(&json(&o)).into_iter().map(|f| f.1).collect();
    files.sort();
    assert_eq!(files, vec!["other.tf", "terraform.tfvars"]);

    // Several names, from another directory (pre-commit runs at the repository root).
    write(d.path(), "envs/prod/main.tf", BAD_TF);
    let o = policy_lint(
        d.path(),
        &["envs/prod/main.tf", "variables.tf", "--format", "json"],
    );
    let f = findings(&json(&o));
    assert_eq!(
        f.iter().map(|x| x.1.as_str()).collect::<Vec<_>>(),
        vec!["envs/prod/main.tf"],
        "{}",
        stdout(&o)
    );

    // A file name of a kind policy-lint does not read reports nothing.
    write(d.path(), "templates/user_data.tftpl", "echo ${x}\n");
    let o = policy_lint(d.path(), &["templates/user_data.tftpl", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(json(&o)["summary"]["total"], 0);
}

#[test]
fn a_named_tf_json_file_is_evaluated_with_its_module() {
    let d = tempdir();
    write(
        d.path(),
        "main.tf.json",
        r#"{
  "resource": {
    "databricks_account_network_policy": {
      "p": {
        "network_policy_id": "prod-egress",
        "egress": {"network_access": {
          "restriction_mode": "${var.mode}",
          "policy_enforcement": {"enforcement_mode": "ENFORCED"}
        }}
      }
    },
    "databricks_workspace_network_option": {
      "p": {
        "workspace_id": "1234567890",
        "network_policy_id": "${databricks_account_network_policy.p.network_policy_id}"
      }
    }
  }
}
"#,
    );
    write(
        d.path(),
        "variables.tf.json",
        "{\"variable\": {\"mode\": {\"type\": \"string\"}}}\n",
    );
    write(
        d.path(),
        "terraform.tfvars.json",
        "{\"mode\": \"FULL_ACCESS\"}\n",
    );
    for named in ["main.tf.json", "terraform.tfvars.json"] {
        let o = policy_lint(d.path(), &[named, "--format", "json"]);
        assert_eq!(code(&o), 1, "{named}: {}{}", stdout(&o), stderr(&o));
        let f = findings(&json(&o));
        assert_eq!(f.len(), 1, "{named}: {}", stdout(&o));
        assert_eq!(
            (f[0].0.as_str(), f[0].1.as_str(), f[0].2),
            ("NET002", "terraform.tfvars.json", 1),
            "{named}"
        );
    }
    // The variable's declaration alone has no finding of its own.
    let o = policy_lint(d.path(), &["variables.tf.json", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
}

// ---------------------------------------------------------------------------------------------
// Suppressions (what docs/suppressions.md says)
// ---------------------------------------------------------------------------------------------

fn suppressed_tf(comment: &str) -> String {
    format!("{comment}\n{BAD_TF}")
}

#[test]
fn inline_suppression_with_reason_and_expiry() {
    let d = tempdir();
    let main = write(
        d.path(),
        "main.tf",
        &suppressed_tf(r#"# policy-lint:ignore NET002 reason="sandbox, SEC-1" expires=2027-01-31"#),
    );
    let run = |extra: &[&str]| {
        let mut args = vec!["check", ".", "--format", "json"];
        args.extend_from_slice(extra);
        policy_lint(d.path(), &args)
    };
    let o = run(&[]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let v = json(&o);
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(v["findings"][0]["suppression"]["kind"], "inSource");
    assert_eq!(
        v["findings"][0]["suppression"]["justification"],
        "sandbox, SEC-1"
    );

    // The rule name works as well, and a trailing comment on the block's first line.
    std::fs::write(
        &main,
        BAD_TF.replacen(
            "\"p\" {",
            "\"p\" { # policy-lint:ignore egress-unrestricted reason=\"sandbox\"",
            1,
        ),
    )
    .unwrap();
    let o = run(&[]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(json(&o)["summary"]["suppressed"], 1);

    // Expired (POLICY_LINT_TODAY is 2026-11-24): SUP002 and the finding is back.
    std::fs::write(
        &main,
        suppressed_tf(r#"# policy-lint:ignore NET002 reason="x" expires=2026-11-23"#),
    )
    .unwrap();
    let o = run(&[]);
    assert_eq!(code(&o), 1);
    let mut c = codes(&json(&o));
    c.sort();
    assert_eq!(c, vec!["NET002", "SUP002"]);
    // Expiring today still suppresses.
    std::fs::write(
        &main,
        suppressed_tf(r#"# policy-lint:ignore NET002 reason="x" expires=2026-11-24"#),
    )
    .unwrap();
    assert_eq!(code(&run(&[])), 0);

    // No reason: SUP001 (a warning), the suppression still works without require_reason.
    std::fs::write(&main, suppressed_tf("# policy-lint:ignore NET002")).unwrap();
    let o = run(&[]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(codes(&json(&o)), vec!["SUP001"]);

    // A suppression that suppresses nothing, and an unknown code: SUP003.
    std::fs::write(
        &main,
        format!("# policy-lint:ignore NET002 reason=\"x\"\n{GOOD_TF}"),
    )
    .unwrap();
    assert_eq!(codes(&json(&run(&[]))), vec!["SUP003"]);
    std::fs::write(
        &main,
        suppressed_tf("# policy-lint:ignore NET0002 reason=\"x\""),
    )
    .unwrap();
    let mut c = codes(&json(&run(&[])));
    c.sort();
    assert_eq!(c, vec!["NET002", "SUP003"]);
    // A bad date: SUP003 (malformed), and the suppression does not suppress (fail safe).
    std::fs::write(
        &main,
        suppressed_tf("# policy-lint:ignore NET002 reason=\"x\" expires=2027-13-01"),
    )
    .unwrap();
    let mut c = codes(&json(&run(&[])));
    c.sort();
    assert_eq!(c, vec!["NET002", "SUP003"]);
}

#[test]
fn suppression_governance_in_config() {
    let d = tempdir();
    let main = write(
        d.path(),
        "main.tf",
        &suppressed_tf("# policy-lint:ignore NET002"),
    );
    let cfg = |text: &str| write(d.path(), "policy-lint.toml", text);
    let run = || {
        let o = policy_lint(d.path(), &["check", ".", "--format", "json"]);
        assert_ne!(code(&o), 2, "{}", stderr(&o));
        let mut c = codes(&json(&o));
        c.sort();
        (code(&o), c)
    };
    // require_reason: no reason, no suppression. The refused suppression is reported as SUP001
    // only (not also as SUP003 "suppressed nothing": the finding exists).
    let v = |c: &[&str]| c.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    cfg("require_reason = true\n");
    assert_eq!(run(), (1, v(&["NET002", "SUP001"])));

    // max_expiry_days: no date, or a date too far ahead, does not suppress (SUP002).
    std::fs::write(
        &main,
        suppressed_tf("# policy-lint:ignore NET002 reason=\"x\""),
    )
    .unwrap();
    cfg("max_expiry_days = 30\n");
    assert_eq!(run(), (1, v(&["NET002", "SUP002"])));
    std::fs::write(
        &main,
        suppressed_tf("# policy-lint:ignore NET002 reason=\"x\" expires=2027-06-01"),
    )
    .unwrap();
    assert_eq!(run(), (1, v(&["NET002", "SUP002"])));
    std::fs::write(
        &main,
        suppressed_tf("# policy-lint:ignore NET002 reason=\"x\" expires=2026-12-20"),
    )
    .unwrap();
    assert_eq!(run(), (0, vec![]));

    // non_suppressible: SUP003 and the finding stays.
    cfg("non_suppressible = [\"egress-unrestricted\"]\n");
    assert_eq!(run(), (1, v(&["NET002", "SUP003"])));
}

#[test]
fn overrides_turn_a_rule_off_for_json_policies() {
    let d = tempdir();
    // A key policy that lets everyone do everything.
    let policy = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Everyone",
      "Effect": "Allow",
      "Principal": "*",
      "Action": "kms:*",
      "Resource": "*"
    }
  ]
}
"#;
    write(d.path(), "policies/legacy-key.json", policy);
    let o = policy_lint(d.path(), &["check", ".", "--format", "json"]);
    let before = codes(&json(&o));
    assert!(
        !before.is_empty(),
        "the policy should have findings: {}",
        stdout(&o)
    );
    let first = before[0].clone();
    write(
        d.path(),
        "policy-lint.toml",
        &format!("[[overrides]]\nfiles = [\"policies/legacy-*.json\"]\nrules = {{ {first} = {{ severity = \"off\" }} }}\n"),
    );
    let o = policy_lint(d.path(), &["check", ".", "--format", "json"]);
    assert_ne!(code(&o), 2, "{}", stderr(&o));
    let v = json(&o);
    let after = codes(&v);
    assert!(
        !after.contains(&first),
        "{first} still reported: {}",
        stdout(&o)
    );
    // It is listed as suppressed (kind external), not dropped.
    let ext: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == first.as_str())
        .collect();
    assert!(!ext.is_empty());
    assert!(
        ext.iter().all(|f| f["suppression"]["kind"] == "external"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn suppressing_a_module_call_covers_the_findings_inside_it() {
    let d = tempdir();
    write(d.path(), "modules/egress/main.tf", BAD_TF);
    write(
        d.path(),
        "main.tf",
        "# policy-lint:ignore NET002 reason=\"legacy module, SEC-9\"\nmodule \"egress\" {\n  source = \"./modules/egress\"\n}\n",
    );
    let o = policy_lint(d.path(), &["check", ".", "--format", "json"]);
    let v = json(&o);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        v["summary"]["suppressed"].as_u64().unwrap() >= 1,
        "{}",
        stdout(&o)
    );
    assert_eq!(v["summary"]["total"], 0, "{}", stdout(&o));
}

/// Resource types no built-in rule looks at are evaluated only when referenced; a user rule from
/// `rules_dirs` that asserts on such a type still sees every instance.
#[test]
fn user_rules_see_resource_types_no_built_in_rule_uses() {
    let d = tempdir();
    write(d.path(), "policy-lint.toml", "rules_dirs = [\"rules\"]\n");
    write(
        d.path(),
        "rules/ACME001.toml",
        r#"code = "ACME001"
name = "bucket-versioning-off"
severity = "warning"
category = "storage"
summary = "An S3 bucket does not turn versioning on"

[assert]
resource = "aws_s3_bucket_versioning"
attribute = "versioning_configuration.status"
equals = "Enabled"
absent = "fail"
message = "`{attribute}` is `{value}` on {address}; the organisation requires `{expected}`."

[docs]
what = "Reports S3 versioning that is not enabled."
why = "Versions let deleted or overwritten objects be recovered."
fix = "Set `status = \"Enabled\"`."
"#,
    );
    write(
        d.path(),
        "main.tf",
        "locals {\n  status = \"Suspended\"\n}\n\nresource \"aws_s3_bucket_versioning\" \"logs\" {\n  bucket = \"logs\"\n  versioning_configuration {\n    status = local.status\n  }\n}\n",
    );
    let o = policy_lint(d.path(), &["check", ".", "--format", "json"]);
    let v = json(&o);
    let hits: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "ACME001")
        .collect();
    assert_eq!(hits.len(), 1, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(hits[0]["address"], "aws_s3_bucket_versioning.logs");
}

// ---------------------------------------------------------------------------------------------
// Environments per root
// ---------------------------------------------------------------------------------------------

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path)
}

#[test]
fn a_shared_module_finding_names_its_roots_in_json_sarif_and_pretty() {
    let dir = fixture("env/shared-module-per-root");
    let v = json(&policy_lint(&dir, &["check", ".", "--format", "json"]));
    let by_code = |code: &str| -> Vec<serde_json::Value> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == code)
            .cloned()
            .collect()
    };
    // The module's DRY_RUN default matters only for the production root.
    let net001 = by_code("NET001");
    assert_eq!(net001.len(), 1);
    assert_eq!(
        net001[0]["roots"],
        serde_json::json!([{ "path": "envs/prod", "environment": "production" }])
    );
    assert_eq!(net001[0]["environment"], "production");
    // The unbound workspace: one finding for three roots, at the production severity.
    let net007 = by_code("NET007");
    assert_eq!(net007.len(), 1);
    assert_eq!(net007[0]["severity"], "error");
    let roots: Vec<&str> = net007[0]["roots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(roots, ["envs/dev", "envs/prod", "envs/staging"]);

    let sarif = json(&policy_lint(&dir, &["check", ".", "--format", "sarif"]));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let r = results.iter().find(|r| r["ruleId"] == "NET007").unwrap();
    assert_eq!(r["properties"]["roots"].as_array().unwrap().len(), 3);

    let pretty = stdout(&policy_lint(&dir, &["check", ".", "--color", "never"]));
    assert!(
        pretty.contains(
            "from root modules envs/dev (dev), envs/prod (production), envs/staging (staging)"
        ),
        "{pretty}"
    );
}
