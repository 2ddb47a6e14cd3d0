//! The GitHub Action (`action.yml`, `action/`) and the pre-commit hooks (`.pre-commit-hooks.yaml`).

mod common;
use common::{root, BAD_TF};
use serde_norway::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string `{key}` in {v:?}"))
}

fn is_sha(r: &str) -> bool {
    r.len() == 40
        && r.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
}

fn steps(action: &Value) -> &Vec<Value> {
    action["runs"]["steps"].as_sequence().expect("runs.steps")
}

#[test]
fn action_yml_has_the_inputs_outputs_and_steps() {
    let a = yaml("action.yml");
    assert_eq!(s(&a, "name"), "policy-lint");
    assert!(!s(&a, "description").is_empty());
    assert_eq!(s(&a["runs"], "using"), "composite");
    let inputs = a["inputs"].as_mapping().expect("inputs");
    let default = |k: &str| -> String {
        let i = &inputs[k];
        assert!(
            i.get("description").and_then(Value::as_str).is_some(),
            "input {k} has no description"
        );
        match i.get("default") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Bool(b)) => b.to_string(),
            Some(other) => panic!("input {k}: default {other:?}"),
            None => String::new(),
        }
    };
    for (k, d) in [
        ("paths", "."),
        ("config", ""),
        ("environment", ""),
        ("var-files", ""),
        ("fail-on", "error"),
        ("format", "concise"),
        ("sarif-file", "policy-lint.sarif"),
        ("upload-sarif", "auto"),
        ("annotations", "auto"),
        ("only-changed", "false"),
        ("args", ""),
        ("summary", "true"),
        ("version", ""),
        ("egress-log", ""),
        ("egress-policy", ""),
        ("egress-fail", "false"),
    ] {
        assert!(inputs.contains_key(k), "input {k} missing");
        assert_eq!(default(k), d, "default of {k}");
    }
    let outputs = a["outputs"].as_mapping().expect("outputs");
    for k in ["findings", "errors", "sarif-file"] {
        let v = s(&outputs[k], "value");
        assert!(
            v.starts_with("${{ steps.") && v.ends_with("}}"),
            "output {k}: {v}"
        );
    }
    // Every step has a name; run steps have a shell.
    let st = steps(&a);
    for step in st {
        assert!(
            step.get("name").and_then(Value::as_str).is_some(),
            "unnamed step {step:?}"
        );
        if step.get("run").is_some() {
            assert_eq!(s(step, "shell"), "bash", "{step:?}");
        }
    }
    // policy-lint runs once, with SARIF output.
    let runs_lint: Vec<&Value> = st
        .iter()
        .filter(|x| {
            x.get("run")
                .and_then(Value::as_str)
                .is_some_and(|r| r.contains("run.sh"))
        })
        .collect();
    assert_eq!(runs_lint.len(), 1);
    let run_sh = std::fs::read_to_string(root().join("action/run.sh")).unwrap();
    assert!(run_sh.contains("--format sarif --output"));
    assert_eq!(
        run_sh.matches("\"$bin\" ").count(),
        1,
        "policy-lint is run once"
    );
    // The upload comes before the verdict, which is the last step.
    let pos = |needle: &str| {
        st.iter()
            .position(|x| {
                x.get("uses")
                    .and_then(Value::as_str)
                    .is_some_and(|u| u.contains(needle))
                    || x.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n == needle)
            })
            .unwrap_or_else(|| panic!("no step {needle}"))
    };
    let upload = pos("github/codeql-action/upload-sarif");
    let verdict = pos("Verdict");
    assert!(upload < verdict);
    assert_eq!(verdict, st.len() - 1);
    assert!(s(&st[upload], "if").contains("inputs.upload-sarif"));
    assert!(s(&st[verdict], "if").contains("failed"));
    // Cargo install from the action's own source, cached.
    let install = std::fs::read_to_string(root().join("action/install.sh")).unwrap();
    assert!(install.contains("cargo install --locked --path \"$action_path\""));
    let cache = pos("actions/cache");
    assert!(s(&st[cache]["with"], "key").contains("steps.resolve.outputs.key"));
    // Permissions are documented.
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    assert!(text.contains("contents: read") && text.contains("security-events: write"));
}

#[test]
fn action_yml_is_safe_by_construction() {
    let a = yaml("action.yml");
    for step in steps(&a) {
        if let Some(run) = step.get("run").and_then(Value::as_str) {
            // Inputs (and any other expression) reach scripts only through env:.
            assert!(
                !run.contains("${{ inputs."),
                "run block uses an input directly: {run}"
            );
            assert!(
                !run.contains("${{"),
                "run block contains an expression: {run}"
            );
        }
        if let Some(uses) = step.get("uses").and_then(Value::as_str) {
            let (action, r) = uses
                .split_once('@')
                .unwrap_or_else(|| panic!("`{uses}` has no ref"));
            assert!(!action.starts_with("./"), "{uses}");
            assert!(is_sha(r), "`{uses}` is not pinned by a full commit SHA");
        }
    }
    // The same check on the raw text, in case a `uses:` hides somewhere else.
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    for line in text.lines() {
        let t = line.trim_start().trim_start_matches("- ");
        if let Some(u) = t.strip_prefix("uses:") {
            let r = u.trim().split('@').nth(1).unwrap_or("");
            assert!(is_sha(r.split_whitespace().next().unwrap_or("")), "{line}");
        }
    }
}

#[test]
fn pre_commit_hooks() {
    let h = yaml(".pre-commit-hooks.yaml");
    let hooks = h.as_sequence().expect("a list of hooks");
    let hook = |id: &str| {
        hooks
            .iter()
            .find(|x| x.get("id").and_then(Value::as_str) == Some(id))
            .unwrap_or_else(|| panic!("no hook {id}"))
    };
    let one = hook("policy-lint");
    assert_eq!(s(one, "language"), "rust");
    assert_eq!(s(one, "entry"), "policy-lint");
    assert_eq!(s(one, "files"), r"\.(tf|tfvars|tftpl|json)$");
    assert_eq!(one["pass_filenames"], Value::Bool(true));
    assert_eq!(one["require_serial"], Value::Bool(true));
    let re = regex::Regex::new(s(one, "files")).unwrap();
    for f in [
        "main.tf",
        "envs/prod/terraform.tfvars",
        "t/user_data.tftpl",
        "policies/key.json",
        "x.tfvars.json",
    ] {
        assert!(re.is_match(f), "{f}");
    }
    for f in ["README.md", "main.tf.bak", "x.yaml"] {
        assert!(!re.is_match(f), "{f}");
    }
    let fix = hook("policy-lint-fix");
    assert_eq!(s(fix, "language"), "rust");
    assert_eq!(s(fix, "entry"), "policy-lint");
    assert_eq!(s(fix, "files"), s(one, "files"));
    assert_eq!(fix["pass_filenames"], Value::Bool(true));
    assert_eq!(fix["require_serial"], Value::Bool(true));
    let fix_args: Vec<&str> = fix["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(fix_args, vec!["check", "--fix"]);
    let all = hook("policy-lint-all");
    assert_eq!(s(all, "language"), "rust");
    assert_eq!(s(all, "entry"), "policy-lint");
    assert_eq!(all["pass_filenames"], Value::Bool(false));
    assert_eq!(all["always_run"], Value::Bool(true));
    let args: Vec<&str> = all["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args, vec!["check", "."]);
    for x in hooks {
        assert!(x.get("name").and_then(Value::as_str).is_some());
    }
}

// ---------------------------------------------------------------------------------------------
// The action's scripts, run locally the way the composite steps run them.
// ---------------------------------------------------------------------------------------------

fn have(cmd: &str) -> bool {
    Command::new(cmd)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

struct Gh {
    dir: tempfile::TempDir,
}

impl Gh {
    fn new() -> Gh {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        Gh { dir }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn file(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }
    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.file(name)).unwrap_or_default()
    }
    /// Runs a script with the environment of a composite step; returns (exit code, stdout).
    fn step(&self, program: &str, script: &str, env: &[(&str, &str)]) -> (i32, String, String) {
        let mut c = Command::new(program);
        c.arg(root().join(script))
            .current_dir(self.path())
            .env("GITHUB_ACTION_PATH", root())
            .env("GITHUB_OUTPUT", self.file("output.txt"))
            .env("GITHUB_STEP_SUMMARY", self.file("summary.md"))
            .env("POLICY_LINT", env!("CARGO_BIN_EXE_policy-lint"))
            .env("POLICY_LINT_TODAY", "2026-11-24")
            .env("RUNNER_TEMP", self.path());
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }
    fn output(&self, key: &str) -> Option<String> {
        self.read("output.txt")
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix(&format!("{key}=")).map(str::to_string))
    }
}

/// A policy in dry run that allows pypi.org, bound to workspace 1111.
const EGRESS_TF: &str = r#"resource "databricks_account_network_policy" "p" {
  network_policy_id = "prod-egress"
  egress = {
    network_access = {
      restriction_mode = "RESTRICTED_ACCESS"
      allowed_internet_destinations = [
        { destination = "pypi.org", internet_destination_type = "DNS_NAME" },
      ]
      policy_enforcement = {
        enforcement_mode = "DRY_RUN"
      }
    }
  }
}

resource "databricks_workspace_network_option" "p" {
  workspace_id      = "1111"
  network_policy_id = databricks_account_network_policy.p.network_policy_id
}
"#;

#[test]
fn action_egress_report() {
    if !have("bash") {
        eprintln!("skipped: bash missing");
        return;
    }
    let gh = Gh::new();
    std::fs::create_dir_all(gh.file("infra")).unwrap();
    std::fs::write(gh.file("infra/main.tf"), EGRESS_TF).unwrap();
    std::fs::write(
        gh.file("denials.csv"),
        "workspace_id,destination_type,destination,access_type\n1111,DNS,github.com,DROP\n1111,DNS,pypi.org,DROP\n",
    )
    .unwrap();
    std::fs::write(gh.file("summary.md"), "## policy-lint\n").unwrap();
    let (c, out, err) = gh.step(
        "bash",
        "action/egress.sh",
        &[("EGRESS_LOG", "denials.csv\n"), ("PATHS", "infra")],
    );
    assert_eq!(c, 0, "{out}{err}");
    assert_eq!(gh.output("egress-exit-code").as_deref(), Some("1"));
    assert_eq!(gh.output("egress-failed").as_deref(), Some("false"));
    // The Markdown report is appended to the job summary (after what is there) and printed.
    let summary = gh.read("summary.md");
    assert!(
        summary.starts_with("## policy-lint\n## policy-lint egress report\n"),
        "{summary}"
    );
    assert!(
        summary.contains("| `github.com` | DNS | 1 | 1111 | `allowed_internet_destinations` | `infra/main.tf:6` |"),
        "{summary}"
    );
    assert!(out.contains("## policy-lint egress report"), "{out}");
    // egress-fail makes the verdict step fail; summary: false leaves the summary alone.
    std::fs::write(gh.file("summary.md"), "").unwrap();
    let (c, _, _) = gh.step(
        "bash",
        "action/egress.sh",
        &[
            ("EGRESS_LOG", "denials.csv"),
            ("PATHS", "infra"),
            ("EGRESS_FAIL", "true"),
            ("SUMMARY", "false"),
        ],
    );
    assert_eq!(c, 0);
    assert_eq!(gh.output("egress-failed").as_deref(), Some("true"));
    assert_eq!(gh.read("summary.md"), "");
    // A log that cannot be read fails the step with policy-lint's exit code.
    let (c, out, err) = gh.step(
        "bash",
        "action/egress.sh",
        &[("EGRESS_LOG", "missing.csv"), ("PATHS", "infra")],
    );
    assert_eq!(c, 2, "{out}{err}");
    assert!(err.contains("cannot read log `missing.csv`"), "{err}");
    assert!(
        out.contains("::error::policy-lint egress-report exited with 2"),
        "{out}"
    );
    assert_eq!(gh.output("egress-exit-code").as_deref(), Some("2"));
}

#[test]
fn action_scripts_end_to_end() {
    if !have("bash") || !have("python3") {
        eprintln!("skipped: bash or python3 missing");
        return;
    }
    let gh = Gh::new();
    std::fs::create_dir_all(gh.file("infra")).unwrap();
    std::fs::write(gh.file("infra/main.tf"), BAD_TF).unwrap();
    std::fs::write(
        gh.file("infra/sandbox.tf"),
        format!(
            "# policy-lint:ignore NET002 reason=\"sandbox | test\" expires=2027-01-01\n{}",
            BAD_TF
                .replace(".p.", ".sandbox.")
                .replace("\"p\"", "\"sandbox\"")
        ),
    )
    .unwrap();
    std::fs::write(gh.file("infra/dev.tfvars"), "x = 1\n").unwrap();

    // Run policy-lint once: SARIF, exit code captured, the step itself succeeds.
    let (c, out, err) = gh.step(
        "bash",
        "action/run.sh",
        &[
            ("PATHS", "infra\n"),
            ("VAR_FILES", "infra/dev.tfvars"),
            ("FAIL_ON", "error"),
            ("SARIF_FILE", "out/policy-lint.sarif"),
        ],
    );
    assert_eq!(c, 0, "{out}{err}");
    assert_eq!(gh.output("exit-code").as_deref(), Some("1"));
    assert_eq!(
        gh.output("sarif-file").as_deref(),
        Some("out/policy-lint.sarif")
    );
    let sarif: serde_json::Value = serde_json::from_str(&gh.read("out/policy-lint.sarif")).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 2);

    // Annotations, summary, outputs.
    let report = |env: &[(&str, &str)]| {
        let mut all = vec![
            ("SARIF_FILE", "out/policy-lint.sarif"),
            ("CLI_EXIT_CODE", "1"),
            ("FAIL_ON", "error"),
            ("FORMAT", "concise"),
        ];
        all.extend_from_slice(env);
        gh.step("python3", "action/report.py", &all)
    };
    let (c, out, err) = report(&[]);
    assert_eq!(c, 0, "{out}{err}");
    let ann: Vec<&str> = out.lines().filter(|l| l.starts_with("::error ")).collect();
    assert_eq!(ann.len(), 1, "{out}");
    assert!(
        ann[0].starts_with("::error file=infra/main.tf,line=5,col=")
            && ann[0].contains("title=NET002 egress-unrestricted::"),
        "{}",
        ann[0]
    );
    // The console listing is the concise format: one line per finding, then the counts.
    let listing: Vec<&str> = out.lines().filter(|l| !l.starts_with("::")).collect();
    assert!(
        regex::Regex::new(r"^infra/main\.tf:5:\d+: error\[NET002\] \S")
            .unwrap()
            .is_match(listing[0]),
        "console listing: {out}"
    );
    assert_eq!(
        listing[1], "1 error, 0 warnings, 0 notes (1 suppressed)",
        "{out}"
    );
    assert!(
        !out.contains("::warning::policy-lint exited"),
        "verdicts disagree: {out}"
    );
    assert_eq!(gh.output("findings").as_deref(), Some("1"));
    assert_eq!(gh.output("errors").as_deref(), Some("1"));
    assert_eq!(gh.output("suppressed").as_deref(), Some("1"));
    assert_eq!(gh.output("baselined").as_deref(), Some("0"));
    assert_eq!(gh.output("failed").as_deref(), Some("true"));
    let summary = gh.read("summary.md");
    assert!(summary.contains("## policy-lint"), "{summary}");
    assert!(
        summary.contains("| error | 1 |") && summary.contains("| suppressed | 1 |"),
        "{summary}"
    );
    assert!(summary.contains("[NET002](http"), "no rule link: {summary}");
    assert!(summary.contains("`infra/main.tf:5`"), "{summary}");

    // fail-on never: not failed; annotations and summary off.
    std::fs::remove_file(gh.file("summary.md")).unwrap();
    let (c, out, _) = report(&[
        ("FAIL_ON", "never"),
        ("ANNOTATIONS", "false"),
        ("SUMMARY", "false"),
        ("FORMAT", "none"),
        ("CLI_EXIT_CODE", ""),
    ]);
    assert_eq!(c, 0);
    assert!(!out.contains("::error"), "{out}");
    assert!(gh.read("summary.md").is_empty());
    assert_eq!(gh.output("failed").as_deref(), Some("false"));

    // A baseline: the finding is baselined, removed from the SARIF, not failed on.
    let o = Command::new(env!("CARGO_BIN_EXE_policy-lint"))
        .args(["baseline", "infra", "--output", "baseline.json"])
        .current_dir(gh.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (c, out, err) = report(&[("BASELINE", "baseline.json")]);
    assert_eq!(c, 0, "{out}{err}");
    assert!(!out.contains("::error "), "{out}");
    assert_eq!(gh.output("baselined").as_deref(), Some("1"));
    assert_eq!(gh.output("findings").as_deref(), Some("0"));
    assert_eq!(gh.output("failed").as_deref(), Some("false"));
    let sarif: serde_json::Value = serde_json::from_str(&gh.read("out/policy-lint.sarif")).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        1,
        "only the suppressed result is left"
    );
    assert!(gh.read("summary.md").contains("| baselined | 1 |"));
    // The CLI agrees.
    let o = Command::new(env!("CARGO_BIN_EXE_policy-lint"))
        .args([
            "check",
            "infra",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ])
        .current_dir(gh.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["summary"]["baselined"], 1);

    // An old (version 1) baseline: refused, naming the command that regenerates it.
    std::fs::write(gh.file("old.json"), r#"{"version": 1, "findings": []}"#).unwrap();
    let (c, out, err) = report(&[("BASELINE", "old.json"), ("PATHS", "infra")]);
    assert_eq!(c, 2, "{out}{err}");
    assert!(out.contains("has version 1"), "{out}");
    assert!(
        out.contains("`policy-lint baseline infra --output old.json`"),
        "{out}"
    );

    // An entry of a rule that did not run is not stale; one of a rule that ran is.
    let kms = r#"{"version": 2, "findings": [
        {"fingerprint": "0000000000000000", "code": "KMS001", "file": "infra/main.tf", "message": "m"}
    ]}"#;
    std::fs::write(gh.file("kms.json"), kms).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_policy-lint"))
        .args(["check", "infra", "--select", "NET002", "--format", "sarif"])
        .args(["--output", "out/selected.sarif"])
        .current_dir(gh.path())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (c, out, err) = report(&[
        ("BASELINE", "kms.json"),
        ("SARIF_FILE", "out/selected.sarif"),
    ]);
    assert_eq!(c, 0, "{out}{err}");
    assert!(!out.contains("no longer match"), "{out}");
    let o = Command::new(env!("CARGO_BIN_EXE_policy-lint"))
        .args([
            "check",
            "infra",
            "--format",
            "sarif",
            "--output",
            "out/all.sarif",
        ])
        .current_dir(gh.path())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (c, out, err) = report(&[("BASELINE", "kms.json"), ("SARIF_FILE", "out/all.sarif")]);
    assert_eq!(c, 0, "{out}{err}");
    assert!(
        out.contains("1 baseline entry of kms.json no longer match"),
        "{out}"
    );

    // A configuration error: the run step fails with 2 and says so.
    std::fs::write(gh.file("policy-lint.toml"), "stirct = true\n").unwrap();
    let (c, out, err) = gh.step(
        "bash",
        "action/run.sh",
        &[("PATHS", "infra"), ("SARIF_FILE", "x.sarif")],
    );
    assert_eq!(c, 2, "{out}{err}");
    assert!(out.contains("::error::policy-lint exited with 2"), "{out}");
    std::fs::remove_file(gh.file("policy-lint.toml")).unwrap();

    // Inputs are data, never shell: a path with shell syntax is just a (missing) path.
    let (c, out, err) = gh.step(
        "bash",
        "action/run.sh",
        &[
            ("PATHS", "$(touch pwned) ;touch pwned2"),
            ("SARIF_FILE", "y.sarif"),
        ],
    );
    assert_eq!(c, 2, "{out}{err}");
    assert!(!gh.file("pwned").exists() && !gh.file("pwned2").exists());
    // A bad fail-on.
    let (c, out, _) = gh.step("bash", "action/run.sh", &[("FAIL_ON", "sometimes")]);
    assert_eq!(c, 2, "{out}");
}

#[test]
fn action_install_phases() {
    if !have("bash") {
        return;
    }
    // No phase given: usage error. (The phases themselves: tests/action.rs.)
    let gh = Gh::new();
    let (c, out, err) = gh.step("bash", "action/install.sh", &[]);
    assert_eq!(c, 2, "{out}{err}");
    assert!(err.contains("usage: install.sh resolve|download|build|digest"));
}
