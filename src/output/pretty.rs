//! Human-readable output: one block per finding, headed like rustc and ruff
//! (`error[NET002] egress-unrestricted: message`), with a source snippet drawn by miette's
//! graphical handler, then the documentation of each rule once, and a summary with a hint.
//!
//! Everything that depends on the terminal (colour, box drawing or ASCII, width, the working
//! directory paths are relative to) comes in [`PrettyOptions`], so the same options always give
//! the same bytes.

use super::text::{self, Paint};
use super::{fixable_line, span_line_cols, summary_details, summary_line, Report};
use crate::finding::{Finding, Severity};
use crate::term::Caps;
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode,
    ThemeCharacters, ThemeStyles,
};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// How to render.
#[derive(Debug, Clone)]
pub struct PrettyOptions {
    pub caps: Caps,
    /// The documentation link under each finding instead of once per rule at the end.
    pub show_urls: bool,
    /// EVAL001 notes with their full context (snippet, help) instead of one line each.
    pub verbose: bool,
    /// Findings only: no documentation list, summary or hint.
    pub quiet: bool,
    /// Paths are shown relative to this directory when the file is near it.
    pub cwd: Option<PathBuf>,
}

impl PrettyOptions {
    /// No colour, ASCII, the default width, paths as discovered: stable bytes for tests.
    pub fn plain() -> PrettyOptions {
        PrettyOptions {
            caps: Caps::plain(),
            show_urls: false,
            verbose: false,
            quiet: false,
            cwd: None,
        }
    }
}

/// The snippet of one finding as a miette diagnostic: labels only (the header, help and notes
/// are written by this module, so miette never wraps or hyphenates them).
#[derive(Debug)]
struct Snippet {
    source: NamedSource<Arc<str>>,
    labels: Vec<LabeledSpan>,
    severity: miette::Severity,
}

impl fmt::Display for Snippet {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        Ok(())
    }
}

impl std::error::Error for Snippet {}

impl Diagnostic for Snippet {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
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

struct Renderer<'a> {
    r: &'a Report<'a>,
    o: &'a PrettyOptions,
    paint: Paint,
    handler: GraphicalReportHandler,
}

impl<'a> Renderer<'a> {
    fn new(r: &'a Report<'a>, o: &'a PrettyOptions) -> Self {
        let characters = if o.caps.unicode {
            ThemeCharacters::unicode()
        } else {
            ThemeCharacters::ascii()
        };
        let styles = if o.caps.color {
            ThemeStyles::ansi()
        } else {
            ThemeStyles::none()
        };
        let handler = GraphicalReportHandler::new_themed(GraphicalTheme { characters, styles })
            .with_links(false)
            .with_width(o.caps.width.max(200))
            .with_wrap_lines(false)
            .without_syntax_highlighting();
        Renderer {
            r,
            o,
            paint: Paint { on: o.caps.color },
            handler,
        }
    }

    fn path_of(&self, file: crate::source::FileId) -> String {
        let f = self.r.sources.get(file);
        text::shown_path(&f.path, &f.display, self.o.cwd.as_deref())
    }

    fn position(&self, loc: &crate::source::Location) -> String {
        let (start, _) = span_line_cols(self.r.sources, loc);
        format!("{}:{}:{}", self.path_of(loc.file), start.line, start.col)
    }

    /// `error[NET002] egress-unrestricted: ` (coloured).
    fn title(&self, f: &Finding) -> String {
        let tag = format!("{}[{}]", f.severity, f.code);
        let mut s = self.paint.severity(f.severity, &tag);
        if !f.name.is_empty() {
            s.push(' ');
            s.push_str(&f.name);
        }
        s.push_str(": ");
        s
    }

    /// An EVAL001 note in one line: where, and the message (which names the rules it blocks
    /// and the input to set).
    fn compact(&self, f: &Finding) -> String {
        format!(
            "{}{}: {}\n",
            self.title(f),
            self.position(&f.loc),
            text::one_line(&f.message)
        )
    }

    fn full(&self, f: &Finding) -> String {
        let width = self.o.caps.width;
        let mut out = String::new();
        out.push_str(&self.title(f));
        // A message of several lines: the next ones indented under the header.
        let mut lines = f.message.lines();
        out.push_str(&self.paint.bold(lines.next().unwrap_or_default()));
        out.push('\n');
        for l in lines {
            out.push_str("  ");
            out.push_str(&self.paint.bold(l));
            out.push('\n');
        }

        let file = self.r.sources.get(f.loc.file);
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
                notes.push(format!("{} at {}", rel.label, self.position(&rel.loc)));
            }
        }
        if f.roots.len() > 1 || f.roots.iter().any(|r| r.environment != "production") {
            let roots: Vec<String> = f
                .roots
                .iter()
                .map(|r| format!("{} ({})", r.path, r.environment))
                .collect();
            notes.push(format!(
                "from root module{} {}",
                if roots.len() > 1 { "s" } else { "" },
                roots.join(", ")
            ));
        }
        let snippet = Snippet {
            source: NamedSource::new(self.path_of(f.loc.file), file.text.clone()),
            labels,
            severity: miette_severity(f.severity),
        };
        let mut drawn = String::new();
        match self.handler.render_report(&mut drawn, &snippet) {
            // miette's first line is the (empty) message: the header above replaces it.
            Ok(()) => match drawn.split_once('\n') {
                Some((_, rest)) => out.push_str(rest.trim_end_matches('\n')),
                None => out.push_str(&format!("  --> {}", self.position(&f.loc))),
            },
            // Only a span outside the text fails to render: say where, without a snippet.
            Err(_) => out.push_str(&format!("  --> {}", self.position(&f.loc))),
        }
        out.push('\n');
        if let Some(h) = f.help.as_deref().filter(|h| !h.is_empty()) {
            let first = format!("  {} ", self.paint.cyan("help:"));
            // The visible width of `first` is 8 columns whatever the colour codes.
            let wrapped = text::wrap(h, width, "  help: ", "        ");
            out.push_str(&wrapped.replacen("  help: ", &first, 1));
            out.push('\n');
        }
        if let Some(x) = &f.fix {
            let how = match x.applicability {
                crate::finding::Applicability::Safe => "safe: --fix",
                crate::finding::Applicability::Unsafe => "unsafe: --fix --unsafe-fixes",
            };
            let line = format!("{} ({how})", x.description);
            let first = format!("  {} ", self.paint.cyan("fix:"));
            let wrapped = text::wrap(&line, width, "  fix: ", "       ");
            out.push_str(&wrapped.replacen("  fix: ", &first, 1));
            out.push('\n');
        }
        for n in notes {
            out.push_str(&text::wrap(&n, width, "  = note: ", "          "));
            out.push('\n');
        }
        if self.o.show_urls && !f.doc_url.is_empty() {
            out.push_str(&format!("  = docs: {}\n", f.doc_url));
        }
        out
    }
}

/// Whether a finding is shown in one line: EVAL001 notes and warnings, unless `--verbose`.
fn is_compact(f: &Finding, o: &PrettyOptions) -> bool {
    !o.verbose && f.code == "EVAL001" && f.severity < Severity::Error
}

/// Renders unsuppressed findings, the documentation of their rules, and the summary.
pub fn render_pretty(r: &Report, o: &PrettyOptions) -> String {
    let ren = Renderer::new(r, o);
    let shown: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.suppression.is_none())
        .collect();
    let mut out = String::new();
    let mut last_compact = false;
    let mut compacted = 0usize;
    for f in &shown {
        if is_compact(f, o) {
            out.push_str(&ren.compact(f));
            last_compact = true;
            compacted += 1;
        } else {
            if last_compact {
                out.push('\n');
            }
            out.push_str(&ren.full(f));
            out.push('\n');
            last_compact = false;
        }
    }
    if last_compact {
        out.push('\n');
    }
    if o.quiet {
        return out;
    }
    // The documentation of each rule reported, once.
    if !o.show_urls {
        let mut seen: Vec<(&str, &str, &str)> = Vec::new();
        for f in &shown {
            if !f.doc_url.is_empty() && !seen.iter().any(|(c, _, _)| *c == f.code) {
                seen.push((&f.code, &f.name, &f.doc_url));
            }
        }
        if !seen.is_empty() {
            out.push_str(&ren.paint.bold("Documentation:"));
            out.push('\n');
            let w = seen
                .iter()
                .map(|(c, n, _)| c.len() + 1 + n.len())
                .max()
                .unwrap_or(0);
            for (c, n, u) in &seen {
                let label = format!("{c} {n}");
                out.push_str(&format!("  {label:<w$}  {u}\n"));
            }
            out.push('\n');
        }
    }
    out.push_str(&summary(r, &ren.paint));
    out.push('\n');
    for l in summary_details(r.summary) {
        out.push_str(&text::wrap(&l, o.caps.width, "", "  "));
        out.push('\n');
    }
    if let Some(h) = hint(&shown, r.summary, compacted) {
        let first = format!("{} ", ren.paint.cyan("hint:"));
        out.push_str(
            &text::wrap(&h, o.caps.width, "hint: ", "      ").replacen("hint: ", &first, 1),
        );
        out.push('\n');
    }
    if let Some(l) = fixable_line(r.summary) {
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// The summary line, counts in their severity's colour, with the time the run took.
fn summary(r: &Report, paint: &Paint) -> String {
    let s = r.summary;
    let mut line = summary_line(s);
    if paint.on && s.total() > 0 {
        for (n, word, sev) in [
            (s.error, "error", Severity::Error),
            (s.warning, "warning", Severity::Warning),
            (s.note, "note", Severity::Note),
        ] {
            if n > 0 {
                let t = format!("{n} {word}{}", if n == 1 { "" } else { "s" });
                line = line.replacen(&t, &paint.severity(sev, &t), 1);
            }
        }
    }
    if let Some(d) = s.elapsed {
        if !line.ends_with('.') {
            line.push('.');
        }
        line.push_str(&format!(" Checked in {}.", text::duration(d)));
    }
    line
}

/// What to do next: the documentation of the first rule at the highest severity, EVAL001 in
/// full, and a baseline to report only new findings.
fn hint(shown: &[&Finding], s: &crate::finding::Summary, compacted: usize) -> Option<String> {
    let top = shown
        .iter()
        .filter(|f| f.code != "EVAL001")
        .max_by(|a, b| {
            a.severity
                .cmp(&b.severity)
                .then(std::cmp::Ordering::Greater)
        })
        .or_else(|| shown.first())?;
    let mut parts = vec![format!(
        "`policy-lint explain {}` shows what a rule checks and how to fix it",
        top.code
    )];
    if compacted > 0 {
        parts.push(format!(
            "`--verbose` shows the unresolved value{} (EVAL001) in context",
            if compacted == 1 { "" } else { "s" }
        ));
    }
    if !s.baseline_applied {
        parts.push(
            "`policy-lint baseline -o FILE`, then `--baseline FILE`, reports only new findings"
                .into(),
        );
    }
    Some(parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::testdata;
    use crate::term::Caps;

    fn opts(color: bool, unicode: bool, width: usize) -> PrettyOptions {
        PrettyOptions {
            caps: Caps {
                color,
                unicode,
                width,
                tty: false,
            },
            ..PrettyOptions::plain()
        }
    }

    #[test]
    fn snapshot_pretty() {
        let t = testdata::sample();
        let o = opts(false, true, 100);
        let out = render_pretty(&t.report(), &o);
        assert!(!out.contains('\u{1b}'), "no escape sequences without color");
        assert!(
            !out.contains("egress-full-access"),
            "suppressed findings are not printed"
        );
        assert!(out.contains("error[KMS002] grant-without-aws-resource-condition: Statement"));
        assert!(out.contains("warning[CMK001] key-rotation-disabled: "));
        assert!(out.contains("note[KMS004] public-principal: "));
        assert_eq!(out, render_pretty(&t.report(), &o));
        insta::assert_snapshot!(out);
    }

    #[test]
    fn snapshot_pretty_ascii_for_dumb_terminals() {
        let t = testdata::sample();
        let out = render_pretty(&t.report(), &opts(false, false, 100));
        assert!(out.is_ascii(), "TERM=dumb / non-UTF-8 locale: ASCII only");
        insta::assert_snapshot!(out);
    }

    #[test]
    fn snapshot_pretty_colour() {
        let t = testdata::sample();
        let out = render_pretty(&t.report(), &opts(true, true, 100));
        assert!(out.contains("\u{1b}[1;31merror[KMS002]\u{1b}[0m"));
        assert!(
            !out.contains("]8;;"),
            "no OSC-8 hyperlinks: URLs are shown as text"
        );
        insta::assert_snapshot!(out);
    }

    #[test]
    fn snapshot_pretty_narrow_and_wide() {
        let t = testdata::sample_extended();
        let narrow = render_pretty(&t.report(), &opts(false, true, 60));
        let wide = render_pretty(&t.report(), &opts(false, true, 160));
        for out in [&narrow, &wide] {
            // No identifier is broken across lines: every word of a help text is whole.
            assert!(out.contains(
                "`module.workspace_defaults.module.network.databricks_account_network_policy.this`"
            ));
            assert!(!out.lines().any(|l| l.trim_end().ends_with('-')));
        }
        insta::assert_snapshot!("pretty_narrow", narrow);
        insta::assert_snapshot!("pretty_wide", wide);
    }

    #[test]
    fn snapshot_eval001_compact_and_verbose() {
        let t = testdata::sample_extended();
        let mut o = opts(false, true, 100);
        let compact = render_pretty(&t.report(), &o);
        let line = compact
            .lines()
            .find(|l| l.starts_with("note[EVAL001]"))
            .expect("one line per EVAL001 note");
        assert!(line.contains("infra/main.tf:"), "{line}");
        assert!(
            compact.contains("`--verbose`"),
            "the hint says how to see more"
        );
        o.verbose = true;
        let verbose = render_pretty(&t.report(), &o);
        assert!(verbose.lines().filter(|l| l.contains("EVAL001")).count() >= 1);
        assert!(verbose.len() > compact.len());
        insta::assert_snapshot!("eval_compact", compact);
        insta::assert_snapshot!("eval_verbose", verbose);
    }

    #[test]
    fn urls_once_per_rule_or_under_each_finding() {
        let t = testdata::sample();
        let mut o = opts(false, true, 100);
        let out = render_pretty(&t.report(), &o);
        assert_eq!(
            out.matches("https://example.invalid/policy-lint/rules/KMS002")
                .count(),
            1
        );
        assert!(out.contains("Documentation:\n"));
        o.show_urls = true;
        let out = render_pretty(&t.report(), &o);
        assert!(out.contains("  = docs: https://example.invalid/policy-lint/rules/KMS002\n"));
        assert!(!out.contains("Documentation:\n"));
    }

    #[test]
    fn summary_has_time_and_hint() {
        let mut t = testdata::sample();
        t.summary.elapsed = Some(std::time::Duration::from_millis(42));
        let out = render_pretty(&t.report(), &opts(false, true, 100));
        assert!(
            out.contains(
                "1 error, 1 warning, 1 note in 3 files (1 suppressed). Checked in 0.04s.\n"
            ),
            "{out}"
        );
        assert!(out.contains("hint: `policy-lint explain KMS002`"), "{out}");
        assert!(out.contains("`policy-lint baseline"));
        t.summary.baseline_applied = true;
        let out = render_pretty(&t.report(), &opts(false, true, 100));
        assert!(!out.contains("`policy-lint baseline"));
    }

    #[test]
    fn quiet_prints_findings_only() {
        let t = testdata::sample();
        let mut o = opts(false, true, 100);
        o.quiet = true;
        let out = render_pretty(&t.report(), &o);
        assert!(out.contains("error[KMS002]"));
        assert!(!out.contains("in 3 files"));
        assert!(!out.contains("hint:"));
        assert!(!out.contains("Documentation:"));
    }

    #[test]
    fn paths_relative_to_the_working_directory() {
        let t = testdata::sample();
        let mut o = opts(false, true, 100);
        o.cwd = Some(PathBuf::from("/work/repo/infra"));
        let out = render_pretty(&t.report(), &o);
        assert!(out.contains("[main.tf:"), "{out}");
        assert!(out.contains("[../policies/key policy.json:"), "{out}");
    }

    #[test]
    fn no_findings() {
        let t = testdata::sample();
        let mut r = t.report();
        r.findings = &[];
        let summary = crate::finding::Summary::default();
        r.summary = &summary;
        assert_eq!(
            render_pretty(&r, &PrettyOptions::plain()),
            "No findings in 0 files.\n"
        );
    }
}
