//! `policy-lint egress-report`, run as a child process on copies of tests/data/egress/<case>/
//! (each copy is its own repository): every input form and error, attribution through bindings
//! (direct, literal IDs, modules, for_each, computed IDs with --workspace or policy-lint.toml),
//! every report category, and --write into a tfvars list, a variable default, a literal list, a
//! storage list, a new attribute and a tfvars.json file, with exact output text and no new
//! `policy-lint check` finding afterwards.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{code, stderr, stdout};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/egress")
}

fn log(name: &str) -> String {
    data().join("logs").join(name).display().to_string()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// A copy of case `name` as the root of its own repository.
fn case(name: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    copy_dir(&data().join(name), d.path());
    std::fs::create_dir(d.path().join(".git")).unwrap();
    d
}

fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_policy-lint"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("TF_WORKSPACE")
        .env_remove("TF_DATA_DIR");
    for (k, _) in std::env::vars() {
        if k.starts_with("TF_VAR_") {
            cmd.env_remove(k);
        }
    }
    cmd.envs(env.iter().copied())
        .output()
        .expect("run policy-lint")
}

fn run(dir: &Path, args: &[&str]) -> Output {
    run_env(dir, args, &[])
}

/// `egress-report --format json ARGS`: (exit code, report).
fn report(dir: &Path, args: &[&str]) -> (i32, Value) {
    report_env(dir, args, &[])
}

fn report_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
    let mut all = vec!["egress-report", "--format", "json"];
    all.extend_from_slice(args);
    let o = run_env(dir, &all, env);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}), exit {:?}:\n{}\n{}",
            o.status.code(),
            stdout(&o),
            stderr(&o)
        )
    });
    (code(&o), v)
}

/// (category, destination, type, events) of every destination of a policy, and its unused
/// entries.
fn categories(p: &Value) -> Vec<(String, String, String, u64)> {
    let mut out = Vec::new();
    for cat in ["missing", "not_allowable", "allowed"] {
        for d in p[cat].as_array().unwrap() {
            out.push((
                cat.to_string(),
                d["destination"].as_str().unwrap().to_string(),
                d["destination_type"].as_str().unwrap().to_string(),
                d["events"].as_u64().unwrap(),
            ));
        }
    }
    if let Some(u) = p["unused"].as_array() {
        for d in u {
            out.push((
                "unused".into(),
                d["destination"].as_str().unwrap().to_string(),
                d["destination_type"].as_str().unwrap().to_string(),
                0,
            ));
        }
    }
    out
}

fn cat(c: &str, d: &str, t: &str, n: u64) -> (String, String, String, u64) {
    (c.into(), d.into(), t.into(), n)
}

fn policy<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["network_policy_id"] == id)
        .unwrap_or_else(|| panic!("no policy {id} in {r:#}"))
}

fn read(dir: &Path, f: &str) -> String {
    std::fs::read_to_string(dir.join(f)).unwrap()
}

/// The fingerprints of `policy-lint check` findings.
fn fingerprints(dir: &Path, args: &[&str]) -> BTreeSet<String> {
    let mut all = vec!["check", "--format", "json", "--fail-on", "never"];
    all.extend_from_slice(args);
    let o = run(dir, &all);
    let v: Value = serde_json::from_slice(&o.stdout).expect("check JSON");
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["code"].as_str().unwrap(),
                f["fingerprint"].as_str().unwrap()
            )
        })
        .collect()
}

// ------------------------------------------------------------------------------------ inputs

/// What every form of the `simple` log says about `prod-egress`.
fn simple_expectation() -> Vec<(String, String, String, u64)> {
    vec![
        cat("missing", "github.com", "DNS", 2),
        cat("missing", "acme-landing", "STORAGE", 1),
        cat("not_allowable", "pastebin.com", "DNS", 1),
        cat("not_allowable", "203.0.113.7", "IP", 1),
        cat("allowed", "pypi.org", "DNS", 1),
    ]
}

#[test]
fn every_input_form_gives_the_same_report() {
    let d = case("simple");
    // The BOM/CRLF file must really be one (a checkout must not normalise it).
    let bytes = std::fs::read(data().join("logs/bom-crlf-quotes.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF") && bytes.windows(2).any(|w| w == b"\r\n"));
    for (file, format) in [
        ("raw.csv", "csv"),
        ("rows.json", "json"),
        ("rows.jsonl", "jsonl"),
        ("bom-crlf-quotes.csv", "csv"),
    ] {
        let (c, r) = report(d.path(), &["--log", &log(file)]);
        assert_eq!(c, 1, "{file}: something would be blocked");
        assert_eq!(r["version"], 1);
        assert_eq!(r["logs"][0]["format"], format, "{file}");
        assert_eq!(r["logs"][0]["rows"], 7, "{file}");
        let p = policy(&r, "prod-egress");
        assert_eq!(categories(p), simple_expectation(), "{file}");
        assert_eq!(p["workspaces"], serde_json::json!(["1111111111111111"]));
        assert_eq!(p["enforcement_mode"], "DRY_RUN");
        assert_eq!(p["address"], "databricks_account_network_policy.prod");
        let github = &p["missing"][0];
        assert_eq!(
            github["workspaces"],
            serde_json::json!(["1111111111111111"])
        );
        assert_eq!(github["list"], "allowed_internet_destinations");
        assert_eq!(
            github["location"],
            serde_json::json!({"file": "main.tf", "line": 16})
        );
        let bucket = &p["missing"][1];
        assert_eq!(bucket["list"], "allowed_storage_destinations");
        assert_eq!(bucket["region"], "us-east-1");
        assert_eq!(
            bucket["region_source"],
            "aws_s3_bucket.landing in the configuration"
        );
        assert_eq!(
            p["not_allowable"][0]["reason"],
            "named in the policy's blocked_internet_destinations"
        );
        assert!(p["not_allowable"][1]["reason"]
            .as_str()
            .unwrap()
            .starts_with("an IP destination"));
        assert_eq!(
            p["allowed"][0]["location"],
            serde_json::json!({"file": "main.tf", "line": 18})
        );
        // Denials only: which entries are used cannot be told.
        assert!(p["unused"].is_null());
        assert!(p["notes"][0]
            .as_str()
            .unwrap()
            .contains("a denial-only log cannot show which allow-list entries are used"));
        assert_eq!(r["unattributed"][0]["workspace_id"], "2222222222222222");
        assert_eq!(r["unattributed"][0]["events"], 1);
        assert_eq!(
            r["unattributed"][0]["destinations"],
            serde_json::json!(["example.org"])
        );
        assert_eq!(r["summary"]["would_block"], true);
        assert_eq!(r["summary"]["unattributed_events"], 1);
    }
    // The first CSV form keeps the product names, including one with a comma and quotes.
    let (_, r) = report(d.path(), &["--log", &log("bom-crlf-quotes.csv")]);
    assert_eq!(
        policy(&r, "prod-egress")["missing"][0]["network_source_types"],
        serde_json::json!(["DBSQL, \"serverless\"", "General Compute"])
    );
}

#[test]
fn aggregated_rows_without_workspace_go_to_the_only_policy() {
    let d = case("simple");
    let (c, r) = report(d.path(), &["--log", &log("aggregated.csv")]);
    assert_eq!(c, 1);
    let p = policy(&r, "prod-egress");
    assert_eq!(categories(p), simple_expectation());
    assert_eq!(p["missing"][0]["workspaces"], serde_json::json!([]));
    assert_eq!(r["unattributed"], serde_json::json!([]));
    // Several logs add up.
    let (_, r) = report(
        d.path(),
        &["--log", &log("aggregated.csv"), "--log", &log("raw.csv")],
    );
    assert_eq!(policy(&r, "prod-egress")["missing"][0]["events"], 4);
    assert_eq!(r["summary"]["rows"], 12);
}

#[test]
fn nothing_blocked_exits_zero() {
    let d = case("simple");
    let (c, r) = report(d.path(), &["--log", &log("all-allowed.csv")]);
    assert_eq!(c, 0);
    assert_eq!(r["summary"]["would_block"], false);
    assert_eq!(r["summary"]["allowed"], 2);
    let o = run(
        d.path(),
        &["egress-report", "--log", &log("all-allowed.csv")],
    );
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("nothing in the log would be blocked under enforcement"));
}

// ------------------------------------------------------------------------------------ errors

#[test]
fn log_errors_exit_2_naming_the_file_and_line() {
    let d = case("simple");
    let o = run(
        d.path(),
        &["egress-report", "--log", &log("missing-column.csv")],
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("missing-column.csv` has no `destination_type` column"),
        "{}",
        stderr(&o)
    );
    let o = run(d.path(), &["egress-report", "--log", &log("bad-row.csv")]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("bad-row.csv` line 3: the row has 2 fields, the header has 3"),
        "{}",
        stderr(&o)
    );
    let o = run(d.path(), &["egress-report", "--log", &log("bad-row.json")]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains(
            "bad-row.json` line 3: `destination_type` is `FTP`; expected DNS, IP or STORAGE"
        ),
        "{}",
        stderr(&o)
    );
    // Unreadable: a file that does not exist, a directory.
    let o = run(d.path(), &["egress-report", "--log", "nope.csv"]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("cannot read log `nope.csv`"),
        "{}",
        stderr(&o)
    );
    let o = run(d.path(), &["egress-report", "--log", "."]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("cannot read log `.`"), "{}", stderr(&o));
    // No --log at all is a usage error.
    assert_eq!(code(&run(d.path(), &["egress-report"])), 2);
    // --diff needs --write.
    assert_eq!(
        code(&run(
            d.path(),
            &["egress-report", "--log", &log("raw.csv"), "--diff"]
        )),
        2
    );
}

#[test]
fn several_policies_need_policy_for_rows_without_workspace() {
    let d = case("two-policies");
    let o = run(
        d.path(),
        &["egress-report", "--log", &log("aggregated.csv")],
    );
    assert_eq!(code(&o), 2);
    let e = stderr(&o);
    assert!(e.contains("pass --policy"), "{e}");
    assert!(
        e.contains("analytics-egress (databricks_account_network_policy.analytics"),
        "{e}"
    );
    assert!(
        e.contains("ml-egress (databricks_account_network_policy.ml"),
        "{e}"
    );
    let (c, r) = report(
        d.path(),
        &["--log", &log("aggregated.csv"), "--policy", "ml-egress"],
    );
    assert_eq!(c, 1);
    assert_eq!(
        categories(policy(&r, "ml-egress"))
            .iter()
            .filter(|x| x.0 == "missing")
            .map(|x| x.1.clone())
            .collect::<Vec<_>>(),
        ["github.com", "pastebin.com", "pypi.org", "acme-landing"]
    );
    // An address works too; an unknown policy is an error listing the policies.
    let (c, _) = report(
        d.path(),
        &[
            "--log",
            &log("aggregated.csv"),
            "--policy",
            "databricks_account_network_policy.analytics",
        ],
    );
    assert_eq!(c, 1);
    let o = run(
        d.path(),
        &[
            "egress-report",
            "--log",
            &log("aggregated.csv"),
            "--policy",
            "nope",
        ],
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o)
        .contains("--policy names network policy `nope`, which is not in the configuration"));
}

// ------------------------------------------------------------------------------- attribution

#[test]
fn bindings_by_reference_by_literal_id_and_to_other_policies() {
    let d = case("two-policies");
    let (c, r) = report(d.path(), &["--log", "log.csv"]);
    assert_eq!(c, 1);
    assert_eq!(
        categories(policy(&r, "analytics-egress")),
        [cat("missing", "github.com", "DNS", 1)]
    );
    // Bound by the literal ID "ml-egress".
    let ml = policy(&r, "ml-egress");
    assert_eq!(
        categories(ml),
        [
            cat("missing", "cdn-lfs.huggingface.co", "DNS", 1),
            cat("allowed", "huggingface.co", "DNS", 1)
        ]
    );
    assert_eq!(ml["workspaces"], serde_json::json!(["2222222222222222"]));
    let u = r["unattributed"].as_array().unwrap();
    assert_eq!(u.len(), 2);
    assert_eq!(u[0]["workspace_id"], "3333333333333333");
    assert!(u[0]["reason"]
        .as_str()
        .unwrap()
        .contains("to network policy `default-policy`, which is not in the checked configuration"));
    assert_eq!(u[1]["workspace_id"], "4444444444444444");
    assert_eq!(u[1]["events"], 2);
    assert_eq!(
        u[1]["destinations"],
        serde_json::json!(["example.net", "example.org"])
    );
    assert!(u[1]["reason"]
        .as_str()
        .unwrap()
        .starts_with("no databricks_workspace_network_option"));
}

#[test]
fn bindings_through_modules_and_for_each() {
    let d = case("module");
    let (_, r) = report(d.path(), &["--log", "log.csv"]);
    let p = policy(&r, "prod-analytics-egress");
    assert_eq!(
        p["address"],
        "module.egress.databricks_account_network_policy.this"
    );
    assert_eq!(
        categories(p),
        [
            cat("missing", "github.com", "DNS", 1),
            cat("allowed", "pypi.org", "DNS", 1)
        ]
    );
    // The place to edit is the module argument the list comes from.
    assert_eq!(
        p["missing"][0]["location"],
        serde_json::json!({"file": "main.tf", "line": 4})
    );
    let d = case("for-each");
    let (_, r) = report(d.path(), &["--log", "log.csv"]);
    assert_eq!(
        categories(policy(&r, "prod-analytics")),
        [
            cat("missing", "github.com", "DNS", 1),
            cat("allowed", "pypi.org", "DNS", 1)
        ]
    );
    assert_eq!(
        categories(policy(&r, "prod-ml")),
        [
            cat("missing", "github.com", "DNS", 1),
            cat("allowed", "huggingface.co", "DNS", 1)
        ]
    );
    assert_eq!(r["unattributed"], serde_json::json!([]));
}

#[test]
fn computed_workspace_ids_come_from_workspace_or_the_config() {
    let d = case("computed");
    let (_, r) = report(d.path(), &["--log", "log.csv"]);
    assert_eq!(r["unattributed"][0]["workspace_id"], "5555555555555555");
    let notes = policy(&r, "prod-egress")["notes"].to_string();
    assert!(
        notes.contains("workspace_id known only after apply")
            && notes.contains("--workspace ID=prod-egress"),
        "{notes}"
    );
    let expect = [
        cat("missing", "github.com", "DNS", 1),
        cat("missing", "acme-exports", "STORAGE", 1),
    ];
    let (_, r) = report(
        d.path(),
        &[
            "--log",
            "log.csv",
            "--workspace",
            "5555555555555555=prod-egress",
        ],
    );
    let p = policy(&r, "prod-egress");
    assert_eq!(categories(p), expect);
    assert_eq!(r["unattributed"], serde_json::json!([]));
    // The bucket's region is assumed from the bound workspace.
    assert_eq!(p["missing"][1]["region"], "eu-west-1");
    assert!(p["missing"][1]["region_source"]
        .as_str()
        .unwrap()
        .starts_with("assumed"));
    // The same from policy-lint.toml.
    std::fs::write(
        d.path().join("policy-lint.toml"),
        "[egress.workspaces]\n\"5555555555555555\" = \"prod-egress\"\n",
    )
    .unwrap();
    let (_, r) = report(d.path(), &["--log", "log.csv"]);
    assert_eq!(categories(policy(&r, "prod-egress")), expect);
    // A policy that does not exist, a malformed value.
    let o = run(
        d.path(),
        &[
            "egress-report",
            "--log",
            "log.csv",
            "--workspace",
            "5555555555555555=other",
        ],
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("names network policy `other`, which is not in the configuration; its policies: prod-egress"), "{}", stderr(&o));
    let o = run(
        d.path(),
        &[
            "egress-report",
            "--log",
            "log.csv",
            "--workspace",
            "5555555555555555",
        ],
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("must be WORKSPACE_ID=NETWORK_POLICY_ID"));
}

// -------------------------------------------------------------------------------- categories

#[test]
fn unused_entries_need_allowed_events() {
    let d = case("simple");
    let (_, r) = report(d.path(), &["--log", &log("with-allowed.csv")]);
    let p = policy(&r, "prod-egress");
    assert_eq!(
        categories(p),
        [
            cat("missing", "github.com", "DNS", 1),
            cat("unused", "files.pythonhosted.org", "DNS", 0),
            cat("unused", "acme-raw", "STORAGE", 0),
        ]
    );
    assert_eq!(
        p["unused"][0]["location"],
        serde_json::json!({"file": "main.tf", "line": 19})
    );
    assert_eq!(r["summary"]["unused"], 1 + 1);
}

#[test]
fn destinations_no_entry_can_allow() {
    let d = case("simple");
    std::fs::write(
        d.path().join("log.csv"),
        "destination_type,destination,access_type\nDNS,co.uk,DROP\nDNS,bad_host!.example.com,DROP\nDNS,objects.githubusercontent.com,DROP\nSTORAGE,s3://Bad_Bucket,DROP\nDNS,github.com,SOMETHING_NEW\n",
    )
    .unwrap();
    std::fs::write(
        d.path().join("policy-lint.toml"),
        "[rules.NET009]\napproved = [\"pypi.org\", \"files.pythonhosted.org\", \"github.com\", \"co.uk\", \"bad_host!.example.com\", \"acme-*\"]\n",
    )
    .unwrap();
    let (c, r) = report(d.path(), &["--log", "log.csv"]);
    assert_eq!(c, 1);
    let p = policy(&r, "prod-egress");
    let reasons: Vec<(String, String)> = p["not_allowable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["destination"].as_str().unwrap().to_string(),
                x["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(
        reasons[0].0 == "bad_host!.example.com"
            && reasons[0]
                .1
                .starts_with("NET004 would reject it: the label `bad_host!`"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].0 == "co.uk"
            && reasons[1]
                .1
                .starts_with("NET003 would reject it: it is the bare public suffix"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].0 == "objects.githubusercontent.com"
            && reasons[2].1.contains("[rules.NET009] approved"),
        "{reasons:?}"
    );
    assert!(
        reasons[3].0 == "bad_bucket" && reasons[3].1.starts_with("not an S3 bucket name"),
        "{reasons:?}"
    );
    // An access_type policy-lint does not know counts as a denial, with a warning.
    assert_eq!(categories(p)[0], cat("missing", "github.com", "DNS", 1));
    assert!(r["warnings"][0]
        .as_str()
        .unwrap()
        .contains("`SOMETHING_NEW` not known to policy-lint: treated as denials"));
}

#[test]
fn more_than_2000_destinations_is_a_note() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join(".git")).unwrap();
    let entries: String = (0..1999)
        .map(|i| format!("    \"h{i}.example.com\",\n"))
        .collect();
    std::fs::write(
        d.path().join("main.tf"),
        format!("variable \"d\" {{\n  default = [\n{entries}  ]\n}}\n\nresource \"databricks_account_network_policy\" \"p\" {{\n  network_policy_id = \"p\"\n  egress = {{\n    network_access = {{\n      restriction_mode = \"RESTRICTED_ACCESS\"\n      allowed_internet_destinations = [for x in var.d : {{ destination = x, internet_destination_type = \"DNS_NAME\" }}]\n    }}\n  }}\n}}\n"),
    )
    .unwrap();
    std::fs::write(
        d.path().join("log.csv"),
        "destination_type,destination\nDNS,a.example.org\nDNS,b.example.org\n",
    )
    .unwrap();
    let (_, r) = report(d.path(), &["--log", "log.csv"]);
    let notes = policy(&r, "p")["notes"].to_string();
    assert!(
        notes.contains(
            "would take the policy to 2001 destinations, past the 2000 Databricks supports"
        ),
        "{notes}"
    );
}

#[test]
fn pretty_and_markdown() {
    let d = case("simple");
    let o = run(d.path(), &["egress-report", "--log", &log("raw.csv")]);
    assert_eq!(code(&o), 1);
    let t = stdout(&o);
    assert!(
        t.contains(
            "network policy prod-egress (databricks_account_network_policy.prod) at main.tf:10"
        ),
        "{t}"
    );
    assert!(t.contains("  missing (2): denied, and the configuration does not allow them:\n    github.com (DNS, 2 events, workspace 1111111111111111) -> allowed_internet_destinations at main.tf:16\n"), "{t}");
    assert!(
        t.contains("unattributed: events of workspaces no network policy"),
        "{t}"
    );
    let o = run(
        d.path(),
        &[
            "egress-report",
            "--log",
            &log("raw.csv"),
            "--format",
            "markdown",
        ],
    );
    let m = stdout(&o);
    assert!(
        m.starts_with("## policy-lint egress report\n\n:x: **Would be blocked under enforcement"),
        "{m}"
    );
    assert!(m.contains("| `github.com` | DNS | 2 | 1111111111111111 | `allowed_internet_destinations` | `main.tf:16` |"), "{m}");
    assert!(m.contains("### Unattributed events"), "{m}");
    // --output writes the report to a file.
    let out = d.path().join("report.md");
    let o = run(
        d.path(),
        &[
            "egress-report",
            "--log",
            &log("raw.csv"),
            "--format",
            "markdown",
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&o), 1);
    assert_eq!(read(d.path(), "report.md"), m);
}

// ------------------------------------------------------------------------------------ --write

/// `--write`, then: the report of the edited configuration has nothing missing, and `check`
/// reports no finding that it did not report before.
fn write_and_verify(dir: &Path, args: &[&str]) -> Value {
    let before = fingerprints(dir, &[]);
    let mut all = args.to_vec();
    all.push("--write");
    let (_, r) = report(dir, &all);
    let (_, again) = report(dir, args);
    assert_eq!(again["summary"]["missing"], 0, "{again:#}");
    let after = fingerprints(dir, &[]);
    let new: Vec<&String> = after.difference(&before).collect();
    assert!(new.is_empty(), "new findings after --write: {new:?}");
    r
}

#[test]
fn write_into_a_tfvars_list_keeps_comments() {
    let d = case("tfvars");
    let r = write_and_verify(d.path(), &["--log", "log.csv"]);
    assert_eq!(
        r["changes"],
        serde_json::json!([{
            "file": "terraform.tfvars", "line": 4,
            "policy": "databricks_account_network_policy.prod",
            "list": "allowed_internet_destinations",
            "added": ["github.com", "objects.githubusercontent.com"],
            "written": true
        }])
    );
    assert_eq!(
        read(d.path(), "terraform.tfvars"),
        "# Rollout: still in log-only mode.\nenforcement_mode = \"DRY_RUN\"\n\nallowed_destinations = [\n  \"pypi.org\", # Python packages\n  # Wheels are served from here:\n  \"files.pythonhosted.org\",\n  \"github.com\",\n  \"objects.githubusercontent.com\",\n]\n"
    );
    // main.tf and variables.tf are untouched.
    assert_eq!(
        read(d.path(), "main.tf"),
        read(&data().join("tfvars"), "main.tf")
    );
    assert_eq!(
        read(d.path(), "variables.tf"),
        read(&data().join("tfvars"), "variables.tf")
    );
}

#[test]
fn write_into_a_variable_default_and_a_multi_line_storage_list() {
    let d = case("default");
    write_and_verify(
        d.path(),
        &[
            "--log",
            "log.csv",
            "--workspace",
            "6666666666666666=prod-egress",
        ],
    );
    let expected = read(&data().join("default"), "main.tf")
        .replace(
            "    \"files.pythonhosted.org\"\n  ]",
            "    \"files.pythonhosted.org\",\n    \"conda.anaconda.org\"\n  ]",
        )
        .replace(
            "          storage_destination_type = \"AWS_S3\"\n        },\n      ]",
            "          storage_destination_type = \"AWS_S3\"\n        },\n        {\n          bucket_name              = \"acme-prod-exports\"\n          region                   = \"us-east-1\"\n          storage_destination_type = \"AWS_S3\"\n        },\n      ]",
        );
    assert_ne!(expected, read(&data().join("default"), "main.tf"));
    assert_eq!(read(d.path(), "main.tf"), expected);
}

#[test]
fn write_into_literal_lists_with_the_bucket_region() {
    let d = case("simple");
    let r = write_and_verify(d.path(), &["--log", &log("raw.csv")]);
    let expected = read(&data().join("simple"), "main.tf")
        .replace(
            "        { destination = \"files.pythonhosted.org\", internet_destination_type = \"DNS_NAME\" }, # wheels\n",
            "        { destination = \"files.pythonhosted.org\", internet_destination_type = \"DNS_NAME\" }, # wheels\n        { destination = \"github.com\", internet_destination_type = \"DNS_NAME\" },\n",
        )
        .replace(
            "        { bucket_name = \"acme-raw\", region = \"us-east-1\", storage_destination_type = \"AWS_S3\" },\n",
            "        { bucket_name = \"acme-raw\", region = \"us-east-1\", storage_destination_type = \"AWS_S3\" },\n        { bucket_name = \"acme-landing\", region = \"us-east-1\", storage_destination_type = \"AWS_S3\" },\n",
        );
    assert_eq!(read(d.path(), "main.tf"), expected);
    // Only the missing destinations are written: never the IP, the blocked name.
    let added: Vec<String> = r["changes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["added"].as_array().unwrap().clone())
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert_eq!(added, ["github.com", "acme-landing"]);
}

#[test]
fn write_a_storage_list_and_a_new_attribute() {
    let d = case("storage");
    write_and_verify(d.path(), &["--log", "log.csv"]);
    let expected = read(&data().join("storage"), "main.tf")
        .replace(
            "        { bucket_name = \"acme-landing\", region = \"us-east-1\", storage_destination_type = \"AWS_S3\" },\n",
            "        { bucket_name = \"acme-landing\", region = \"us-east-1\", storage_destination_type = \"AWS_S3\" },\n        { bucket_name = \"acme-exports\", region = \"us-west-2\", storage_destination_type = \"AWS_S3\" },\n        { bucket_name = \"partner-drop\", storage_destination_type = \"AWS_S3\" },\n",
        )
        .replace(
            "        enforcement_mode = \"DRY_RUN\"\n      }\n    }",
            "        enforcement_mode = \"DRY_RUN\"\n      }\n      allowed_internet_destinations = [\n        { destination = \"api.github.com\", internet_destination_type = \"DNS_NAME\" },\n      ]\n    }",
        );
    assert_eq!(read(d.path(), "main.tf"), expected);
}

#[test]
fn write_into_tfvars_json() {
    let d = case("tfvars-json");
    write_and_verify(d.path(), &["--log", "log.csv"]);
    assert_eq!(
        read(d.path(), "terraform.tfvars.json"),
        "{\n  \"allowed_destinations\": [\n    \"pypi.org\",\n    \"github.com\"\n  ]\n}\n"
    );
}

#[test]
fn environment_decides_which_var_file_is_written() {
    let d = case("environments");
    write_and_verify(d.path(), &["--log", "log.csv", "--environment", "prod"]);
    assert_eq!(
        read(d.path(), "env/prod.tfvars"),
        "environment = \"prod\"\nallowed_destinations = [\n  \"pypi.org\",\n  \"github.com\",\n]\n"
    );
    assert_eq!(
        read(d.path(), "env/dev.tfvars"),
        read(&data().join("environments"), "env/dev.tfvars")
    );
}

#[test]
fn what_is_not_written_is_reported_with_why() {
    // A `for` that transforms its element.
    let d = case("transform");
    let (c, r) = report(d.path(), &["--log", "log.csv", "--write"]);
    assert_eq!(c, 1);
    assert!(policy(&r, "prod-egress")["missing"][0]["not_writable"]
        .as_str()
        .unwrap()
        .contains("computes `destination` from its element (`lower(h)`)"));
    assert_eq!(r["changes"], serde_json::json!([]));
    assert_eq!(
        read(d.path(), "main.tf"),
        read(&data().join("transform"), "main.tf")
    );
    // Values from TF_VAR_.
    let d = case("tfvars");
    std::fs::remove_file(d.path().join("terraform.tfvars")).unwrap();
    let (_, r) = report_env(
        d.path(),
        &["--log", "log.csv", "--write"],
        &[("TF_VAR_allowed_destinations", "[\"pypi.org\"]")],
    );
    assert!(
        policy(&r, "prod-egress")["missing"][0]["not_writable"]
            .as_str()
            .unwrap()
            .contains("--var or TF_VAR_"),
        "{r:#}"
    );
    assert_eq!(
        read(d.path(), "variables.tf"),
        read(&data().join("tfvars"), "variables.tf")
    );
    // A module outside the checked paths.
    let d = case("outside");
    let (_, r) = report(d.path(), &["--log", "log.csv", "--write", "envs/prod"]);
    assert!(policy(&r, "shared-egress")["missing"][0]["not_writable"]
        .as_str()
        .unwrap()
        .contains("modules/egress/main.tf, outside the checked paths"));
    assert_eq!(
        read(d.path(), "modules/egress/main.tf"),
        read(&data().join("outside"), "modules/egress/main.tf")
    );
}

#[test]
fn diff_prints_the_change_without_writing() {
    let d = case("tfvars");
    let o = run(
        d.path(),
        &["egress-report", "--log", "log.csv", "--write", "--diff"],
    );
    assert_eq!(code(&o), 1);
    let t = stdout(&o);
    assert!(t.contains("would write terraform.tfvars:4 allowed_internet_destinations (databricks_account_network_policy.prod): github.com, objects.githubusercontent.com"), "{t}");
    assert!(t.contains("--- a/terraform.tfvars\n+++ b/terraform.tfvars\n@@ -5,4 +5,6 @@\n   \"pypi.org\", # Python packages\n   # Wheels are served from here:\n   \"files.pythonhosted.org\",\n+  \"github.com\",\n+  \"objects.githubusercontent.com\",\n ]\n"), "{t}");
    assert_eq!(
        read(d.path(), "terraform.tfvars"),
        read(&data().join("tfvars"), "terraform.tfvars")
    );
    let (_, r) = report(d.path(), &["--log", "log.csv", "--write", "--diff"]);
    assert!(r["diff"]
        .as_str()
        .unwrap()
        .starts_with("--- a/terraform.tfvars"));
    assert_eq!(r["changes"][0]["written"], false);
}

#[test]
fn write_exits_with_what_is_still_blocked() {
    // Everything missing was written: nothing else would be blocked.
    let d = case("tfvars");
    let (c, r) = report(d.path(), &["--log", "log.csv", "--write"]);
    assert_eq!(c, 0, "{r:#}");
    // The IP and the blocked name remain.
    let d = case("simple");
    let (c, _) = report(d.path(), &["--log", &log("aggregated.csv"), "--write"]);
    assert_eq!(c, 1);
}

#[test]
fn never_writes_into_installed_modules() {
    // The policy of fixtures/registry/after-init lives in a module `terraform init` installed.
    let d = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/registry/after-init");
    copy_dir(&fixture, d.path());
    std::fs::create_dir(d.path().join(".git")).unwrap();
    let main = read(d.path(), "main.tf").replace(
        "  name       = \"prod-analytics\"\n",
        "  name       = \"prod-analytics\"\n  restriction_mode = \"RESTRICTED_ACCESS\"\n",
    );
    std::fs::write(d.path().join("main.tf"), &main).unwrap();
    std::fs::write(
        d.path().join("log.csv"),
        "workspace_id,destination_type,destination\n1234567890123456,DNS,github.com\n",
    )
    .unwrap();
    let (c, r) = report(d.path(), &["--log", "log.csv", "--write"]);
    assert_eq!(c, 1);
    let p = policy(&r, "prod-analytics-egress");
    assert_eq!(
        p["address"],
        "module.egress.module.policy.databricks_account_network_policy.this"
    );
    let m = &p["missing"][0];
    assert_eq!(m["destination"], "github.com");
    assert!(
        m["not_writable"]
            .as_str()
            .unwrap()
            .contains("inside .terraform/"),
        "{m:#}"
    );
    // Places in the installed module are reported at the repository's module block.
    assert_eq!(
        m["location"],
        serde_json::json!({"file": "main.tf", "line": 5})
    );
    assert_eq!(
        p["location"],
        serde_json::json!({"file": "main.tf", "line": 5})
    );
    assert_eq!(r["changes"], serde_json::json!([]));
    assert_eq!(read(d.path(), "main.tf"), main);
    assert_eq!(
        read(d.path(), ".terraform/modules/egress/modules/policy/main.tf"),
        read(&fixture, ".terraform/modules/egress/modules/policy/main.tf")
    );
}
