//! GitLab Code Quality reports (`--format gitlab`): a JSON array of issues, the subset of the
//! Code Climate issue format that GitLab reads (`description`, `check_name`, `fingerprint`,
//! `severity`, `location.path`, `location.lines.begin`), see
//! <https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format>.
//!
//! Suppressed findings are left out (Code Quality has no notion of them). Severities map error →
//! `critical`, warning → `major`, note → `minor`. The fingerprint is the finding's own
//! (`output::fingerprint`), unique within a run and stable across runs, so GitLab tells new
//! issues from fixed ones. The schema the tests validate it against is
//! `tests/data/gitlab-codequality.schema.json`.

use super::{rel_path_of, span_line_cols, Report};
use crate::finding::{Finding, Severity};
use serde::Serialize;

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    check_name: &'a str,
    description: String,
    categories: [&'static str; 1],
    severity: &'static str,
    fingerprint: &'a str,
    location: IssueLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<Content>,
}

#[derive(Serialize)]
struct IssueLocation {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
    end: u32,
}

#[derive(Serialize)]
struct Content {
    body: String,
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Note => "minor",
    }
}

fn issue<'a>(r: &Report, f: &'a Finding) -> Issue<'a> {
    let (path, _) = rel_path_of(r.sources, &f.loc, r.repo_root);
    let (s, e) = span_line_cols(r.sources, &f.loc);
    let title = if f.name.is_empty() {
        f.code.clone()
    } else {
        format!("{} {}", f.code, f.name)
    };
    let mut body = String::new();
    if let Some(h) = &f.help {
        body.push_str(h);
    }
    if !f.doc_url.is_empty() {
        if !body.is_empty() {
            body.push_str("\n\n");
        }
        body.push_str(&f.doc_url);
    }
    Issue {
        kind: "issue",
        check_name: &f.code,
        description: format!("{title}: {}", f.message),
        categories: ["Security"],
        severity: severity(f.severity),
        fingerprint: &f.fingerprint,
        location: IssueLocation {
            path,
            lines: Lines {
                begin: s.line,
                end: e.line.max(s.line),
            },
        },
        content: (!body.is_empty()).then_some(Content { body }),
    }
}

/// Renders the unsuppressed findings as a GitLab Code Quality report, ending in a newline.
pub fn render_gitlab(r: &Report) -> String {
    let issues: Vec<Issue> = r
        .findings
        .iter()
        .filter(|f| f.suppression.is_none())
        .map(|f| issue(r, f))
        .collect();
    let mut out = serde_json::to_string_pretty(&issues).expect("Code Quality output serializes");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::testdata;

    #[test]
    fn snapshot_gitlab() {
        let t = testdata::sample();
        let out = render_gitlab(&t.report());
        assert_eq!(out, render_gitlab(&t.report()));
        insta::assert_snapshot!(out);
    }

    #[test]
    fn shape() {
        let t = testdata::sample();
        let v: serde_json::Value = serde_json::from_str(&render_gitlab(&t.report())).unwrap();
        let issues = v.as_array().unwrap();
        assert_eq!(issues.len(), 3, "the suppressed finding is left out");
        let fps: std::collections::BTreeSet<&str> = issues
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap())
            .collect();
        assert_eq!(fps.len(), 3, "fingerprints are unique");
        let kms = issues.iter().find(|i| i["check_name"] == "KMS002").unwrap();
        assert_eq!(kms["location"]["path"], "policies/key policy.json");
        assert!(kms["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        let mut empty = testdata::sample();
        empty.findings.clear();
        assert_eq!(render_gitlab(&empty.report()), "[]\n");
    }
}
