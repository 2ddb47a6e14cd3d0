//! "Did you mean ...?": the nearest subcommand, rule code or rule name to a misspelt word,
//! for the command line, the configuration and suppression comments alike.

use crate::registry::Registry;

/// Edit distance between two words, ignoring case (Damerau-Levenshtein: a swap of two
/// neighbouring letters is one edit).
pub fn distance(a: &str, b: &str) -> usize {
    strsim::damerau_levenshtein(&a.to_ascii_lowercase(), &b.to_ascii_lowercase())
}

/// The candidate nearest to `word`, if it is within `max` edits (the first one on a tie).
pub fn nearest_within<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max: usize,
) -> Option<&'a str> {
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        let d = distance(word, c);
        if d <= max && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// The subcommand a mistyped first word was meant to be: within two edits.
pub fn subcommand<'a>(word: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    if word.starts_with('-') || word.is_empty() {
        return None;
    }
    nearest_within(word, names, 2)
}

/// The rule a misspelt code or name stands for: the nearest code (`net02`, `NET03` →
/// `NET003`) or name (`egress-unrestrcted`), as `CODE` or `name`, whichever was closer.
pub fn rule(reg: &Registry, word: &str) -> Option<String> {
    let word = word.trim();
    if word.is_empty() {
        return None;
    }
    let mut best: Option<(usize, String)> = None;
    for r in &reg.rules {
        for (cand, max) in [
            (r.code.as_str(), 2usize),
            (r.name.as_str(), (r.name.len() / 4).max(2)),
        ] {
            let d = distance(word, cand);
            if d <= max && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
                best = Some((d, cand.to_string()));
            }
        }
    }
    best.map(|(_, c)| c)
}

/// ` (did you mean `X`?)`, or nothing.
pub fn did_you_mean(s: Option<impl AsRef<str>>) -> String {
    s.map(|s| format!(" (did you mean `{}`?)", s.as_ref()))
        .unwrap_or_default()
}

/// `did you mean `X`?`, for a help line.
pub fn help(s: Option<impl AsRef<str>>) -> Option<String> {
    s.map(|s| format!("did you mean `{}`?", s.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subcommands_within_two_edits() {
        let names = [
            "check",
            "baseline",
            "rules",
            "explain",
            "test",
            "completions",
        ];
        assert_eq!(subcommand("chekc", names), Some("check"));
        assert_eq!(subcommand("rule", names), Some("rules"));
        assert_eq!(subcommand("explian", names), Some("explain"));
        assert_eq!(subcommand("infra", names), None);
        assert_eq!(subcommand("--check", names), None);
    }

    #[test]
    fn rule_codes_and_names() {
        let reg = Registry::builtin().unwrap();
        assert_eq!(rule(&reg, "net02").as_deref(), Some("NET002"));
        assert_eq!(rule(&reg, "NET03").as_deref(), Some("NET003"));
        assert_eq!(rule(&reg, "NET0002").as_deref(), Some("NET002"));
        assert_eq!(
            rule(&reg, "egress-unrestrcted").as_deref(),
            Some("egress-unrestricted")
        );
        assert_eq!(rule(&reg, "completely-different"), None);
        assert_eq!(did_you_mean(Some("NET002")), " (did you mean `NET002`?)");
        assert_eq!(did_you_mean(None::<&str>), "");
    }
}
