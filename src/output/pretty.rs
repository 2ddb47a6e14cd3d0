//! Human-readable output through miette's graphical report handler.

use super::{span_line_cols, summary_details, summary_line, Report};
use crate::finding::{Finding, Severity};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
};
use std::fmt;
use std::sync::Arc;

/// Terminal width the report is wrapped to (fixed, so output does not depend on the terminal).
const WIDTH: usize = 100;

/// One finding as a miette diagnostic.
#[derive(Debug)]
struct FindingDiagnostic {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<String>,
    url: Option<String>,
    source: NamedSource<Arc<str>>,
    labels: Vec<LabeledSpan>,
}

impl fmt::Display for FindingDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FindingDiagnostic {}

impl Diagnostic for FindingDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.url
            .as_ref()
            .map(|u| Box::new(u) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

fn miette_severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Note => miette::Severity::Advice,
    }
}

/// The diagnostic for `f` and the notes for related locations in other files.
fn diagnostic(r: &Report, f: &Finding) -> (FindingDiagnostic, Vec<String>) {
    let file = r.sources.get(f.loc.file);
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        f.attr_path.clone(),
        f.loc.range(),
    )];
    let mut notes = Vec::new();
    for rel in &f.related {
        if rel.loc.file == f.loc.file {
            labels.push(LabeledSpan::new_with_span(
                Some(rel.label.clone()),
                rel.loc.range(),
            ));
        } else {
            let other = r.sources.get(rel.loc.file);
            let (start, _) = span_line_cols(r.sources, &rel.loc);
            notes.push(format!(
                "  = note: {} at {}:{}:{}",
                rel.label, other.display, start.line, start.col
            ));
        }
    }
    if f.roots.len() > 1 || f.roots.iter().any(|r| r.environment != "production") {
        let roots: Vec<String> = f
            .roots
            .iter()
            .map(|r| format!("{} ({})", r.path, r.environment))
            .collect();
        notes.push(format!(
            "  = note: from root module{} {}",
            if roots.len() > 1 { "s" } else { "" },
            roots.join(", ")
        ));
    }
    let code = if f.name.is_empty() {
        f.code.clone()
    } else {
        format!("{} {}", f.code, f.name)
    };
    let diag = FindingDiagnostic {
        message: f.message.clone(),
        code,
        severity: miette_severity(f.severity),
        help: f.help.clone().filter(|h| !h.is_empty()),
        url: Some(f.doc_url.clone()).filter(|u| !u.is_empty()),
        source: NamedSource::new(&file.display, file.text.clone()),
        labels,
    };
    (diag, notes)
}

/// Renders unsuppressed findings with miette, then a summary line.
///
/// With `color == false` the output uses the colorless unicode theme, prints URLs as text
/// instead of terminal hyperlinks and wraps at a fixed width, so it is byte-for-byte stable.
pub fn render_pretty(r: &Report, color: bool) -> String {
    let handler = if color {
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode())
    } else {
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_links(false)
    }
    .with_width(WIDTH)
    .without_syntax_highlighting();

    let mut out = String::new();
    for f in r.findings.iter().filter(|f| f.suppression.is_none()) {
        let (diag, notes) = diagnostic(r, f);
        let mut text = String::new();
        if handler.render_report(&mut text, &diag).is_err() {
            // Rendering into a String only fails if the diagnostic itself is inconsistent
            // (a span outside the text); fall back to a plain line.
            let (start, _) = span_line_cols(r.sources, &f.loc);
            text = format!(
                "{}[{}]: {}\n  --> {}:{}:{}\n",
                f.severity,
                diag.code,
                f.message,
                r.sources.get(f.loc.file).display,
                start.line,
                start.col
            );
        }
        out.push_str(text.trim_end_matches('\n'));
        out.push('\n');
        for n in notes {
            out.push_str(&n);
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str(&summary_line(r.summary));
    out.push('\n');
    for l in summary_details(r.summary) {
        out.push_str(&l);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::testdata;

    #[test]
    fn snapshot_pretty() {
        let t = testdata::sample();
        let out = render_pretty(&t.report(), false);
        assert!(!out.contains('\u{1b}'), "no escape sequences without color");
        assert!(
            !out.contains("NET002"),
            "suppressed findings are not printed"
        );
        assert!(out.ends_with("1 error, 1 warning, 1 note in 3 files (1 suppressed)\n"));
        assert_eq!(out, render_pretty(&t.report(), false));
        insta::assert_snapshot!(out);
    }

    #[test]
    fn color_output_renders() {
        let t = testdata::sample();
        let out = render_pretty(&t.report(), true);
        assert!(out.contains("KMS002"));
        assert_eq!(out, render_pretty(&t.report(), true));
    }

    #[test]
    fn no_findings() {
        let t = testdata::sample();
        let mut r = t.report();
        r.findings = &[];
        let summary = crate::finding::Summary::default();
        r.summary = &summary;
        assert_eq!(render_pretty(&r, false), "No findings in 0 files.\n");
    }
}
