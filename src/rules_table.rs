//! `policy-lint rules`: the rule catalogue as a table that fits the terminal, or, when piped or
//! on a narrow terminal, one short paragraph per rule.

use crate::output::text::wrap;
use crate::registry::Registry;
use std::fmt::Write as _;

/// Narrowest summary column the table layout accepts; below it the narrow layout is used.
const MIN_SUMMARY: usize = 30;

/// The catalogue laid out in `width` columns; `narrow`: one paragraph per rule whatever the
/// width (standard output is not a terminal).
pub fn render(
    reg: &Registry,
    implemented: &dyn Fn(&str) -> bool,
    width: usize,
    narrow: bool,
) -> String {
    let rows: Vec<[String; 4]> = reg
        .rules
        .iter()
        .map(|r| {
            let mut summary = r.summary.clone();
            if !implemented(&r.code) {
                summary = format!("(not implemented yet) {summary}");
            }
            [r.code.clone(), r.name.clone(), r.severity_text(), summary]
        })
        .collect();
    let header = [
        "CODE".to_string(),
        "NAME".into(),
        "SEVERITY".into(),
        "SUMMARY".into(),
    ];
    let mut widths = [0usize; 3];
    for row in std::iter::once(&header).chain(rows.iter()) {
        for (i, w) in widths.iter_mut().enumerate() {
            *w = (*w).max(row[i].chars().count());
        }
    }
    let indent = widths[0] + widths[1] + widths[2] + 6;
    let mut out = String::new();
    if !narrow && width >= indent + MIN_SUMMARY {
        let pad = " ".repeat(indent);
        for row in std::iter::once(&header).chain(rows.iter()) {
            let first = format!(
                "{:<w0$}  {:<w1$}  {:<w2$}  ",
                row[0],
                row[1],
                row[2],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            );
            let _ = writeln!(out, "{}", wrap(&row[3], width, &first, &pad));
        }
    } else {
        for row in &rows {
            let _ = writeln!(
                out,
                "{}",
                wrap(
                    &format!("{} {} ({})", row[0], row[1], row[2]),
                    width,
                    "",
                    "    "
                )
            );
            let _ = writeln!(out, "{}", wrap(&row[3], width, "    ", "    "));
        }
    }
    let missing = reg.rules.iter().filter(|r| !implemented(&r.code)).count();
    let _ = writeln!(
        out,
        "\n{} rules, {} not implemented yet.",
        reg.rules.len(),
        missing
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_fits_the_width() {
        let reg = Registry::builtin().unwrap();
        let not_net = |c: &str| !c.starts_with("NET");
        for width in [120, 160, 200] {
            let t = render(&reg, &not_net, width, false);
            assert!(t.starts_with("CODE "), "{t}");
            for l in t.lines() {
                // A word longer than its column may overflow; no line is longer because of
                // the layout itself.
                let longest_word = l.split(' ').map(|w| w.chars().count()).max().unwrap_or(0);
                assert!(
                    l.chars().count() <= width || longest_word > 30,
                    "{width}: {l}"
                );
            }
            assert!(t.lines().any(
                |l| l.starts_with("NET007 ") && l.contains("workspace-without-network-policy")
            ));
            assert!(t.contains("(not implemented yet)"));
            assert!(t.contains("warning (error in production)"));
        }
    }

    #[test]
    fn narrow_terminals_and_pipes_get_paragraphs() {
        let reg = Registry::builtin().unwrap();
        let all = |_: &str| true;
        let piped = render(&reg, &all, 200, true);
        assert!(
            piped.contains("NET001 egress-not-enforced (error, production only)\n    A serverless")
        );
        let narrow = render(&reg, &all, 60, false);
        assert!(
            !narrow.starts_with("CODE"),
            "60 columns cannot hold the table"
        );
        for l in narrow.lines() {
            assert!(l.chars().count() <= 60 || !l.contains(' '), "{l}");
        }
        assert!(narrow.ends_with("not implemented yet.\n"));
    }
}
