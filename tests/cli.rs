//! The `policy-lint` command line, run as a child process in temporary directories.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{code, repo_dir as tempdir, stderr, stdout, write, BAD_TF, GOOD_TF};

fn policy_lint(dir: &Path, args: &[&str]) -> Output {
    policy_lint_env(dir, args, &[])
}

/// `policy_lint` with environment variables set.
fn policy_lint_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_policy-lint"))
        .args(args)
        .current_dir(dir)
        .env("POLICY_LINT_TODAY", "2026-11-24")
        .env("POLICY_LINT_ELAPSED_MS", "10")
        .env_remove("NO_COLOR")
        .env_remove("TF_WORKSPACE")
        .env_remove("TF_DATA_DIR")
        .envs(env.iter().copied())
        .output()
        .expect("run policy-lint")
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
fn rules_lists_35_rules() {
    let d = tempdir();
    let o = policy_lint(d.path(), &["rules", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    let list = v
        .as_array()
        .or_else(|| v["rules"].as_array())
        .expect("a list of rules");
    assert_eq!(list.len(), 35, "{}", stdout(&o));
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
    assert!(results[0]["partialFingerprints"]["policyLint/v2"].is_string());
    assert!(results[0]["partialFingerprints"]
        .get("policyLint/v1")
        .is_none());
    let rules = runs[0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 35);
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
    assert_eq!(base["version"], 2);
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
    // A bad date: SUP004 (malformed), and the suppression does not suppress (fail safe).
    std::fs::write(
        &main,
        suppressed_tf("# policy-lint:ignore NET002 reason=\"x\" expires=2027-13-01"),
    )
    .unwrap();
    let mut c = codes(&json(&run(&[])));
    c.sort();
    assert_eq!(c, vec!["NET002", "SUP004"]);
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

/// A copy of a fixture as a repository of its own (root paths are relative to the repository).
fn fixture_repo(path: &str) -> tempfile::TempDir {
    let d = tempdir();
    copy_tree(&fixture(path), d.path());
    d
}

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[test]
fn a_shared_module_finding_names_its_roots_in_json_sarif_and_pretty() {
    let repo = fixture_repo("env/shared-module-per-root");
    let dir = repo.path();
    let v = json(&policy_lint(dir, &["check", ".", "--format", "json"]));
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

    let sarif = json(&policy_lint(dir, &["check", ".", "--format", "sarif"]));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let r = results.iter().find(|r| r["ruleId"] == "NET007").unwrap();
    assert_eq!(r["properties"]["roots"].as_array().unwrap().len(), 3);

    let pretty = stdout(&policy_lint(dir, &["check", ".", "--color", "never"]));
    assert!(
        pretty.contains(
            "from root modules envs/dev (dev), envs/prod (production), envs/staging (staging)"
        ),
        "{pretty}"
    );
}

// ---------------------------------------------------------------------------------------------
// What was checked: files, skipped, notices
// ---------------------------------------------------------------------------------------------

#[test]
fn the_summary_says_what_was_checked_and_skipped_in_every_format() {
    let d = tempdir();
    write(
        d.path(),
        "main.tf",
        &format!(
            "module \"vpc\" {{\n  source  = \"terraform-aws-modules/vpc/aws\"\n  version = \"5.0.0\"\n}}\n\n{GOOD_TF}"
        ),
    );
    write(d.path(), "live/terragrunt.hcl", "terraform {}\n");
    std::fs::create_dir(d.path().join("empty")).unwrap();
    let args = ["check", ".", "empty", "--environment", "prod"];

    let v = json(&policy_lint(
        d.path(),
        &[&args[..], &["--format", "json"]].concat(),
    ));
    assert_eq!(v["summary"]["files"], 1);
    let skipped = v["summary"]["skipped"].as_array().unwrap();
    let paths: Vec<&str> = skipped
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["empty", "live", "main.tf:1"], "{skipped:?}");
    assert!(skipped[2]["reason"]
        .as_str()
        .unwrap()
        .contains("`module.vpc` from `terraform-aws-modules/vpc/aws` not evaluated"));
    let notices = v["summary"]["notices"].as_array().unwrap();
    assert_eq!(notices.len(), 1);
    assert!(notices[0]
        .as_str()
        .unwrap()
        .contains("`prod` is not declared"));

    let sarif = json(&policy_lint(
        d.path(),
        &[&args[..], &["--format", "sarif"]].concat(),
    ));
    let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notes.len(), 4);
    assert!(notes[2]["message"]["text"]
        .as_str()
        .unwrap()
        .starts_with("skipped main.tf:1: `module.vpc`"));
    assert_eq!(notes[3]["level"], "warning");

    let o = policy_lint(d.path(), &[&args[..], &["--color", "never"]].concat());
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(out.contains("No findings in 1 file."), "{out}");
    assert!(out.contains("Skipped 3: empty (nothing to check"), "{out}");
    assert!(
        out.contains("Note: --environment `prod` is not declared"),
        "{out}"
    );

    let gh = stdout(&policy_lint(
        d.path(),
        &[&args[..], &["--format", "github"]].concat(),
    ));
    assert!(
        gh.lines().any(
            |l| l.starts_with("::notice title=policy-lint::Skipped 3: empty (nothing to check")
        ),
        "{gh}"
    );
    assert!(
        gh.lines()
            .any(|l| l.starts_with("::notice title=policy-lint::Note: --environment `prod`")),
        "{gh}"
    );

    // --strict: every skipped module call is an EVAL001 error at its module block.
    let v = json(&policy_lint(
        d.path(),
        &["check", ".", "--strict", "--format", "json"],
    ));
    assert_eq!(
        findings(&v),
        [("EVAL001".to_string(), "main.tf".to_string(), 1, false)]
    );
    assert_eq!(v["findings"][0]["severity"], "error");
}

#[test]
fn an_empty_directory_checks_0_files_and_exits_0() {
    let d = tempdir();
    let o = policy_lint(d.path(), &["check", "--color", "never"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("No findings in 0 files."),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_null_key_administrator_is_named_as_an_input_never_as_a_principal() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = policy_lint(
        root,
        &[
            "check",
            "fixtures/kms/admin-principal-null",
            "--format",
            "json",
        ],
    );
    let v = json(&o);
    let messages: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(!messages.is_empty());
    for m in &messages {
        assert!(!m.contains("`null`"), "{m}");
    }
    assert!(
        messages
            .iter()
            .any(|m| m.contains("the principal is null") && m.contains("variable `cmk_admin_arn`")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("output `admin_arn` of `module.admins`")),
        "{messages:#?}"
    );
    assert!(!codes(&v).iter().any(|c| c == "KMS004"));
}

#[test]
fn values_from_tf_var_are_located_at_the_variable_declaration() {
    let dir = fixture("eval/var-from-env");
    let o = Command::new(env!("CARGO_BIN_EXE_policy-lint"))
        .args(["check", ".", "--format", "sarif"])
        .current_dir(&dir)
        .env("TF_VAR_databricks_aws_account", "414351767862")
        .output()
        .expect("run policy-lint");
    let text = stdout(&o);
    assert!(
        !text.contains("<TF_VAR"),
        "SARIF points at a file that does not exist:\n{text}"
    );
    let sarif = json(&o);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "KMS001")
        .expect("KMS001");
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "fixtures/eval/var-from-env/main.tf"
    );
    assert_eq!(loc["region"]["startLine"], 1);
    assert!(r["message"]["text"]
        .as_str()
        .unwrap()
        .ends_with("(value given by `TF_VAR_databricks_aws_account`)"));
}

#[test]
fn one_eval001_per_unknown_expression_filtered_rule_by_rule() {
    let d = tempdir();
    write(
        d.path(),
        "main.tf",
        r#"variable "region" {
  type = string
}

resource "databricks_mws_customer_managed_keys" "k" {
  account_id = "00000000-0000-0000-0000-000000000000"
  aws_key_info {
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }
  use_cases = ["STORAGE", "MANAGED_SERVICES"]
}

resource "databricks_mws_workspaces" "w" {
  account_id                               = "00000000-0000-0000-0000-000000000000"
  workspace_name                           = "w"
  aws_region                               = var.region
  storage_customer_managed_key_id          = databricks_mws_customer_managed_keys.k.customer_managed_key_id
  managed_services_customer_managed_key_id = databricks_mws_customer_managed_keys.k.customer_managed_key_id
}

resource "databricks_workspace_network_option" "w" {
  workspace_id      = databricks_mws_workspaces.w.workspace_id
  network_policy_id = "restricted-egress"
}
"#,
    );
    let messages = |extra: &[&str]| -> Vec<String> {
        let v = json(&policy_lint(
            d.path(),
            &[&["check", ".", "--format", "json"][..], extra].concat(),
        ));
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "EVAL001")
            .map(|f| f["message"].as_str().unwrap().to_string())
            .collect()
    };
    let all = messages(&[]);
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(
        all[0].starts_with("CMK001, REG001, REG002 cannot check `aws_region`"),
        "{all:?}"
    );
    let some = messages(&["--ignore", "REG001,REG002"]);
    assert_eq!(some.len(), 1, "{some:?}");
    assert!(
        some[0].starts_with("CMK001 cannot check `aws_region`"),
        "{some:?}"
    );
    assert!(messages(&["--ignore", "CMK001,REG001,REG002"]).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Registry and git modules after `terraform init`
// ---------------------------------------------------------------------------------------------

#[test]
fn a_registry_module_without_init_is_skipped_and_listed() {
    let dir = fixture("registry/without-init");
    let v = json(&policy_lint(&dir, &["check", ".", "--format", "json"]));
    assert!(findings(&v).is_empty(), "{v:#}");
    let skipped = v["summary"]["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert!(skipped[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("registry/without-init/main.tf:4"));
    let reason = skipped[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(
            "`module.egress` from `acme-data/serverless-egress/databricks` not evaluated"
        ) && reason.contains("there is no `.terraform/modules/modules.json`"),
        "{reason}"
    );
    // --strict: an EVAL001 error at the module block.
    let v = json(&policy_lint(
        &dir,
        &["check", ".", "--strict", "--format", "json"],
    ));
    let f = findings(&v);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0].0.as_str(), f[0].2), ("EVAL001", 4));
}

/// Every `uri` anywhere in a SARIF document.
fn uris(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("uri", serde_json::Value::String(s)) => out.push(s.clone()),
                    _ => uris(x, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| uris(x, out)),
        _ => {}
    }
}

#[test]
fn findings_in_installed_modules_are_reported_at_the_call_never_inside_terraform() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sarif_out = policy_lint(root, &["check", "fixtures/registry", "--format", "sarif"]);
    let sarif = json(&sarif_out);
    let mut all = Vec::new();
    uris(&sarif, &mut all);
    assert!(!all.is_empty());
    for u in &all {
        assert!(
            !u.contains(".terraform"),
            "SARIF points into .terraform: {u}"
        );
    }
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let net002 = results
        .iter()
        .find(|r| {
            r["ruleId"] == "NET002"
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    == "fixtures/registry/after-init/main.tf"
        })
        .expect("NET002 at the module call");
    assert_eq!(
        net002["locations"][0]["physicalLocation"]["region"]["startLine"],
        5
    );
    let text = net002["message"]["text"].as_str().unwrap();
    assert!(
        text.ends_with(
            "(in registry.terraform.io/acme-data/serverless-egress/databricks@1.4.2//variables.tf:13)"
        ),
        "{text}"
    );
    // The suppression at the call covers the finding from inside the module, with its reason.
    let suppressed = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "fixtures/registry/suppressed-at-call/main.tf"
        })
        .expect("the suppressed finding stays in SARIF");
    assert_eq!(suppressed["suppressions"][0]["kind"], "inSource");

    // JSON: no finding, anchor or related location inside .terraform either.
    let v = json(&policy_lint(
        root,
        &["check", "fixtures/registry", "--format", "json"],
    ));
    let text = serde_json::to_string(&v["findings"]).unwrap();
    assert!(
        !text.contains("\"file\":\".terraform") && !text.contains("/.terraform/"),
        "{text}"
    );
    let messages: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.ends_with(
            "(in registry.terraform.io/acme-data/egress-defaults/null@0.3.1//main.tf:4)"
        )),
        "{messages:#?}"
    );
}

/// A root calling an installed registry module whose policy allows all egress; the manifest's
/// `Dir` is `dir`.
fn registry_root(root: &Path, modules: &Path, dir: &str) {
    write(
        root,
        "main.tf",
        "module \"egress\" {\n  source  = \"acme-data/serverless-egress/databricks\"\n  version = \"1.4.2\"\n}\n",
    );
    write(
        modules,
        "egress/main.tf",
        "resource \"databricks_account_network_policy\" \"this\" {\n  network_policy_id = \"egress\"\n  egress = {\n    network_access = {\n      restriction_mode = \"FULL_ACCESS\"\n      policy_enforcement = {\n        enforcement_mode = \"ENFORCED\"\n      }\n    }\n  }\n}\n",
    );
    write(
        modules,
        "modules.json",
        &serde_json::json!({"Modules": [
            {"Key": "", "Source": "", "Dir": "."},
            {"Key": "egress", "Source": "registry.terraform.io/acme-data/serverless-egress/databricks", "Version": "1.4.2", "Dir": dir},
        ]})
        .to_string(),
    );
}

#[test]
fn tf_data_dir_names_where_terraform_init_installed_modules() {
    // Relative to the root module directory, inside the repository.
    let d = tempdir();
    registry_root(
        d.path(),
        &d.path().join("tfdata/modules"),
        "tfdata/modules/egress",
    );
    let v = json(&policy_lint_env(
        d.path(),
        &["check", ".", "--select", "NET002", "--format", "json"],
        &[("TF_DATA_DIR", "tfdata")],
    ));
    assert_eq!(
        findings(&v),
        [("NET002".to_string(), "main.tf".to_string(), 1, false)],
        "{v:#}"
    );
    assert!(v["findings"][0]["message"].as_str().unwrap().ends_with(
        "(in registry.terraform.io/acme-data/serverless-egress/databricks@1.4.2//main.tf:5)"
    ));
    assert!(v["summary"]["skipped"].as_array().unwrap().is_empty());
    // Without TF_DATA_DIR, Terraform would look in .terraform: not installed there.
    let v = json(&policy_lint(
        d.path(),
        &["check", "main.tf", "--format", "json"],
    ));
    assert!(findings(&v).is_empty(), "{v:#}");
    assert_eq!(v["summary"]["skipped"].as_array().unwrap().len(), 1);

    // Absolute, outside the repository: read all the same, and never a location.
    let d = tempdir();
    let data = tempfile::tempdir().unwrap();
    let data_dir = std::fs::canonicalize(data.path()).unwrap();
    let modules = data_dir.join("modules");
    registry_root(d.path(), &modules, modules.join("egress").to_str().unwrap());
    let o = policy_lint_env(
        d.path(),
        &["check", ".", "--select", "NET002", "--format", "sarif"],
        &[("TF_DATA_DIR", data_dir.to_str().unwrap())],
    );
    let sarif = json(&o);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{sarif:#}");
    assert_eq!(results[0]["ruleId"], "NET002");
    let mut all = Vec::new();
    uris(&sarif, &mut all);
    // The repository root (originalUriBaseIds) and the finding's file, nothing in the data dir.
    let data_uri = data_dir.to_str().unwrap();
    assert!(
        all.iter()
            .all(|u| !u.contains(data_uri) && (u == "main.tf" || u.starts_with("file://"))),
        "{all:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Repository layout: named files through their callers, the nearest configuration per file
// ---------------------------------------------------------------------------------------------

/// The hook `policy-lint` of `.pre-commit-hooks.yaml`: its entry's arguments and its `files`
/// pattern.
fn pre_commit_hook() -> (Vec<String>, regex::Regex) {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let hooks: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    let hook = hooks
        .as_sequence()
        .unwrap()
        .iter()
        .find(|h| h["id"].as_str() == Some("policy-lint"))
        .expect("hook policy-lint");
    let entry: Vec<String> = hook["entry"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    assert_eq!(
        entry[0], "policy-lint",
        "the hook runs the policy-lint binary"
    );
    let mut args: Vec<String> = entry[1..].to_vec();
    if let Some(a) = hook.get("args").and_then(|a| a.as_sequence()) {
        args.extend(a.iter().map(|x| x.as_str().unwrap().to_string()));
    }
    let files = regex::Regex::new(hook["files"].as_str().unwrap()).unwrap();
    (args, files)
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// The files pre-commit passes to the hook after `git add` of `staged`: the staged files the
/// hook's `files` pattern matches, relative to the repository root. Without git, `staged` as is.
fn staged_files(repo: &Path, staged: &[&str], pattern: &regex::Regex) -> Vec<String> {
    let _ = std::fs::remove_dir_all(repo.join(".git"));
    let listed = git(repo, &["init", "-q"])
        .and_then(|_| {
            let mut add = vec!["add", "--"];
            add.extend(staged);
            git(repo, &add)
        })
        .and_then(|_| git(repo, &["diff", "--cached", "--name-only"]));
    let names: Vec<String> = match listed {
        Some(out) => out.lines().map(str::to_string).collect(),
        None => {
            // No git on this machine: the repository root is still marked.
            std::fs::create_dir_all(repo.join(".git")).unwrap();
            staged.iter().map(|s| s.to_string()).collect()
        }
    };
    names.into_iter().filter(|n| pattern.is_match(n)).collect()
}

/// Findings of a JSON report without what depends on the run rather than the finding.
fn finding_objects(v: &serde_json::Value) -> Vec<serde_json::Value> {
    v["findings"].as_array().unwrap().clone()
}

/// pre-commit stages a child module's file: the hook, run as pre-commit runs it (the staged file
/// names, from the repository root), evaluates it through the root that calls it and reports
/// exactly what a full run reports in that file, with the same exit code.
#[test]
fn pre_commit_on_a_staged_child_module_file_reports_what_a_full_run_reports_in_it() {
    let repo = fixture_repo("layout/staged-child-module");
    let dir = repo.path();
    let (hook_args, pattern) = pre_commit_hook();
    let files = staged_files(dir, &["modules/egress/main.tf"], &pattern);
    assert_eq!(files, ["modules/egress/main.tf"]);
    let module = "modules/egress/main.tf";

    // The hook itself: pretty output, exit code 1 (the FULL_ACCESS the root passes).
    let mut args: Vec<&str> = hook_args.iter().map(String::as_str).collect();
    args.extend(files.iter().map(String::as_str));
    let hook = policy_lint(dir, &args);
    assert_eq!(code(&hook), 1, "{}{}", stdout(&hook), stderr(&hook));

    // The same command with --format json (pre-commit puts args before the file names).
    let mut json_args: Vec<&str> = hook_args.iter().map(String::as_str).collect();
    json_args.extend(["--format", "json"]);
    json_args.extend(files.iter().map(String::as_str));
    let named = json(&policy_lint(dir, &json_args));
    let full = json(&policy_lint(dir, &["check", ".", "--format", "json"]));
    // In the module's file: located there, or about a resource of the module (anchored there).
    let in_module: Vec<serde_json::Value> = finding_objects(&full)
        .into_iter()
        .filter(|f| {
            f["file"] == module
                || f["address"]
                    .as_str()
                    .is_some_and(|a| a.starts_with("module.egress."))
        })
        .collect();
    assert_eq!(finding_objects(&named), in_module, "{named:#}\n{full:#}");
    // Seen through the root: its FULL_ACCESS (written in the root, about the module's resource)
    // and the module's own wildcard; not the DRY_RUN default the root overrides, nor an unknown
    // restriction mode.
    let codes: Vec<&str> = in_module
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["NET002", "NET003"]);
    assert_eq!(in_module[0]["file"], "envs/prod/main.tf");
    assert_eq!(
        in_module[0]["roots"],
        serde_json::json!([{ "path": "envs/prod", "environment": "production" }])
    );
    assert_eq!(named["summary"]["notices"], serde_json::json!([]));
}

/// A module no root calls, named: evaluated on its own, and the summary says so in every format.
#[test]
fn a_named_module_no_root_calls_is_evaluated_on_its_own_and_the_summary_says_so() {
    let repo = fixture_repo("layout/staged-child-module");
    let dir = repo.path();
    let v = json(&policy_lint(
        dir,
        &["--format", "json", "modules/orphan/main.tf"],
    ));
    let f = findings(&v);
    assert_eq!(f.len(), 1, "{v:#}");
    assert_eq!(f[0].0, "EVAL001");
    assert_eq!(f[0].1, "modules/orphan/main.tf");
    let notices = v["summary"]["notices"].as_array().unwrap();
    assert_eq!(notices.len(), 1, "{v:#}");
    let n = notices[0].as_str().unwrap();
    assert!(
        n.starts_with("`modules/orphan/main.tf`: no Terraform configuration in the repository calls the module `modules/orphan`"),
        "{n}"
    );
    let pretty = stdout(&policy_lint(
        dir,
        &["--color", "never", "modules/orphan/main.tf"],
    ));
    assert!(pretty.contains("modules/orphan"), "{pretty}");
    assert!(pretty.contains("evaluated on its own"), "{pretty}");
    // A root named the same way gets no such notice (it has no inputs a caller would set).
    let v = json(&policy_lint(
        dir,
        &["--format", "json", "envs/prod/main.tf"],
    ));
    assert_eq!(v["summary"]["notices"], serde_json::json!([]), "{v:#}");
}

/// Two directories with their own policy-lint.toml: each follows its own, whatever the order of
/// the paths; the reports are identical byte for byte.
#[test]
fn the_order_of_the_paths_never_changes_a_verdict() {
    let repo = fixture_repo("layout/two-configs");
    let dir = repo.path();
    for (one, two) in [
        (vec!["a", "b"], vec!["b", "a"]),
        (
            vec!["a/main.tf", "b/main.tf"],
            vec!["b/main.tf", "a/main.tf"],
        ),
    ] {
        for format in ["json", "sarif", "pretty"] {
            let run = |paths: &[&str]| {
                let mut args = vec!["check", "--format", format, "--color", "never"];
                args.extend(paths);
                policy_lint(dir, &args)
            };
            let (x, y) = (run(&one), run(&two));
            assert_eq!(code(&x), code(&y));
            assert_eq!(
                stdout(&x),
                stdout(&y),
                "{one:?} and {two:?} differ ({format})"
            );
        }
        let mut args = vec!["check", "--format", "json"];
        args.extend(&one);
        let v = json(&policy_lint(dir, &args));
        // a/ turns NET003 off; b/ makes it a warning and adds its own rule ACME001, which does
        // not run for a/.
        let got: Vec<(String, String, String)> = finding_objects(&v)
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().unwrap().to_string(),
                    f["severity"].as_str().unwrap().to_string(),
                    f["file"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("NET003".into(), "warning".into(), "b/main.tf".into()),
                ("ACME001".into(), "warning".into(), "b/main.tf".into()),
            ],
            "{v:#}"
        );
    }
}

/// Every configuration the run reads is validated: an invalid one is exit 2, naming it, in either
/// order.
#[test]
fn an_invalid_configuration_of_any_directory_is_an_error_naming_it() {
    let repo = fixture_repo("layout/two-configs");
    let dir = repo.path();
    write(
        dir,
        "b/policy-lint.toml",
        "[rules.NET003]\nseverity = \"loud\"\n",
    );
    for paths in [["a", "b"], ["b", "a"]] {
        let mut args = vec!["check"];
        args.extend(paths);
        let o = policy_lint(dir, &args);
        assert_eq!(code(&o), 2, "{}", stderr(&o));
        assert!(stderr(&o).contains("b/policy-lint.toml"), "{}", stderr(&o));
    }
    // --config overrides them all (a's configuration everywhere: NET003 off).
    let o = policy_lint(
        dir,
        &[
            "check",
            "a",
            "b",
            "--config",
            "a/policy-lint.toml",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(json(&o)["summary"]["total"], 0);
}

/// Two configurations with the same user rule code in their own rules directories cannot share
/// one run: a clear error, not a silent choice.
#[test]
fn two_rules_directories_defining_one_code_are_an_error() {
    let repo = fixture_repo("layout/two-configs");
    let dir = repo.path();
    write(dir, "a/policy-lint.toml", "rules_dirs = [\"rules\"]\n");
    let rule = std::fs::read_to_string(dir.join("b/rules/ACME001.toml")).unwrap();
    write(dir, "a/rules/ACME001.toml", &rule);
    let o = policy_lint(dir, &["check", "a", "b"]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("ACME001"), "{}", stderr(&o));
}

/// A named template is seen through the roots whose modules render it; a named var file through
/// the root whose `[[roots]]` entry lists it.
#[test]
fn named_templates_and_var_files_are_seen_through_the_roots_that_read_them() {
    let d = tempdir();
    write(
        d.path(),
        "envs/prod/main.tf",
        "module \"key\" {\n  source  = \"../../modules/key\"\n  account = \"414351767826\"\n}\n",
    );
    write(
        d.path(),
        "modules/key/main.tf",
        "variable \"account\" {\n  type = string\n}\n\nresource \"aws_kms_key\" \"k\" {\n  enable_key_rotation = true\n  policy = templatefile(\"${path.module}/policy.json.tftpl\", {\n    databricks_account = var.account\n  })\n}\n",
    );
    let template = std::fs::read_to_string(fixture(
        "kms/form-templatefile-grants-no-condition/policy.json.tftpl",
    ))
    .unwrap();
    write(d.path(), "modules/key/policy.json.tftpl", &template);
    let full = json(&policy_lint(d.path(), &["check", ".", "--format", "json"]));
    let in_template: Vec<serde_json::Value> = finding_objects(&full)
        .into_iter()
        .filter(|f| f["file"] == "modules/key/policy.json.tftpl")
        .collect();
    assert!(!in_template.is_empty(), "{full:#}");
    let named = json(&policy_lint(
        d.path(),
        &["--format", "json", "modules/key/policy.json.tftpl"],
    ));
    assert_eq!(finding_objects(&named), in_template, "{named:#}");
    assert_eq!(named["summary"]["notices"], serde_json::json!([]));
    // A template no .tf file names: nothing reads it, and the summary says so.
    write(d.path(), "unused/other.tftpl", &template);
    let v = json(&policy_lint(
        d.path(),
        &["--format", "json", "unused/other.tftpl"],
    ));
    assert_eq!(v["summary"]["total"], 0);
    assert!(
        v["summary"]["notices"][0]
            .as_str()
            .unwrap()
            .contains("no `.tf` file in the repository names it"),
        "{v:#}"
    );

    // A var file in a directory of its own, listed by [[roots]]: evaluated through that root.
    let d = tempdir();
    write(
        d.path(),
        "policy-lint.toml",
        "[[roots]]\npath = \"platform\"\n[roots.var_files]\nprod = [\"../vars/prod.tfvars\"]\n",
    );
    write(
        d.path(),
        "platform/main.tf",
        "variable \"mode\" {\n  type = string\n}\n\nresource \"databricks_account_network_policy\" \"p\" {\n  network_policy_id = \"prod-egress\"\n  egress = {\n    network_access = {\n      restriction_mode = var.mode\n      policy_enforcement = {\n        enforcement_mode = \"ENFORCED\"\n      }\n    }\n  }\n}\n\nresource \"databricks_workspace_network_option\" \"p\" {\n  workspace_id      = \"1234567890\"\n  network_policy_id = databricks_account_network_policy.p.network_policy_id\n}\n",
    );
    write(d.path(), "vars/prod.tfvars", "mode = \"FULL_ACCESS\"\n");
    let o = policy_lint(d.path(), &["--format", "json", "vars/prod.tfvars"]);
    let v = json(&o);
    assert_eq!(
        findings(&v),
        [(
            "NET002".to_string(),
            "vars/prod.tfvars".to_string(),
            1,
            false
        )],
        "{v:#}"
    );
    assert_eq!(code(&o), 1);
}

/// One SARIF run has one category: configurations that set different ones need
/// --sarif-category; other formats do not care.
#[test]
fn configurations_with_different_sarif_categories_need_a_category_for_sarif() {
    let repo = fixture_repo("layout/two-configs");
    let dir = repo.path();
    let a = std::fs::read_to_string(dir.join("a/policy-lint.toml")).unwrap();
    write(
        dir,
        "a/policy-lint.toml",
        &format!("{a}\n[sarif]\ncategory = \"team-a\"\n"),
    );
    let b = std::fs::read_to_string(dir.join("b/policy-lint.toml")).unwrap();
    write(
        dir,
        "b/policy-lint.toml",
        &format!("{b}\n[sarif]\ncategory = \"team-b\"\n"),
    );
    let o = policy_lint(dir, &["check", "a", "b", "--format", "sarif"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--sarif-category"), "{}", stderr(&o));
    let o = policy_lint(
        dir,
        &[
            "check",
            "a",
            "b",
            "--format",
            "sarif",
            "--sarif-category",
            "all",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = policy_lint(dir, &["check", "a", "--format", "sarif"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("team-a"));
    assert_eq!(
        code(&policy_lint(dir, &["check", "a", "b", "--format", "json"])),
        0
    );
}

/// A root and the modules it calls follow the policy-lint.toml nearest to the root, not the one
/// nearest to the module; its globs reach a module outside its directory with `../`.
#[test]
fn a_root_and_its_modules_follow_the_configuration_nearest_to_the_root() {
    let repo = fixture_repo("layout/staged-child-module");
    let dir = repo.path();
    // The module's own file would turn NET003 off: it does not decide for the root's findings.
    write(
        dir,
        "modules/egress/policy-lint.toml",
        "[rules.NET003]\nseverity = \"off\"\n",
    );
    write(
        dir,
        "envs/prod/policy-lint.toml",
        "[[overrides]]\nfiles = [\"../../modules/egress/**\"]\nrules = { NET003 = { severity = \"warning\" } }\n",
    );
    let severity_of_net003 = |args: &[&str]| -> Vec<String> {
        let v = json(&policy_lint(dir, args));
        finding_objects(&v)
            .iter()
            .filter(|f| f["code"] == "NET003")
            .map(|f| f["severity"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        severity_of_net003(&["check", ".", "--format", "json"]),
        ["warning"]
    );
    assert_eq!(
        severity_of_net003(&["--format", "json", "modules/egress/main.tf"]),
        ["warning"]
    );
}

#[test]
fn plan_files_that_cannot_be_used_are_clear_errors_or_notices() {
    let d = tempdir();
    write(d.path(), "a/main.tf", GOOD_TF);
    write(d.path(), "b/main.tf", GOOD_TF);
    write(d.path(), "v2.json", r#"{"format_version": "2.0"}"#);
    write(
        d.path(),
        "v1.json",
        r#"{"format_version": "1.2", "variables": {}}"#,
    );
    write(d.path(), "not-json.json", "this is not a plan");
    let o = policy_lint(d.path(), &["check", ".", "--plan", "v2.json"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("format_version `2.0` is not supported"),
        "{}",
        stderr(&o)
    );
    let o = policy_lint(d.path(), &["check", ".", "--plan", "not-json.json"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("is not JSON"), "{}", stderr(&o));
    let o = policy_lint(d.path(), &["check", ".", "--plan", "missing.json"]);
    assert_eq!(code(&o), 2);
    // Two roots: a bare plan is not used, and the summary says so; DIR=FILE is used.
    let v = json(&policy_lint(
        d.path(),
        &["check", ".", "--plan", "v1.json", "--format", "json"],
    ));
    let notices = v["summary"]["notices"].as_array().unwrap();
    assert!(
        notices.iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("names no root and this run has 2 roots")),
        "{notices:?}"
    );
    let v = json(&policy_lint(
        d.path(),
        &["check", ".", "--plan", "a=v1.json", "--format", "json"],
    ));
    assert!(v["summary"]["notices"].as_array().unwrap().is_empty());
}
