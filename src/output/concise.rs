//! `--format concise`: one line per finding, `path:line:col: severity[CODE] message`, the form
//! editors, CI logs and `grep` understand (ruff's `concise`, tflint's `compact`), then the
//! summary line.

use super::pretty::PrettyOptions;
use super::text::{self, Paint};
use super::{fixable_line, span_line_cols, summary_details, summary_line, Report};

/// Renders unsuppressed findings one per line (messages folded onto one line), then the
/// summary unless `quiet`.
pub fn render_concise(r: &Report, o: &PrettyOptions) -> String {
    let paint = Paint { on: o.caps.color };
    let mut out = String::new();
    for f in r.findings.iter().filter(|f| f.suppression.is_none()) {
        let file = r.sources.get(f.loc.file);
        let (start, _) = span_line_cols(r.sources, &f.loc);
        let path = text::shown_path(&file.path, &file.display, o.cwd.as_deref());
        let tag = paint.severity(f.severity, &format!("{}[{}]", f.severity, f.code));
        // `[*]`: --fix fixes it (ruff's mark); unsafe fixes are not marked.
        let mark = match f.fix.as_ref().map(|x| x.applicability) {
            Some(crate::finding::Applicability::Safe) => "[*] ",
            _ => "",
        };
        out.push_str(&format!(
            "{path}:{}:{}: {tag} {mark}{}\n",
            start.line,
            start.col,
            text::one_line(&f.message)
        ));
    }
    if !o.quiet {
        out.push_str(&summary_line(r.summary));
        out.push('\n');
        for l in summary_details(r.summary) {
            out.push_str(&l);
            out.push('\n');
        }
        if let Some(l) = fixable_line(r.summary) {
            out.push_str(&l);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::testdata;

    #[test]
    fn snapshot_concise() {
        let t = testdata::sample_extended();
        let out = render_concise(&t.report(), &PrettyOptions::plain());
        let line =
            regex::Regex::new(r"^[^:]+:\d+:\d+: (error|warning|note)\[[A-Z]+\d{3}\] \S").unwrap();
        let lines: Vec<&str> = out.lines().collect();
        let (findings, summary) = lines.split_at(lines.len() - 2);
        assert_eq!(findings.len(), 5, "{out}");
        for l in findings {
            assert!(line.is_match(l), "{l}");
        }
        // The summary, then how many findings --fix fixes; those are marked `[*]`.
        assert_eq!(
            summary,
            [
                "2 errors, 1 warning, 2 notes in 3 files (1 suppressed)",
                "1 fixable with --fix"
            ]
        );
        assert!(
            findings
                .iter()
                .any(|l| l.contains("warning[CMK001] [*] Automatic rotation")),
            "{out}"
        );
        assert!(
            out.contains("policies/key policy.json:"),
            "multi-line messages are folded: {out}"
        );
        assert!(!out.contains("egress-full-access"));
        assert!(
            !out.contains("Serverless egress is not restricted"),
            "suppressed"
        );
        insta::assert_snapshot!(out);
    }

    #[test]
    fn no_colour_codes_unless_asked() {
        let t = testdata::sample();
        let mut o = PrettyOptions::plain();
        assert!(!render_concise(&t.report(), &o).contains('\u{1b}'));
        o.caps.color = true;
        assert!(render_concise(&t.report(), &o).contains("\u{1b}[1;31merror[KMS002]\u{1b}[0m"));
        o.quiet = true;
        assert!(!render_concise(&t.report(), &o).contains("in 3 files"));
    }
}
