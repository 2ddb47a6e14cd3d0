//! Machine-readable JSON output. The schema is documented in `docs/json-output.md`.

use super::{rel_path_of, span_line_cols, Report, TOOL_NAME};
use crate::finding::{Finding, SuppressionKind};
use crate::source::Location;
use serde::Serialize;

/// Version of the JSON output format; bumped on incompatible changes.
pub const JSON_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    tool: Tool<'a>,
    findings: Vec<JsonFinding<'a>>,
    summary: JsonSummary<'a>,
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct Position {
    line: u32,
    column: u32,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'a str,
    name: &'a str,
    severity: &'a str,
    message: &'a str,
    file: String,
    start: Position,
    end: Position,
    address: Option<&'a str>,
    attribute: Option<&'a str>,
    help: Option<&'a str>,
    doc_url: &'a str,
    related: Vec<JsonRelated<'a>>,
    suppressed: bool,
    suppression: Option<JsonSuppression<'a>>,
    fingerprint: &'a str,
    /// The environment the finding was judged in (its root's), when a root produced it.
    #[serde(skip_serializing_if = "Option::is_none")]
    environment: Option<&'a str>,
    /// The root modules whose evaluation produced it.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    roots: &'a [crate::finding::RootRef],
    /// The automatic fix, when the finding has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<JsonFix<'a>>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    applicability: &'static str,
    description: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    file: String,
    start: Position,
    end: Position,
    content: &'a str,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: String,
    start: Position,
    end: Position,
    label: &'a str,
}

#[derive(Serialize)]
struct JsonSuppression<'a> {
    kind: &'static str,
    justification: &'a str,
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    error: usize,
    warning: usize,
    note: usize,
    suppressed: usize,
    baselined: usize,
    total: usize,
    /// Files read and checked.
    files: usize,
    /// What was not checked, and why.
    skipped: &'a [crate::finding::Skipped],
    notices: &'a [String],
    /// Unsuppressed findings with a safe fix, and with an unsafe one.
    fixable: usize,
    unsafe_fixable: usize,
    /// Fixes this run applied (`--fix`), and fixes it withheld.
    #[serde(skip_serializing_if = "is_zero")]
    fixed: usize,
    #[serde(skip_serializing_if = "is_zero")]
    withheld: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

pub(crate) fn suppression_kind(kind: SuppressionKind) -> &'static str {
    match kind {
        SuppressionKind::InSource => "inSource",
        SuppressionKind::External => "external",
    }
}

fn span(r: &Report, loc: &Location) -> (String, Position, Position) {
    let (file, _) = rel_path_of(r.sources, loc, r.repo_root);
    let (s, e) = span_line_cols(r.sources, loc);
    (
        file,
        Position {
            line: s.line,
            column: s.col,
        },
        Position {
            line: e.line,
            column: e.col,
        },
    )
}

fn finding<'a>(r: &Report, f: &'a Finding) -> JsonFinding<'a> {
    let (file, start, end) = span(r, &f.loc);
    JsonFinding {
        code: &f.code,
        name: &f.name,
        severity: f.severity.as_str(),
        message: &f.message,
        file,
        start,
        end,
        address: f.address.as_deref(),
        attribute: f.attr_path.as_deref(),
        help: f.help.as_deref(),
        doc_url: &f.doc_url,
        related: f
            .related
            .iter()
            .map(|rel| {
                let (file, start, end) = span(r, &rel.loc);
                JsonRelated {
                    file,
                    start,
                    end,
                    label: &rel.label,
                }
            })
            .collect(),
        suppressed: f.suppression.is_some(),
        suppression: f.suppression.as_ref().map(|s| JsonSuppression {
            kind: suppression_kind(s.kind),
            justification: &s.justification,
        }),
        fingerprint: &f.fingerprint,
        environment: f.environment.as_deref(),
        roots: &f.roots,
        fix: f.fix.as_ref().map(|x| JsonFix {
            applicability: x.applicability.as_str(),
            description: &x.description,
            edits: x
                .edits
                .iter()
                .map(|e| {
                    let (file, start, end) = span(r, &e.loc);
                    JsonEdit {
                        file,
                        start,
                        end,
                        content: &e.text,
                    }
                })
                .collect(),
        }),
    }
}

/// Renders every finding (suppressed ones flagged) as pretty-printed JSON, ending in a newline.
pub fn render_json(r: &Report) -> String {
    let s = r.summary;
    let report = JsonReport {
        version: JSON_FORMAT_VERSION,
        tool: Tool {
            name: TOOL_NAME,
            version: r.tool_version,
        },
        // Locations of thousands of findings: computed in parallel, in order.
        findings: {
            use rayon::prelude::*;
            r.findings.par_iter().map(|f| finding(r, f)).collect()
        },
        summary: JsonSummary {
            error: s.error,
            warning: s.warning,
            note: s.note,
            suppressed: s.suppressed,
            files: s.files,
            skipped: &s.skipped,
            notices: &s.notices,
            baselined: s.baselined,
            total: s.total(),
            fixable: s.fixable,
            unsafe_fixable: s.unsafe_fixable,
            fixed: s.fixed,
            withheld: s.withheld,
        },
    };
    let mut out = serde_json::to_string_pretty(&report).expect("JSON output serializes");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::testdata;

    #[test]
    fn snapshot_json() {
        let t = testdata::sample();
        let out = render_json(&t.report());
        assert_eq!(out, render_json(&t.report()));
        insta::assert_snapshot!(out);
    }

    #[test]
    fn json_shape() {
        let t = testdata::sample();
        let v: serde_json::Value = serde_json::from_str(&render_json(&t.report())).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["tool"]["name"], "policy-lint");
        let findings = v["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 4);
        let net = findings.iter().find(|f| f["code"] == "NET002").unwrap();
        assert_eq!(net["suppressed"], true);
        assert_eq!(net["suppression"]["kind"], "inSource");
        let kms = findings.iter().find(|f| f["code"] == "KMS002").unwrap();
        assert_eq!(kms["file"], "policies/key policy.json");
        assert_eq!(kms["suppression"], serde_json::Value::Null);
        assert_eq!(kms["related"][1]["file"], "infra/main.tf");
        assert_eq!(kms["fingerprint"].as_str().unwrap().len(), 16);
        assert_eq!(v["summary"]["total"], 3);
        assert_eq!(v["summary"]["suppressed"], 1);
    }
}
