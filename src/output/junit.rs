//! JUnit XML test reports (`--format junit`), as Jenkins, GitLab and Azure DevOps read them.
//!
//! One `<testsuite>` per file with findings, one `<testcase>` per finding: the `classname` is the
//! rule (`NET002 egress-unrestricted`, GitLab's "Suite" column), the `name` the location
//! (`infra/main.tf:5:7`, unique within its class: GitLab keeps only the first of two equal
//! names). An unsuppressed finding is a `<failure>` whose `type` is its severity; a suppressed one
//! is `<skipped>` with its justification. A run without findings has one passing test case, so
//! that the report is never empty. No times or timestamps: the output is deterministic.
//! The schema the tests validate it against is `tests/data/junit.xsd`.

use super::{rel_path_of, span_line_cols, summary_line, Report};
use crate::finding::Finding;
use crate::hash::HashMap;
use std::collections::BTreeMap;

/// Text safe inside XML 1.0 (characters XML cannot hold become U+FFFD), escaped for an attribute
/// value when `attr` (newlines and tabs kept as character references).
fn escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\n' if attr => out.push_str("&#10;"),
            '\r' if attr => out.push_str("&#13;"),
            '\t' if attr => out.push_str("&#9;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

struct Case {
    class: String,
    name: String,
    file: String,
    line: u32,
    body: Body,
}

enum Body {
    Failure {
        severity: &'static str,
        message: String,
        text: String,
    },
    Skipped(String),
}

fn case(r: &Report, f: &Finding) -> Case {
    let (file, _) = rel_path_of(r.sources, &f.loc, r.repo_root);
    let (s, _) = span_line_cols(r.sources, &f.loc);
    let class = if f.name.is_empty() {
        f.code.clone()
    } else {
        format!("{} {}", f.code, f.name)
    };
    let name = format!("{file}:{}:{}", s.line, s.col);
    let body = match &f.suppression {
        Some(sup) => Body::Skipped(if sup.justification.is_empty() {
            "suppressed".to_string()
        } else {
            format!("suppressed: {}", sup.justification)
        }),
        None => {
            let mut text = format!("{name}: {} {class}: {}\n", f.severity.as_str(), f.message);
            for rel in &f.related {
                let (rf, _) = rel_path_of(r.sources, &rel.loc, r.repo_root);
                let (rs, _) = span_line_cols(r.sources, &rel.loc);
                text.push_str(&format!("  {rf}:{}:{}: {}\n", rs.line, rs.col, rel.label));
            }
            if let Some(h) = &f.help {
                text.push_str(&format!("help: {h}\n"));
            }
            if !f.doc_url.is_empty() {
                text.push_str(&format!("{}\n", f.doc_url));
            }
            Body::Failure {
                severity: f.severity.as_str(),
                message: f.message.clone(),
                text,
            }
        }
    };
    Case {
        class,
        name,
        file,
        line: s.line,
        body,
    }
}

/// Renders the report as a JUnit XML document, ending in a newline.
pub fn render_junit(r: &Report) -> String {
    // Findings are sorted by file and position; suites keep that order, by file.
    let mut suites: BTreeMap<String, Vec<Case>> = BTreeMap::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::default();
    for f in r.findings {
        let mut c = case(r, f);
        let n = seen.entry((c.class.clone(), c.name.clone())).or_insert(0);
        *n += 1;
        if *n > 1 {
            c.name = format!("{} ({})", c.name, n);
        }
        suites.entry(c.file.clone()).or_default().push(c);
    }
    let count = |cases: &[Case]| {
        let failures = cases
            .iter()
            .filter(|c| matches!(c.body, Body::Failure { .. }))
            .count();
        (cases.len(), failures, cases.len() - failures)
    };
    let all: Vec<&Case> = suites.values().flatten().collect();
    let failures = all
        .iter()
        .filter(|c| matches!(c.body, Body::Failure { .. }))
        .count();
    let tests = all.len().max(1);
    let skipped = all.len() - failures;

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"policy-lint\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n"
    ));
    if suites.is_empty() {
        out.push_str(
            "  <testsuite name=\"policy-lint\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\">\n",
        );
        out.push_str(&format!(
            "    <testcase classname=\"policy-lint\" name=\"{}\"/>\n",
            escape(&summary_line(r.summary), true)
        ));
        out.push_str("  </testsuite>\n");
    }
    for (file, cases) in &suites {
        let (t, f, s) = count(cases);
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{t}\" failures=\"{f}\" errors=\"0\" skipped=\"{s}\">\n",
            escape(file, true)
        ));
        for c in cases {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\">\n",
                escape(&c.class, true),
                escape(&c.name, true),
                escape(&c.file, true),
                c.line
            ));
            match &c.body {
                Body::Failure {
                    severity,
                    message,
                    text,
                } => out.push_str(&format!(
                    "      <failure type=\"{severity}\" message=\"{}\">{}</failure>\n",
                    escape(message, true),
                    escape(text, false)
                )),
                Body::Skipped(why) => out.push_str(&format!(
                    "      <skipped message=\"{}\"/>\n",
                    escape(why, true)
                )),
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::testdata;

    #[test]
    fn snapshot_junit() {
        let t = testdata::sample();
        let out = render_junit(&t.report());
        assert_eq!(out, render_junit(&t.report()));
        insta::assert_snapshot!(out);
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape("a<b>&\"c\"\n\u{1}", true),
            "a&lt;b&gt;&amp;&quot;c&quot;&#10;\u{FFFD}"
        );
        assert_eq!(escape("a\"b\nc", false), "a\"b\nc");
    }

    #[test]
    fn counts_and_an_empty_run() {
        let t = testdata::sample();
        let out = render_junit(&t.report());
        assert!(out.contains("<testsuites name=\"policy-lint\" tests=\"4\" failures=\"3\" errors=\"0\" skipped=\"1\">"), "{out}");
        let mut empty = testdata::sample();
        empty.findings.clear();
        empty.summary = crate::finding::Summary {
            files: 2,
            ..Default::default()
        };
        let out = render_junit(&empty.report());
        assert!(out.contains("tests=\"1\" failures=\"0\""), "{out}");
        assert!(out.contains("name=\"No findings in 2 files.\""), "{out}");
    }
}
