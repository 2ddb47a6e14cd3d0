//! Baselines and fingerprints through the command line: a baseline never hides a different
//! value, no two findings share a fingerprint, old baselines are refused with the command that
//! regenerates them, and entries of rules that did not run are not stale.

use std::path::Path;
use std::process::{Command, Output};

mod common;
use common::{code, repo_dir as tempdir, stderr, write};

fn policy_lint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_policy-lint"))
        .args(args)
        .current_dir(dir)
        .env("POLICY_LINT_TODAY", "2026-11-24")
        .env("POLICY_LINT_ELAPSED_MS", "10")
        .env_remove("NO_COLOR")
        .env_remove("TF_WORKSPACE")
        .output()
        .expect("run policy-lint")
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", out(o)))
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A restricted policy, bound to a workspace, whose only findings are its destinations.
fn egress(destinations: &[&str]) -> String {
    let items: String = destinations
        .iter()
        .map(|d| {
            format!(
                "        {{ destination = \"{d}\", internet_destination_type = \"DNS_NAME\" }},\n"
            )
        })
        .collect();
    format!(
        r#"resource "databricks_account_network_policy" "p" {{
  network_policy_id = "prod-egress"
  egress = {{
    network_access = {{
      restriction_mode = "RESTRICTED_ACCESS"
      allowed_internet_destinations = [
{items}      ]
      policy_enforcement = {{
        enforcement_mode = "ENFORCED"
      }}
    }}
  }}
}}

resource "databricks_workspace_network_option" "p" {{
  workspace_id      = "1234567890"
  network_policy_id = databricks_account_network_policy.p.network_policy_id
}}
"#
    )
}

/// Two statements that each name a near miss of the Databricks account (KMS001).
const TWO_NEAR_MISSES: &str = r#"resource "aws_kms_key" "k" {
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "EncryptOnly"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::414315767826:root" }
        Action    = ["kms:Encrypt"]
        Resource  = "*"
      },
      {
        Sid       = "DecryptOnly"
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::414315767826:root" }
        Action    = ["kms:Decrypt"]
        Resource  = "*"
      },
    ]
  })
}
"#;

fn check_json(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["check", ".", "--format", "json"];
    args.extend_from_slice(extra);
    policy_lint(dir, &args)
}

#[test]
fn a_baselined_destination_replaced_by_another_is_reported() {
    let d = tempdir();
    write(
        d.path(),
        "main.tf",
        &egress(&["*.pythonhosted.org", "pypi.org"]),
    );
    let o = policy_lint(d.path(), &["baseline", ".", "--output", "b.json"]);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let base = read_json(&d.path().join("b.json"));
    assert_eq!(base["version"], 2);
    assert_eq!(base["findings"].as_array().unwrap().len(), 1, "{base}");
    assert_eq!(base["findings"][0]["code"], "NET003");

    let o = check_json(d.path(), &["--baseline", "b.json"]);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert_eq!(json(&o)["summary"]["baselined"], 1);

    // Another wildcard in its place: a new finding, not hidden by the old entry.
    write(
        d.path(),
        "main.tf",
        &egress(&["*.attacker-controlled.example", "pypi.org"]),
    );
    let o = check_json(d.path(), &["--baseline", "b.json"]);
    assert_eq!(code(&o), 1, "{}", out(&o));
    let v = json(&o);
    assert_eq!(v["summary"]["baselined"], 0, "{v}");
    assert_eq!(v["summary"]["error"], 1, "{v}");
    assert_eq!(v["findings"][0]["code"], "NET003");
    assert!(v["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("*.attacker-controlled.example"));
    // The old entry is stale (its value is gone).
    assert!(
        stderr(&o).contains("1 baseline entry no longer match"),
        "{}",
        out(&o)
    );

    // Both: the baselined one stays hidden whatever its position, the new one is reported.
    write(
        d.path(),
        "main.tf",
        &egress(&[
            "pypi.org",
            "*.attacker-controlled.example",
            "*.PythonHosted.org",
        ]),
    );
    let o = check_json(d.path(), &["--baseline", "b.json"]);
    assert_eq!(code(&o), 1, "{}", out(&o));
    let v = json(&o);
    assert_eq!(v["summary"]["baselined"], 1, "{v}");
    let reported: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert_eq!(reported.len(), 1, "{reported:?}");
    assert!(reported[0].contains("*.attacker-controlled.example"));
}

#[test]
fn two_kms001_on_different_statements_have_different_sarif_fingerprints() {
    let d = tempdir();
    write(d.path(), "main.tf", TWO_NEAR_MISSES);
    let o = policy_lint(d.path(), &["check", ".", "--format", "sarif"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("SARIF");
    let fps: Vec<&str> = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "KMS001")
        .map(|r| r["partialFingerprints"]["policyLint/v2"].as_str().unwrap())
        .collect();
    assert_eq!(fps.len(), 2, "{}", out(&o));
    assert_ne!(fps[0], fps[1]);

    // No two findings of the run share a fingerprint, in JSON either.
    let o = check_json(d.path(), &[]);
    let v = json(&o);
    let all: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    let distinct: std::collections::BTreeSet<&str> = all.iter().copied().collect();
    assert_eq!(distinct.len(), all.len(), "{all:?}");

    // The statements are identified by their Sid: swapping them keeps both fingerprints.
    let swapped = TWO_NEAR_MISSES
        .replacen("EncryptOnly", "TMP", 1)
        .replacen("DecryptOnly", "EncryptOnly", 1)
        .replacen("TMP", "DecryptOnly", 1)
        .replacen("[\"kms:Encrypt\"]", "[\"kms:TMP\"]", 1)
        .replacen("[\"kms:Decrypt\"]", "[\"kms:Encrypt\"]", 1)
        .replacen("[\"kms:TMP\"]", "[\"kms:Decrypt\"]", 1);
    write(d.path(), "main.tf", &swapped);
    let v2 = json(&check_json(d.path(), &[]));
    let kms001 = |v: &serde_json::Value| {
        let mut x: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "KMS001")
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect();
        x.sort();
        x
    };
    assert_eq!(kms001(&v), kms001(&v2));
}

#[test]
fn a_version_1_baseline_is_refused_with_the_command_that_regenerates_it() {
    let d = tempdir();
    write(d.path(), "main.tf", &egress(&["*.pythonhosted.org"]));
    write(
        d.path(),
        "old.json",
        r#"{
  "version": 1,
  "findings": [
    { "fingerprint": "5f0c3e0b8d2a41c7", "code": "NET003", "file": "main.tf", "message": "m" }
  ]
}
"#,
    );
    let o = policy_lint(
        d.path(),
        &["check", ".", "--select", "NET003", "--baseline", "old.json"],
    );
    assert_eq!(code(&o), 2, "{}", out(&o));
    let e = stderr(&o);
    assert!(e.contains("baseline `old.json` has version 1"), "{e}");
    assert!(
        e.contains("`policy-lint baseline . --select NET003 --output old.json`"),
        "{e}"
    );
    assert!(o.stdout.is_empty(), "no report: {}", out(&o));
    // The command it names works, and the new baseline is accepted.
    let o = policy_lint(
        d.path(),
        &[
            "baseline", ".", "--select", "NET003", "--output", "old.json",
        ],
    );
    assert_eq!(code(&o), 0, "{}", out(&o));
    let o = policy_lint(
        d.path(),
        &["check", ".", "--select", "NET003", "--baseline", "old.json"],
    );
    assert_eq!(code(&o), 0, "{}", out(&o));
}

#[test]
fn entries_of_rules_that_did_not_run_are_not_stale() {
    let d = tempdir();
    write(d.path(), "main.tf", &egress(&["*.pythonhosted.org"]));
    write(d.path(), "kms.tf", TWO_NEAR_MISSES);
    let o = policy_lint(d.path(), &["baseline", ".", "--output", "b.json"]);
    assert_eq!(code(&o), 0, "{}", out(&o));
    let base = read_json(&d.path().join("b.json"));
    let codes: Vec<&str> = base["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"KMS001") && codes.contains(&"NET003"),
        "{codes:?}"
    );

    // Only NET003 runs: the KMS entries are neither matched nor stale.
    let o = check_json(d.path(), &["--select", "NET003", "--baseline", "b.json"]);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert_eq!(json(&o)["summary"]["baselined"], 1);
    assert!(!stderr(&o).contains("no longer match"), "{}", out(&o));
    // The same with --ignore, and with the rules turned off in the configuration.
    let o = check_json(
        d.path(),
        &["--ignore", "KMS001,KMS003", "--baseline", "b.json"],
    );
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(!stderr(&o).contains("no longer match"), "{}", out(&o));
    write(
        d.path(),
        "policy-lint.toml",
        "[rules.KMS001]\nseverity = \"off\"\n\n[rules.KMS003]\nseverity = \"off\"\n",
    );
    let o = check_json(d.path(), &["--baseline", "b.json"]);
    assert_eq!(code(&o), 0, "{}", out(&o));
    assert!(!stderr(&o).contains("no longer match"), "{}", out(&o));
    std::fs::remove_file(d.path().join("policy-lint.toml")).unwrap();

    // When the rules run and the findings are fixed, their entries are stale.
    write(
        d.path(),
        "kms.tf",
        &TWO_NEAR_MISSES.replace("414315767826", "123456789012"),
    );
    let o = check_json(d.path(), &["--baseline", "b.json"]);
    assert!(stderr(&o).contains("no longer match"), "{}", out(&o));
    assert!(stderr(&o).contains("kms.tf"), "{}", out(&o));
}

#[test]
fn a_merged_eval001_keeps_its_fingerprint_whichever_rules_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (case, all) in [
        (
            "fixtures/kms/admin-principal-null",
            "EVAL001,KMS001,KMS002,KMS005,KMS006",
        ),
        (
            "fixtures/kms/grant-grantee-unknown",
            "EVAL001,KMS003,KMS009",
        ),
    ] {
        let eval001 = |select: &str| {
            let o = policy_lint(
                root,
                &["check", case, "--format", "json", "--select", select],
            );
            let v = json(&o);
            let mut x: Vec<(u64, String, String)> = v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["code"] == "EVAL001")
                .map(|f| {
                    (
                        f["start"]["line"].as_u64().unwrap(),
                        f["fingerprint"].as_str().unwrap().to_string(),
                        f["message"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            x.sort();
            x
        };
        let merged = eval001(all);
        assert!(
            merged
                .iter()
                .any(|(_, _, m)| m.split(" cannot").next().unwrap().contains(", ")),
            "{case}: no merged EVAL001 in {merged:?}"
        );
        let first = all.split(',').nth(1).unwrap();
        let one = eval001(&format!("EVAL001,{first}"));
        assert!(!one.is_empty(), "{case}");
        for (line, fp, m) in &one {
            assert!(m.starts_with(&format!("{first} cannot")), "{m}");
            assert!(
                merged.iter().any(|(l, f, _)| l == line && f == fp),
                "{case}: the EVAL001 at line {line} changed fingerprint with the rule list: {one:?} vs {merged:?}"
            );
        }
    }
}
