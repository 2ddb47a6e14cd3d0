//! GitHub Actions workflow commands (`::error file=…::message`), one per unsuppressed finding.

use super::{rel_path_of, span_line_cols, Report};
use crate::finding::Severity;

/// Escapes the message part of a workflow command.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Renders one `::error`/`::warning`/`::notice` line per unsuppressed finding.
pub fn render_github(r: &Report) -> String {
    let mut out = String::new();
    for f in r.findings.iter().filter(|f| f.suppression.is_none()) {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let (file, _) = rel_path_of(r.sources, &f.loc, r.repo_root);
        let (s, e) = span_line_cols(r.sources, &f.loc);
        let title = if f.name.is_empty() {
            f.code.clone()
        } else {
            format!("{} {}", f.code, f.name)
        };
        out.push_str(&format!(
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(&file),
            s.line,
            s.col,
            e.line,
            e.col,
            escape_property(&title),
            escape_data(&f.message),
        ));
    }
    // What was skipped and notices about the run, as notices of their own.
    for l in super::summary_details(r.summary) {
        out.push_str(&format!(
            "::notice title={}::{}\n",
            escape_property("policy-lint"),
            escape_data(&l)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::testdata;

    #[test]
    fn snapshot_github() {
        let t = testdata::sample();
        let out = render_github(&t.report());
        assert_eq!(out, render_github(&t.report()));
        assert_eq!(out.lines().count(), 3, "suppressed finding left out");
        assert!(out.lines().all(|l| l.starts_with("::")));
        insta::assert_snapshot!(out);
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_data("50% a:b,c\r\nd"), "50%25 a:b,c%0D%0Ad");
        assert_eq!(escape_property("50% a:b,c\r\nd"), "50%25 a%3Ab%2Cc%0D%0Ad");
    }
}
