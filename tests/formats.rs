//! `--format junit` and `--format gitlab`, validated against their schemas
//! (`tests/data/junit.xsd`, `tests/data/gitlab-codequality.schema.json`; see tests/data/README.md).

mod common;

use common::root;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn run(args: &[&str]) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_policy-lint"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

/// The example's findings as JSON: (unsuppressed, suppressed).
fn example_counts() -> (usize, usize) {
    let (c, out) = run(&["check", "examples/insecure-workspace", "--format", "json"]);
    assert_eq!(c, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    let all = v["findings"].as_array().unwrap();
    let suppressed = all.iter().filter(|f| f["suppressed"] == true).count();
    (all.len() - suppressed, suppressed)
}

fn gitlab_validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(include_str!("data/gitlab-codequality.schema.json")).unwrap();
    jsonschema::validator_for(&schema).expect("the Code Quality schema compiles")
}

fn gitlab_errors(doc: &Value) -> Vec<String> {
    gitlab_validator()
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[test]
fn gitlab_code_quality_validates() {
    let (c, out) = run(&["check", "examples/insecure-workspace", "--format", "gitlab"]);
    assert_eq!(c, 1, "exit code follows the findings, whatever the format");
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    let errors = gitlab_errors(&doc);
    assert!(errors.is_empty(), "{errors:#?}");
    let issues = doc.as_array().unwrap();
    let (unsuppressed, _) = example_counts();
    assert_eq!(issues.len(), unsuppressed);
    assert!(!issues.is_empty());
    let fps: std::collections::BTreeSet<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(fps.len(), issues.len(), "fingerprints are unique");
    for i in issues {
        let path = i["location"]["path"].as_str().unwrap();
        assert!(
            path.starts_with("examples/insecure-workspace/"),
            "relative to the repository: {path}"
        );
        assert!(root().join(path).is_file(), "{path}");
    }
    // Deterministic.
    assert_eq!(
        out,
        run(&["check", "examples/insecure-workspace", "--format", "gitlab"]).1
    );
    // A clean run is an empty array.
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("main.tf"), "locals {\n  a = 1\n}\n").unwrap();
    let (c, out) = run(&["check", d.path().to_str().unwrap(), "--format", "gitlab"]);
    assert_eq!(c, 0);
    assert_eq!(out, "[]\n");
}

#[test]
fn the_code_quality_schema_rejects_what_gitlab_cannot_read() {
    let good: Value = serde_json::json!([{
        "description": "d", "check_name": "NET002", "fingerprint": "f", "severity": "major",
        "location": {"path": "main.tf", "lines": {"begin": 3}}
    }]);
    assert!(gitlab_errors(&good).is_empty());
    for (what, bad) in [
        ("severity", serde_json::json!({"severity": "high"})),
        ("no fingerprint", serde_json::json!({"fingerprint": null})),
        (
            "no lines",
            serde_json::json!({"location": {"path": "main.tf"}}),
        ),
        (
            "absolute path",
            serde_json::json!({"location": {"path": "/repo/main.tf", "lines": {"begin": 1}}}),
        ),
        (
            "line 0",
            serde_json::json!({"location": {"path": "main.tf", "lines": {"begin": 0}}}),
        ),
    ] {
        let mut doc = good.clone();
        let item = doc[0].as_object_mut().unwrap();
        for (k, v) in bad.as_object().unwrap() {
            if v.is_null() {
                item.remove(k);
            } else {
                item.insert(k.clone(), v.clone());
            }
        }
        assert!(!gitlab_errors(&doc).is_empty(), "{what} accepted: {doc}");
    }
}

/// Validates an XML file against tests/data/junit.xsd; `Err` with the validator's message.
fn xsd_validate(xml: &Path) -> Result<(), String> {
    let o = Command::new("python3")
        .args([
            "-c",
            "import sys, xmlschema; xmlschema.XMLSchema(sys.argv[1]).validate(sys.argv[2])",
        ])
        .arg(root().join("tests/data/junit.xsd"))
        .arg(xml)
        .output()
        .unwrap();
    if o.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

fn have_xmlschema() -> bool {
    common::require(
        common::python_module("xmlschema"),
        "python3 with the xmlschema package",
        "pip install xmlschema",
    )
}

#[test]
fn junit_validates() {
    if !have_xmlschema() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let report = d.path().join("report.xml");
    let (c, _) = run(&[
        "check",
        "examples/insecure-workspace",
        "--format",
        "junit",
        "--output",
        report.to_str().unwrap(),
    ]);
    assert_eq!(c, 1);
    xsd_validate(&report).unwrap_or_else(|e| panic!("{e}"));
    let xml = std::fs::read_to_string(&report).unwrap();
    let (unsuppressed, suppressed) = example_counts();
    assert_eq!(xml.matches("<failure ").count(), unsuppressed);
    assert_eq!(xml.matches("<skipped ").count(), suppressed);
    assert!(xml.contains(&format!(
        "<testsuites name=\"policy-lint\" tests=\"{}\" failures=\"{unsuppressed}\" errors=\"0\" skipped=\"{suppressed}\">",
        unsuppressed + suppressed
    )));
    // Names are unique within a class (GitLab keeps only the first of two equal ones).
    let mut seen = std::collections::BTreeSet::new();
    for line in xml
        .lines()
        .filter(|l| l.trim_start().starts_with("<testcase "))
    {
        assert!(seen.insert(line.to_string()), "duplicate test case {line}");
    }

    // A clean run: one passing test case, still valid.
    let clean = d.path().join("clean");
    std::fs::create_dir(&clean).unwrap();
    std::fs::write(clean.join("main.tf"), "locals {\n  a = 1\n}\n").unwrap();
    let (c, out) = run(&["check", clean.to_str().unwrap(), "--format", "junit"]);
    assert_eq!(c, 0);
    std::fs::write(d.path().join("clean.xml"), &out).unwrap();
    xsd_validate(&d.path().join("clean.xml")).unwrap_or_else(|e| panic!("{e}"));
    assert!(out.contains("failures=\"0\""), "{out}");

    // The schema is not vacuous: a test case without a name, or with two outcomes, is refused.
    for bad in [
        "<testsuites><testsuite name=\"s\" tests=\"1\"><testcase classname=\"c\"/></testsuite></testsuites>",
        "<testsuites><testsuite name=\"s\" tests=\"1\"><testcase name=\"n\"><failure/><skipped/></testcase></testsuite></testsuites>",
        "<testsuites><testsuite name=\"s\" tests=\"-1\"/></testsuites>",
    ] {
        std::fs::write(d.path().join("bad.xml"), bad).unwrap();
        assert!(
            xsd_validate(&d.path().join("bad.xml")).is_err(),
            "accepted: {bad}"
        );
    }
}

#[test]
fn junit_escapes_hostile_text() {
    if !have_xmlschema() {
        return;
    }
    // A message that quotes the offending value: XML metacharacters and a control character in
    // the value must not break the document.
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("main.tf"),
        "resource \"databricks_account_network_policy\" \"p\" {\n  network_policy_id = \"a<b>&\\\"c\\u0001\"\n  egress = {\n    network_access = {\n      restriction_mode = \"FULL_ACCESS]]><x/>\"\n    }\n  }\n}\n",
    )
    .unwrap();
    let report = d.path().join("r.xml");
    let (c, _) = run(&[
        "check",
        d.path().to_str().unwrap(),
        "--format",
        "junit",
        "--output",
        report.to_str().unwrap(),
    ]);
    assert!(c == 0 || c == 1, "exit {c}");
    xsd_validate(&report).unwrap_or_else(|e| panic!("{e}"));
}
