//! Inline suppressions: `# policy-lint:ignore CODE[,CODE] reason="..." [expires=YYYY-MM-DD]`.
//!
//! A suppression comment covers the block or attribute on the line below it, or, written at the
//! end of a line, the innermost block or attribute that starts on that line. `//` and `/* */`
//! comments work too. Rule names may stand for codes; codes are separated by `,` (spaces after
//! the commas allowed).
//!
//! Comments that look meant as suppressions but are not written in that form (`policy-lint:
//! ignore`, `policy-lint:disable`, `policy_lint:ignore`, and `noqa`/`disable` followed by a
//! policy-lint code) are kept as *near misses*: they suppress nothing, and stamping reports them
//! (SUP004) with the form that works.

use crate::source::{FileId, Location, SourceFile};
use hcl_edit::expr::Expression;
use hcl_edit::structure::Body;
use hcl_edit::Span;
use std::ops::Range;

/// One parsed suppression comment.
#[derive(Debug, Clone)]
pub struct Suppression {
    /// The comment.
    pub loc: Location,
    /// Codes (or names, resolved by the engine) as written.
    pub codes: Vec<String>,
    pub reason: Option<String>,
    /// `expires=` as (year, month, day).
    pub expires: Option<(i32, u32, u32)>,
    /// Problems with the comment itself (bad date), for messages.
    pub problems: Vec<String>,
    /// Byte range of the file this suppression covers.
    pub covers: Range<usize>,
    /// A comment that looks meant as a suppression but is not one: it never suppresses.
    pub near_miss: Option<NearMiss>,
}

/// What a near miss is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearMiss {
    /// The marker as written (`policy-lint: ignore`, `noqa:`).
    pub written: String,
    /// `noqa` or `disable` without `policy-lint`: a near miss only when one of its codes is a
    /// policy-lint rule (stamping decides), since other tools use the same words.
    pub foreign: bool,
    /// How the comment opens: `#`, `//` or `/*`.
    pub opener: &'static str,
}

pub const MARK: &str = "policy-lint:ignore";

/// Whether a file may hold a suppression comment or a near miss (files that do are parsed
/// whole). Cheap: a literal scan, then a regular expression only when one of the words is there.
pub fn mentions(text: &str) -> bool {
    // One pass for all the words (the regex engine searches literal alternatives together);
    // the marker has one of them (`lint`), so most files are done after this pass.
    static WORDS: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let hit = WORDS
        .get_or_init(|| {
            regex::Regex::new("lint|LINT|Lint|noqa|NOQA|isable|ISABLE")
                .expect("valid words pattern")
        })
        .is_match(text);
    if !hit {
        return false;
    }
    if memchr::memmem::find(text.as_bytes(), MARK.as_bytes()).is_some() {
        return true;
    }
    // Only a line with one of the words every near-miss pattern needs can hold one: visit those
    // lines (found in one pass over the text), not every line.
    let mut from = 0;
    while from < text.len() {
        let Some(m) = near_miss_hint().find_at(text, from) else {
            break;
        };
        let start = text[..m.start()].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let end = text[m.end()..]
            .find('\n')
            .map(|i| m.end() + i)
            .unwrap_or(text.len());
        let line = text[start..end]
            .strip_suffix('\r')
            .unwrap_or(&text[start..end]);
        if near_miss_in(line).is_some() {
            return true;
        }
        from = end + 1;
    }
    false
}

/// The words (any case) one of which every near-miss pattern needs: a fast test before them.
fn near_miss_hint() -> &'static regex::Regex {
    static P: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    P.get_or_init(|| regex::Regex::new(r"(?i)lint|noqa|disable").expect("valid hint pattern"))
}

/// `(?i)` patterns of near misses, each capturing the marker as written and what follows.
fn near_miss_patterns() -> &'static [(regex::Regex, bool)] {
    static P: std::sync::OnceLock<Vec<(regex::Regex, bool)>> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| regex::Regex::new(s).expect("valid near-miss pattern");
        vec![
            // policy-lint: ignore, policy_lint:ignore, policylint ignore, policy-lint:disable,
            // Policy-Lint:Ignore, policy-lint:ignore-next-line ...
            (
                re(r"(?i)(\bpolicy[ _-]?lint\s*[:=]?\s*-?\s*(?:ignore|disable|skip|noqa)[\w-]*)(.*)"),
                false,
            ),
            // noqa: NET003, noqa NET003
            (re(r"(?i)(\bnoqa\b\s*:?)(.*)"), true),
            // disable=NET003, disable: NET003, disable NET003
            (re(r"(?i)(\bdisable\b\s*[:=]?)(.*)"), true),
        ]
    })
}

/// The marker as written, whether it is foreign, and the rest of the comment, when `line` holds
/// a near miss (a line with the correct marker holds none).
fn near_miss_in(line: &str) -> Option<(String, bool, String)> {
    if let Some(i) = line.find(MARK) {
        let after = &line[i + MARK.len()..];
        if after.is_empty() || after.starts_with(char::is_whitespace) || after.starts_with("*/") {
            return None;
        }
    }
    if !near_miss_hint().is_match(line) {
        return None;
    }
    let comment = comment_text(line)?;
    for (re, foreign) in near_miss_patterns() {
        // `is_match` first: most comments that name a hint word match no pattern, and finding
        // the groups costs far more than deciding whether there is a match.
        if !re.is_match(comment) {
            continue;
        }
        if let Some(c) = re.captures(comment) {
            let rest = c.get(2).map(|m| m.as_str()).unwrap_or("");
            let rest = rest.split("*/").next().unwrap_or(rest).to_string();
            // `noqa`/`disable` are other tools' words: only a rule code (`NET003`) or a rule
            // name (`egress-unrestricted`) after them makes the comment a near miss.
            if *foreign && !codes_of(&rest).iter().any(|w| rule_like(w)) {
                continue;
            }
            return Some((c[1].trim().to_string(), *foreign, rest));
        }
    }
    None
}

/// A word shaped like a rule code (`NET003`, `acme001`) or a rule name (`egress-unrestricted`).
fn rule_like(w: &str) -> bool {
    let letters = w.chars().take_while(|c| c.is_ascii_alphabetic()).count();
    let code = (2..=5).contains(&letters)
        && w.len() - letters == 3
        && w[letters..].chars().all(|c| c.is_ascii_digit());
    let name = w.contains('-')
        && !w.starts_with('-')
        && w.split('-')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()));
    code || name
}

/// The comment of a line: what follows its first `#`, `//` or `/*`.
fn comment_text(line: &str) -> Option<&str> {
    let start = [line.find('#'), line.find("//"), line.find("/*")]
        .into_iter()
        .flatten()
        .min()?;
    Some(&line[start..])
}

/// The rule codes or names a near miss names: words before the first `key=value`, split at
/// spaces, commas and brackets.
fn codes_of(rest: &str) -> Vec<String> {
    let mut out = Vec::new();
    for w in rest.split(|c: char| c.is_whitespace() || ",[]():;".contains(c)) {
        if w.is_empty() {
            continue;
        }
        if w.contains('=') || w.contains('"') {
            break;
        }
        let code_like = w
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && w.chars().any(|c| c.is_ascii_alphabetic());
        if !code_like {
            break;
        }
        out.push(w.to_string());
    }
    out
}

/// Finds the suppression comments of an HCL file and what each covers.
pub fn scan_hcl(file: &SourceFile, tree: &crate::tree::Tree) -> Vec<Suppression> {
    let text = &*file.text;
    if !mentions(text) {
        return vec![];
    }
    // Spans of every block and attribute (any depth), to find what a comment covers.
    let mut items: Vec<Range<usize>> = Vec::new();
    tree.for_each_body(|_, base, body| {
        let from = items.len();
        collect_spans(body, &mut items);
        let at = crate::source::SpanFile {
            file: file.id,
            base,
        };
        for r in &mut items[from..] {
            *r = at.shift(r.clone());
        }
    });
    let mut out = Vec::new();
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        let near = near_miss_in(line);
        let (mut s, cpos) = match (&near, line.find(MARK)) {
            (None, Some(mpos)) => {
                // The marker must sit in a comment: after `#`, `//` or `/*` on the same line.
                let before = &line[..mpos];
                let cpos = [before.rfind('#'), before.rfind("//"), before.rfind("/*")]
                    .into_iter()
                    .flatten()
                    .min();
                let Some(cpos) = cpos else { continue };
                let rest = &line[mpos + MARK.len()..];
                let rest = rest.split("*/").next().unwrap_or(rest).trim_end();
                (parse_directive(rest), cpos)
            }
            (Some((written, foreign, rest)), _) => {
                let Some(comment) = comment_text(line) else {
                    continue;
                };
                let cpos = line.len() - comment.len();
                let mut s = parse_directive("");
                s.codes = codes_of(rest);
                s.reason = rest
                    .split_once("reason=")
                    .map(|(_, r)| r.trim_start_matches('"'))
                    .map(|r| r.split('"').next().unwrap_or(r).trim().to_string())
                    .filter(|r| !r.is_empty());
                s.near_miss = Some(NearMiss {
                    written: written.clone(),
                    foreign: *foreign,
                    opener: if comment.starts_with("//") {
                        "//"
                    } else if comment.starts_with("/*") {
                        "/*"
                    } else {
                        "#"
                    },
                });
                (s, cpos)
            }
            (None, None) => continue,
        };
        let comment_start = line_start + cpos;
        let comment_end = line_start + line.trim_end().len();
        s.loc = Location::new(file.id, comment_start..comment_end);
        let code_before = !line[..cpos].trim().is_empty();
        s.covers = if code_before {
            // Trailing comment: the innermost item starting on this line that reaches the end
            // of the code before the comment (so `{ a = 1, b = 2 }, # ...` covers the whole
            // element, not whichever of `a`/`b` happens to be shorter).
            let code_end = line_start
                + line[..cpos]
                    .trim_end()
                    .trim_end_matches(',')
                    .trim_end()
                    .len();
            items
                .iter()
                .filter(|r| {
                    r.start >= line_start && r.start < line_start + cpos && r.end >= code_end
                })
                .min_by_key(|r| r.end - r.start)
                .cloned()
                .unwrap_or(line_start..line_start + line.len())
        } else {
            // The item starting on the next non-comment, non-blank line.
            let mut next = offset;
            for l in text[offset..].split_inclusive('\n') {
                let t = l.trim_start();
                if t.is_empty() || t.starts_with('#') || t.starts_with("//") || t.starts_with("/*")
                {
                    next += l.len();
                    continue;
                }
                break;
            }
            let next_line_end = text[next..]
                .find('\n')
                .map(|i| next + i)
                .unwrap_or(text.len());
            items
                .iter()
                .filter(|r| r.start >= next && r.start <= next_line_end)
                .max_by_key(|r| r.end - r.start)
                .cloned()
                .unwrap_or(next..next_line_end)
        };
        out.push(s);
    }
    out
}

fn collect_spans(body: &Body, out: &mut Vec<Range<usize>>) {
    for s in body.iter() {
        if let Some(a) = s.as_attribute() {
            if let Some(sp) = a.span() {
                out.push(sp);
            }
            collect_expr(&a.value, out);
        } else if let Some(b) = s.as_block() {
            if let Some(sp) = b.span() {
                out.push(sp);
            }
            collect_spans(&b.body, out);
        }
    }
}

/// Items inside attribute values: `key = value` pairs of objects and elements of lists, so a
/// suppression can cover `policy_enforcement = { ... }` inside `egress = { ... }` (plugin-framework
/// resources nest attributes, not blocks).
fn collect_expr(e: &Expression, out: &mut Vec<Range<usize>>) {
    match e {
        Expression::Object(o) => {
            for (k, v) in o.iter() {
                if let (Some(ks), Some(vs)) = (k.span(), v.expr().span()) {
                    out.push(ks.start..vs.end);
                }
                collect_expr(v.expr(), out);
            }
        }
        Expression::Array(a) => {
            for x in a.iter() {
                if let Some(sp) = x.span() {
                    out.push(sp);
                }
                collect_expr(x, out);
            }
        }
        _ => {}
    }
}

/// Parses `CODE[,CODE] reason="..." expires=YYYY-MM-DD`.
fn parse_directive(rest: &str) -> Suppression {
    let mut s = Suppression {
        loc: Location::new(FileId(0), 0..0),
        codes: vec![],
        reason: None,
        expires: None,
        problems: vec![],
        covers: 0..0,
        near_miss: None,
    };
    // Codes: `A`, `A,B`, `A, B`; stops at the first `key=value` (no codes at all:
    // `policy-lint:ignore reason="..."`).
    let mut tail = rest.trim();
    loop {
        let end = tail
            .find(|c: char| c.is_whitespace() || c == ',')
            .unwrap_or(tail.len());
        let word = &tail[..end];
        if word.is_empty() || word.contains('=') || word.contains('"') {
            break;
        }
        s.codes.push(word.to_string());
        tail = tail[end..].trim_start();
        match tail.strip_prefix(',') {
            Some(more) => tail = more.trim_start(),
            None => break,
        }
    }
    while !tail.is_empty() {
        if let Some(r) = tail.strip_prefix("reason=") {
            if let Some(r2) = r.strip_prefix('"') {
                match r2.find('"') {
                    Some(end) => {
                        s.reason = Some(r2[..end].to_string());
                        tail = r2[end + 1..].trim_start();
                    }
                    None => {
                        s.reason = Some(r2.to_string());
                        s.problems
                            .push("the reason's closing quote is missing".into());
                        tail = "";
                    }
                }
            } else {
                let end = r.find(char::is_whitespace).unwrap_or(r.len());
                s.reason = Some(r[..end].to_string());
                tail = r[end..].trim_start();
            }
        } else if let Some(r) = tail.strip_prefix("expires=") {
            let end = r.find(char::is_whitespace).unwrap_or(r.len());
            let d = r[..end].trim_matches('"');
            match parse_date(d) {
                Some(date) => s.expires = Some(date),
                None => s.problems.push(format!(
                    "`expires={d}` is not a date of the form YYYY-MM-DD"
                )),
            }
            tail = r[end..].trim_start();
        } else {
            let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
            s.problems
                .push(format!("`{}` is not understood here", &tail[..end]));
            tail = tail[end..].trim_start();
        }
    }
    if s.reason
        .as_deref()
        .map(|r| r.trim().is_empty())
        .unwrap_or(false)
    {
        s.reason = None;
    }
    s
}

pub fn parse_date(d: &str) -> Option<(i32, u32, u32)> {
    let mut it = d.split('-');
    let y: i32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let day: u32 = it.next()?.parse().ok()?;
    if it.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) || d.len() != 10 {
        return None;
    }
    Some((y, m, day))
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y } as i64;
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// Today as days since the epoch (UTC). `POLICY_LINT_TODAY=YYYY-MM-DD` fixes it for tests.
pub fn today() -> i64 {
    if let Ok(s) = std::env::var("POLICY_LINT_TODAY") {
        if let Some((y, m, d)) = parse_date(&s) {
            return days_from_civil(y, m, d);
        }
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    (secs / 86_400) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_reason_and_expiry() {
        let s = parse_directive(
            r#"NET002,KMS006 reason="accepted by security, ticket SEC-1" expires=2027-01-31"#,
        );
        assert_eq!(s.codes, vec!["NET002", "KMS006"]);
        assert_eq!(
            s.reason.as_deref(),
            Some("accepted by security, ticket SEC-1")
        );
        assert_eq!(s.expires, Some((2027, 1, 31)));
        assert!(s.problems.is_empty());
    }

    #[test]
    fn codes_may_be_separated_by_comma_and_space() {
        let s = parse_directive(r#"NET003, NET004 reason="vendor mirror""#);
        assert_eq!(s.codes, vec!["NET003", "NET004"]);
        assert_eq!(s.reason.as_deref(), Some("vendor mirror"));
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        let s = parse_directive("NET003 ,NET004");
        assert_eq!(s.codes, vec!["NET003", "NET004"]);
        let s = parse_directive(r#"reason="no codes""#);
        assert!(s.codes.is_empty());
        assert_eq!(s.reason.as_deref(), Some("no codes"));
    }

    #[test]
    fn near_misses_are_recognised() {
        let hit = |l: &str| near_miss_in(l).map(|(w, f, rest)| (w, f, codes_of(&rest)));
        assert_eq!(
            hit("# policy-lint: ignore NET003 reason=\"x\""),
            Some(("policy-lint: ignore".into(), false, vec!["NET003".into()]))
        );
        assert_eq!(
            hit("  # policy-lint:disable NET003"),
            Some(("policy-lint:disable".into(), false, vec!["NET003".into()]))
        );
        assert_eq!(
            hit("// policy_lint:ignore NET001,NET002"),
            Some((
                "policy_lint:ignore".into(),
                false,
                vec!["NET001".into(), "NET002".into()]
            ))
        );
        assert_eq!(
            hit("# policy-lint: ignore[NET002] sandbox"),
            Some((
                "policy-lint: ignore".into(),
                false,
                vec!["NET002".into(), "sandbox".into()]
            ))
        );
        assert_eq!(
            hit("x = 1 # noqa: NET003"),
            Some(("noqa:".into(), true, vec!["NET003".into()]))
        );
        assert_eq!(
            hit("# pylint: disable=NET003"),
            Some(("disable=".into(), true, vec!["NET003".into()]))
        );
        assert!(hit("# policy-lint:ignore NET003 reason=\"x\"").is_none());
        assert!(hit("# noqa").is_none(), "noqa needs a code after it");
        assert!(hit("disable_rollback = true").is_none(), "not a comment");
        assert!(hit("# this module is policy-lint clean").is_none());
        assert!(hit("# disable public access to the bucket").is_none());
        assert!(
            hit("# noqa: E501").is_none(),
            "not shaped like a policy-lint code"
        );
        assert!(
            hit("# noqa: XYZ123").is_some(),
            "code-shaped: stamping checks the registry"
        );
        assert!(hit("# noqa: egress-unrestricted").is_some());
        assert!(mentions("# noqa: NET003\n"));
        assert!(!mentions(
            "resource \"x\" \"y\" { disable_rollback = true }\n"
        ));
    }

    #[test]
    fn bad_date_is_a_problem() {
        let s = parse_directive("NET002 expires=2027-13-01");
        assert_eq!(s.expires, None);
        assert_eq!(s.problems.len(), 1);
        assert!(s.reason.is_none());
    }

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11017);
    }
}
