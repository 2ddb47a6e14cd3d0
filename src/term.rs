//! What the terminal can show: colour, box drawing (Unicode) and its width. Decided once by the
//! command line from the environment; renderers receive the answers, so their output depends
//! only on what they are given.

use std::io::IsTerminal;

/// Width used when standard output is not a terminal and `COLUMNS` is not set.
pub const DEFAULT_WIDTH: usize = 100;

/// Narrowest width honoured (below it, layouts would be unreadable anyway).
pub const MIN_WIDTH: usize = 40;

/// How to draw for one output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// ANSI colours and bold.
    pub color: bool,
    /// Box drawing and other non-ASCII symbols; `false`: ASCII only.
    pub unicode: bool,
    /// Columns available; text is wrapped between words to fit.
    pub width: usize,
    /// Standard output is a terminal (not a pipe or a file).
    pub tty: bool,
}

impl Caps {
    /// Plain ASCII, no colour, the default width: what a test or a file gets.
    pub fn plain() -> Caps {
        Caps {
            color: false,
            unicode: false,
            width: DEFAULT_WIDTH,
            tty: false,
        }
    }
}

/// Whether the environment can show non-ASCII symbols: not when `TERM=dumb`, and (outside
/// Windows) only when the locale's character set is UTF-8 (`LC_ALL`, else `LC_CTYPE`, else
/// `LANG`; none set is the C locale, which is ASCII).
pub fn unicode_from(var: &dyn Fn(&str) -> Option<String>) -> bool {
    if var("TERM").is_some_and(|t| t == "dumb") {
        return false;
    }
    if cfg!(windows) {
        return true;
    }
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|k| var(k).filter(|v| !v.is_empty()));
    match locale {
        Some(l) => {
            let l = l.to_ascii_lowercase();
            l.contains("utf-8") || l.contains("utf8")
        }
        None => false,
    }
}

/// Whether colour is wanted in `auto` mode: a terminal, `NO_COLOR` unset or empty, and not
/// `TERM=dumb`.
pub fn color_from(var: &dyn Fn(&str) -> Option<String>, tty: bool) -> bool {
    tty && var("NO_COLOR").is_none_or(|v| v.is_empty()) && var("TERM").is_none_or(|t| t != "dumb")
}

/// The width to lay text out in: `COLUMNS` when set to a number, else the terminal's width when
/// standard output is one, else [`DEFAULT_WIDTH`]; never below [`MIN_WIDTH`].
pub fn width_from(var: &dyn Fn(&str) -> Option<String>, terminal: Option<usize>) -> usize {
    var("COLUMNS")
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|w| *w > 0)
        .or(terminal)
        .unwrap_or(DEFAULT_WIDTH)
        .max(MIN_WIDTH)
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

/// The capabilities of standard output. `color`: `Some` forces colour on or off (`--color`).
pub fn stdout_caps(color: Option<bool>) -> Caps {
    let tty = std::io::stdout().is_terminal();
    let terminal = if tty {
        terminal_size::terminal_size().map(|(w, _)| w.0 as usize)
    } else {
        None
    };
    Caps {
        color: color.unwrap_or_else(|| color_from(&env, tty)),
        unicode: unicode_from(&env),
        width: width_from(&env, terminal),
        tty,
    }
}

/// The capabilities of standard error (errors, with `--color` not applying there: colour when
/// it is a terminal and `NO_COLOR` is not set).
pub fn stderr_caps() -> Caps {
    let tty = std::io::stderr().is_terminal();
    Caps {
        color: color_from(&env, tty),
        unicode: unicode_from(&env),
        width: width_from(&env, None),
        tty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn unicode_needs_a_utf8_locale_and_a_real_terminal() {
        if cfg!(windows) {
            return;
        }
        assert!(unicode_from(&vars(&[("LANG", "en_US.UTF-8")])));
        assert!(unicode_from(&vars(&[("LC_ALL", "C.utf8"), ("LANG", "C")])));
        assert!(!unicode_from(&vars(&[
            ("LC_ALL", "C"),
            ("LANG", "en_US.UTF-8")
        ])));
        assert!(!unicode_from(&vars(&[("LANG", "C")])));
        assert!(!unicode_from(&vars(&[])));
        assert!(!unicode_from(&vars(&[
            ("TERM", "dumb"),
            ("LANG", "en_US.UTF-8")
        ])));
    }

    #[test]
    fn colour_follows_no_color_and_the_terminal() {
        assert!(color_from(&vars(&[]), true));
        assert!(!color_from(&vars(&[]), false));
        assert!(!color_from(&vars(&[("NO_COLOR", "1")]), true));
        assert!(color_from(&vars(&[("NO_COLOR", "")]), true));
        assert!(!color_from(&vars(&[("TERM", "dumb")]), true));
    }

    #[test]
    fn width_from_columns_then_terminal() {
        assert_eq!(width_from(&vars(&[("COLUMNS", "132")]), Some(80)), 132);
        assert_eq!(width_from(&vars(&[]), Some(80)), 80);
        assert_eq!(width_from(&vars(&[]), None), DEFAULT_WIDTH);
        assert_eq!(width_from(&vars(&[("COLUMNS", "x")]), None), DEFAULT_WIDTH);
        assert_eq!(width_from(&vars(&[("COLUMNS", "10")]), None), MIN_WIDTH);
    }
}
