//! Text layout shared by the human-readable formats: wrapping between words (never inside an
//! identifier), ANSI styles, and paths as the user sees them.

use crate::finding::Severity;
use std::path::{Component, Path};

/// ANSI styling, or none.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on && !s.is_empty() {
            format!("\u{1b}[{code}m{s}\u{1b}[0m")
        } else {
            s.to_string()
        }
    }
    pub fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    pub fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    pub fn cyan(&self, s: &str) -> String {
        self.wrap("36", s)
    }
    /// Bold, in the colour of a severity (red, yellow, cyan).
    pub fn severity(&self, sev: Severity, s: &str) -> String {
        let code = match sev {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Note => "1;36",
        };
        self.wrap(code, s)
    }
}

/// Wraps `text` to `width` columns, breaking only at spaces: a word (an identifier, a path, a
/// URL) longer than the line stays whole. The first line starts with `first`, the others with
/// `rest`. Line breaks in `text` are kept.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut prefix = first;
    for para in text.split('\n') {
        let mut line = String::from(prefix);
        let mut col = prefix.chars().count();
        let mut empty = true;
        for word in words(para) {
            let word = word.as_str();
            let n = word.chars().count();
            if !empty && col + 1 + n > width {
                out.push_str(line.trim_end());
                out.push('\n');
                line = String::from(rest);
                col = rest.chars().count();
                empty = true;
            }
            if !empty {
                line.push(' ');
                col += 1;
            }
            line.push_str(word);
            col += n;
            empty = false;
        }
        out.push_str(line.trim_end());
        out.push('\n');
        prefix = rest;
    }
    out.pop();
    out
}

/// The words of a line: split at spaces, except inside a short code span (`like this`, at most
/// [`MAX_SPAN`] characters), which stays on one line.
fn words(line: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open: Option<String> = None;
    for w in line.split(' ').filter(|w| !w.is_empty()) {
        match open.take() {
            Some(mut span) => {
                span.push(' ');
                span.push_str(w);
                if w.contains('`') {
                    if span.chars().count() <= MAX_SPAN {
                        out.push(span);
                    } else {
                        out.extend(span.split(' ').map(str::to_string));
                    }
                } else {
                    open = Some(span);
                }
            }
            None => {
                if w.matches('`').count() % 2 == 1 {
                    open = Some(w.to_string());
                } else {
                    out.push(w.to_string());
                }
            }
        }
    }
    if let Some(span) = open {
        out.extend(span.split(' ').map(str::to_string));
    }
    out
}

/// Longest code span kept on one line by [`wrap`].
const MAX_SPAN: usize = 40;

/// `text` on one line: line breaks and runs of whitespace become one space.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How a file is shown: relative to `cwd` (with at most two `..`), else `fallback` (its
/// display path). `/`-separated.
pub fn shown_path(path: &Path, fallback: &str, cwd: Option<&Path>) -> String {
    let Some(cwd) = cwd else {
        return fallback.replace('\\', "/");
    };
    if !path.is_absolute() || !cwd.is_absolute() {
        return fallback.replace('\\', "/");
    }
    let p: Vec<Component> = path.components().collect();
    let c: Vec<Component> = cwd.components().collect();
    let common = p.iter().zip(&c).take_while(|(a, b)| a == b).count();
    let ups = c.len() - common;
    // Sharing only the root (or one directory under it) is not "near": keep the display path.
    if common <= 1 || ups > 2 {
        return fallback.replace('\\', "/");
    }
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), ups).collect();
    parts.extend(
        p[common..]
            .iter()
            .map(|x| x.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// Elapsed time as shown in summaries: `0.12s`, `3.4s`, `75s`.
pub fn duration(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        format!("{s:.2}s")
    } else if s < 60.0 {
        format!("{s:.1}s")
    } else {
        format!("{}s", d.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_between_words_only() {
        let t = "the policy `databricks_account_network_policy.egress-unrestricted-policy` allows all egress";
        let w = wrap(t, 30, "help: ", "      ");
        assert_eq!(
            w,
            "help: the policy\n      `databricks_account_network_policy.egress-unrestricted-policy`\n      allows all egress"
        );
        for l in w.lines() {
            assert!(!l.ends_with('-'));
        }
        assert_eq!(wrap("a\nb c", 80, "> ", "  "), "> a\n  b c");
        // A short code span stays whole; a long one breaks at its spaces.
        assert_eq!(
            wrap("run `policy-lint baseline -o FILE` now", 24, "", ""),
            "run\n`policy-lint baseline -o FILE`\nnow"
        );
        assert_eq!(wrap("", 80, "x ", "  "), "x");
    }

    #[test]
    fn one_line_folds_breaks() {
        assert_eq!(one_line("a\n  b\tc "), "a b c");
    }

    #[test]
    fn paths_relative_to_the_working_directory() {
        let cwd = Path::new("/work/repo/infra");
        assert_eq!(
            shown_path(Path::new("/work/repo/infra/main.tf"), "x", Some(cwd)),
            "main.tf"
        );
        assert_eq!(
            shown_path(Path::new("/work/repo/policies/p.json"), "x", Some(cwd)),
            "../policies/p.json"
        );
        assert_eq!(
            shown_path(
                Path::new("/opt/other/p.json"),
                "/opt/other/p.json",
                Some(cwd)
            ),
            "/opt/other/p.json"
        );
        assert_eq!(shown_path(Path::new("/a/b"), "b", None), "b");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(std::time::Duration::from_millis(123)), "0.12s");
        assert_eq!(duration(std::time::Duration::from_millis(12_345)), "12.3s");
        assert_eq!(duration(std::time::Duration::from_secs(75)), "75s");
    }

    #[test]
    fn paint_is_plain_when_off() {
        let p = Paint { on: false };
        assert_eq!(p.severity(Severity::Error, "error"), "error");
        let p = Paint { on: true };
        assert_eq!(p.bold("x"), "\u{1b}[1mx\u{1b}[0m");
    }
}
