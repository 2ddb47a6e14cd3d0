//! Stamping: rule metadata, configured severity, environments, `--select`/`--ignore`, inline
//! suppressions (SUP001–SUP004) and `[[overrides]]`. Checks never decide these themselves.

use super::configs::Entry;
use super::load::Loaded;
use super::Options;
use crate::config::{Config, Level};
use crate::finding::{Finding, Severity, Suppression, SuppressionKind};
use crate::registry::Registry;
use crate::source::Location;
use crate::suppress;
use std::path::{Path, PathBuf};

/// The documentation link of a finding of `rule` under `config` (its `docs_url`, else the run's).
fn doc_url(registry: &Registry, config: &Config, rule: &crate::registry::RuleDef) -> String {
    crate::doclinks::rule_url(
        rule,
        config.docs_url.as_deref().or(registry.docs_base.as_deref()),
    )
}

/// Resolves a code or name to the code.
pub fn code_of(registry: &Registry, s: &str) -> Option<String> {
    registry.get(s).map(|r| r.code.clone())
}

fn listed(registry: &Registry, list: &[String], code: &str) -> bool {
    list.iter()
        .any(|x| x.eq_ignore_ascii_case(code) || code_of(registry, x).as_deref() == Some(code))
}

/// Whether a code runs at all in this run (per-file settings are applied when stamping).
pub fn enabled(registry: &Registry, config: &Config, opts: &Options, code: &str) -> bool {
    if registry.get(code).is_none() {
        return false;
    }
    if !opts.select.is_empty() && !listed(registry, &opts.select, code) {
        return false;
    }
    if listed(registry, &opts.ignore, code) {
        return false;
    }
    // Globally off in [rules] (overrides may still turn it off per file, never on).
    let (level, _) = config.rule_setting(code, "\u{0}no-file\u{0}");
    level != Some(Level::Off)
}

/// Which rules run, decided once per rule for the whole run: checks ask per resource and
/// stamping per finding. Codes come in upper case; anything else (a rule name) is decided by
/// [`enabled`] on the spot.
pub struct Enabled<'a> {
    pub registry: &'a Registry,
    pub config: &'a Config,
    pub opts: &'a Options,
    /// The directory the configuration's globs are relative to.
    pub base: PathBuf,
    /// When the run has several configurations: users' rules run only under the ones whose
    /// `rules_dirs` load them.
    entry: Option<&'a Entry>,
    on: crate::hash::HashSet<String>,
}

impl<'a> Enabled<'a> {
    /// The rules of a run with one configuration (`base` is its directory).
    pub fn new(registry: &'a Registry, config: &'a Config, opts: &'a Options) -> Self {
        Self::build(registry, config, opts, None, PathBuf::new())
    }

    /// The rules one of the run's configurations runs.
    pub fn of_entry(registry: &'a Registry, entry: &'a Entry, opts: &'a Options) -> Self {
        Self::build(
            registry,
            &entry.config,
            opts,
            Some(entry),
            entry.base.clone(),
        )
    }

    fn build(
        registry: &'a Registry,
        config: &'a Config,
        opts: &'a Options,
        entry: Option<&'a Entry>,
        base: PathBuf,
    ) -> Self {
        let mut e = Enabled {
            registry,
            config,
            opts,
            base,
            entry,
            on: Default::default(),
        };
        e.on = registry
            .rules
            .iter()
            .filter(|r| e.decide(&r.code))
            .map(|r| r.code.to_ascii_uppercase())
            .collect();
        e
    }

    fn decide(&self, code: &str) -> bool {
        enabled(self.registry, self.config, self.opts, code)
            && self.entry.is_none_or(|e| e.owns(self.registry, code))
    }

    pub fn is_on(&self, code: &str) -> bool {
        if code.bytes().all(|b| !b.is_ascii_lowercase()) {
            self.on.contains(code)
        } else {
            self.decide(code)
        }
    }
}

/// When paths name files (pre-commit), the findings reported: those whose primary location or
/// anchor is in a named file or below a named directory.
#[derive(Debug, Clone, Default)]
pub struct Reported {
    pub files: Vec<PathBuf>,
    pub dirs: Vec<PathBuf>,
}

impl Reported {
    fn covers(&self, path: &Path) -> bool {
        self.files.iter().any(|f| f == path) || self.dirs.iter().any(|d| path.starts_with(d))
    }
}

/// `path` relative to `base`, `/`-separated, with `..` when it is not below `base` (a module
/// outside the directory of the configuration that applies): what configuration globs match.
pub fn relative_to(path: &Path, base: &Path) -> String {
    if path.starts_with(base) || !path.is_absolute() || !base.is_absolute() {
        return crate::source::display_path(path, base);
    }
    let mut common = base;
    let mut ups = 0;
    while !path.starts_with(common) {
        match common.parent() {
            Some(p) => {
                common = p;
                ups += 1;
            }
            None => return crate::source::display_path(path, base),
        }
    }
    let rest = crate::source::display_path(path, common);
    let mut s = "../".repeat(ups);
    s.push_str(&rest);
    s
}

/// A rule parameter: `[rules.CODE]` in config, else the rule's default (tables resolved).
pub fn param(
    registry: &Registry,
    config: &Config,
    code: &str,
    key: &str,
) -> Option<serde_json::Value> {
    let (_, params) = config.rule_setting(code, "\u{0}no-file\u{0}");
    if let Some(v) = params.get(key) {
        return Some(registry.resolve(v));
    }
    registry.param(code, key)
}

/// Rule parameters of one run, resolved once: tables such as TF002's resource list are large, and
/// every unit asks for them.
pub struct ParamCache<'a> {
    registry: &'a Registry,
    config: &'a Config,
    resolved: std::sync::Mutex<crate::hash::HashMap<(String, String), Param>>,
}

type Param = Option<std::sync::Arc<serde_json::Value>>;

impl<'a> ParamCache<'a> {
    pub fn new(registry: &'a Registry, config: &'a Config) -> Self {
        ParamCache {
            registry,
            config,
            resolved: Default::default(),
        }
    }

    /// [`param`], computed once per (`code`, `key`).
    pub fn get(&self, code: &str, key: &str) -> Param {
        let k = (code.to_string(), key.to_string());
        if let Some(v) = self.resolved.lock().unwrap().get(&k) {
            return v.clone();
        }
        let v = param(self.registry, self.config, code, key).map(std::sync::Arc::new);
        self.resolved.lock().unwrap().insert(k, v.clone());
        v
    }
}

/// The rule whose check produced an EVAL001 (its message starts with the code).
fn eval_origin(f: &Finding) -> Option<&str> {
    let c = f.message.split_whitespace().next()?;
    (c.len() == 6
        && c.chars().take(3).all(|x| x.is_ascii_uppercase())
        && c[3..].chars().all(|x| x.is_ascii_digit()))
    .then_some(c)
}

/// The rules an EVAL001 stands for: the codes its message starts with (`KMS001, KMS002 cannot
/// be checked: ...`, `NET003 cannot check ...`); empty for an EVAL001 of evaluation itself.
pub fn eval_origins(message: &str) -> Vec<&str> {
    let is_code = |c: &str| {
        c.len() == 6
            && c.chars().take(3).all(|x| x.is_ascii_uppercase())
            && c[3..].chars().all(|x| x.is_ascii_digit())
    };
    let mut out = Vec::new();
    for word in message.split_whitespace() {
        let (code, more) = match word.strip_suffix(',') {
            Some(c) => (c, true),
            None => (word, false),
        };
        if !is_code(code) {
            break;
        }
        out.push(code);
        if !more {
            break;
        }
    }
    out
}

fn rel(loaded: &Loaded, loc: Location, base: &Path) -> String {
    let f = loaded.sources.get(loc.file);
    relative_to(&f.path, base)
}

/// Under `max_expiry_days`: a suppression without `expires=`, or expiring more than that many
/// days after `today`, does not suppress.
fn expiry_too_far(config: &Config, s: &suppress::Suppression, today: i64) -> bool {
    match (config.max_expiry_days, s.expires) {
        (Some(max), Some((y, m, d))) => suppress::days_from_civil(y, m, d) - today > max as i64,
        (Some(_), None) => true,
        _ => false,
    }
}

/// SUP004 for a comment that looks meant as a suppression but is not written as one, with the
/// form that works; `None` for `noqa`/`disable` comments that name no policy-lint rule (they
/// belong to other tools).
fn near_miss_finding(
    registry: &Registry,
    s: &suppress::Suppression,
    near: &suppress::NearMiss,
) -> Option<Finding> {
    let codes: Vec<String> =
        s.codes
            .iter()
            .filter_map(|c| code_of(registry, c))
            .fold(Vec::new(), |mut v, c| {
                if !v.contains(&c) {
                    v.push(c);
                }
                v
            });
    // Words that are no rule but close to one (`NET03`): the nearest rule, for the help.
    let near_codes: Vec<String> = s
        .codes
        .iter()
        .filter(|c| code_of(registry, c).is_none())
        .filter(|c| c.chars().any(|ch| ch.is_ascii_digit()))
        .filter_map(|c| crate::suggest::rule(registry, c))
        .collect();
    if near.foreign && codes.is_empty() {
        return None;
    }
    let mut all = codes.clone();
    for c in near_codes {
        if !all.contains(&c) {
            all.push(c);
        }
    }
    let list = if all.is_empty() {
        "CODE".to_string()
    } else {
        all.join(", ")
    };
    let reason = s.reason.clone().unwrap_or_else(|| "...".into());
    let close = if near.opener == "/*" { " */" } else { "" };
    let form = format!(
        "{} policy-lint:ignore {list} reason=\"{reason}\"{close}",
        near.opener
    );
    let what = if near.foreign {
        format!(
            "`{}` is another tool's marker: policy-lint reads only `policy-lint:ignore`",
            near.written
        )
    } else {
        format!(
            "`{}` is not the suppression marker `policy-lint:ignore` (lower case, no space after the colon)",
            near.written
        )
    };
    let named = if codes.is_empty() {
        String::new()
    } else {
        format!(", so it does not suppress {}", codes.join(", "))
    };
    Some(
        Finding::new(
            "SUP004",
            s.loc,
            format!("this comment looks like a suppression but is not one: {what}{named}"),
        )
        .with_help(format!("write `{form}`")),
    )
}

/// The environment a finding is judged in: the one of the root whose evaluation produced it
/// (which already honours `--environment`), else `--environment`, else its file's.
fn environment_of(f: &Finding, opts: &Options, config: &Config, rel_path: &str) -> String {
    f.environment
        .clone()
        .or_else(|| opts.environment.clone())
        .unwrap_or_else(|| config.environment_of(rel_path))
}

/// Applies metadata, severity, environments, suppressions; drops what does not apply.
///
/// Each finding is stamped under the configuration it carries (`Finding::config`, an index into
/// `ons`); each suppression comment comes with the index of its file's configuration, which
/// decides the findings about the comment itself. `reported`: when paths name files, only the
/// findings in those files (or below the directories given) are kept.
pub fn stamp(
    findings: &mut Vec<Finding>,
    loaded: &Loaded,
    suppressions: &[(suppress::Suppression, usize)],
    ons: &[Enabled],
    reported: Option<&Reported>,
) {
    let Some(first) = ons.first() else {
        findings.clear();
        return;
    };
    let registry = first.registry;
    // Suppression comments of every HCL file.
    let mut sups: Vec<(suppress::Suppression, bool)> = Vec::new();
    for (s, _) in suppressions {
        sups.push((s.clone(), false));
    }
    let today = suppress::today();
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    let mut extra: Vec<Finding> = Vec::new();
    for mut f in findings.drain(..) {
        let on = ons.get(f.config).unwrap_or(first);
        let (config, opts, base) = (on.config, on.opts, &on.base);
        let strict = opts.strict || config.strict;
        // EVAL001 follows the rule it stands for.
        if f.code == "EVAL001" {
            if !f.blocks.is_empty() {
                f.blocks.retain(|c| on.is_on(c));
                if f.blocks.is_empty() {
                    continue;
                }
            } else if let Some(origin) = eval_origin(&f) {
                if !on.is_on(origin) {
                    continue;
                }
            }
            if !on.is_on("EVAL001") {
                continue;
            }
        } else if !on.is_on(&f.code) {
            continue;
        }
        let Some(rule) = registry.get(&f.code) else {
            out.push(f);
            continue;
        };
        let where_ = f.anchor.unwrap_or(f.loc);
        let rel_path = rel(loaded, where_, base);
        let env = environment_of(&f, opts, config, &rel_path);
        let production = config.is_production(&env);
        if !rule.applies_in(&env, production) {
            continue;
        }
        // An EVAL001 stands for the rules it blocks: those that run in this environment.
        if f.code == "EVAL001" && !f.blocks.is_empty() {
            f.blocks.retain(|c| {
                registry
                    .get(c)
                    .map(|r| r.applies_in(&env, production))
                    .unwrap_or(true)
            });
            if f.blocks.is_empty() {
                continue;
            }
            f = f.name_blocked();
        }
        let origin_env_ok = match (f.code.as_str(), eval_origin(&f)) {
            ("EVAL001", Some(o)) if f.blocks.is_empty() => registry
                .get(o)
                .map(|r| r.applies_in(&env, production))
                .unwrap_or(true),
            _ => true,
        };
        if !origin_env_ok {
            continue;
        }
        f.name = rule.name.clone();
        f.doc_url = doc_url(registry, config, rule);
        let default = rule.severity_in(production);
        // A check may lower the severity of one case (a duplicate destination is a warning).
        let mut sev = if f.severity < Severity::Error {
            f.severity.min(default)
        } else {
            default
        };
        let (level, _) = config.rule_setting(&f.code, &rel_path);
        let mut external: Option<String> = None;
        match level {
            Some(Level::Off) => {
                external =
                    Some("turned off for this file by [[overrides]] in policy-lint.toml".into());
            }
            Some(Level::On(s)) => sev = s,
            None => {}
        }
        if f.code == "EVAL001" && strict {
            sev = Severity::Error;
        }
        f.severity = sev;
        if let Some(j) = external {
            f.suppression = Some(Suppression {
                kind: SuppressionKind::External,
                justification: j,
                loc: None,
            });
            out.push(f);
            continue;
        }
        // Inline suppressions.
        if !f.code.starts_with("SUP") {
            let mut places: Vec<Location> = vec![f.loc];
            places.extend(f.anchor);
            places.extend(
                f.related
                    .iter()
                    .filter(|r| r.label.starts_with("in `module."))
                    .map(|r| r.loc),
            );
            for (s, used) in sups.iter_mut() {
                // A comment that only looks like a suppression suppresses nothing (SUP004).
                if s.near_miss.is_some() {
                    continue;
                }
                let covers = places.iter().any(|p| {
                    p.file == s.loc.file
                        && (p.start as usize) >= s.covers.start
                        && (p.start as usize) < s.covers.end.max(s.covers.start + 1)
                });
                if !covers {
                    continue;
                }
                let names_code = s.codes.iter().any(|c| {
                    c.eq_ignore_ascii_case(&f.code)
                        || code_of(registry, c).as_deref() == Some(f.code.as_str())
                });
                if !names_code {
                    continue;
                }
                if config.is_non_suppressible(&f.code) {
                    continue;
                }
                if let Some((y, m, d)) = s.expires {
                    if suppress::days_from_civil(y, m, d) < today {
                        continue;
                    }
                }
                if config.require_reason && s.reason.is_none() {
                    continue;
                }
                // A malformed comment (bad date, unknown word) is reported and does not suppress:
                // fail safe.
                if !s.problems.is_empty() {
                    continue;
                }
                if expiry_too_far(config, s, today) {
                    continue;
                }
                *used = true;
                f.suppression = Some(Suppression {
                    kind: SuppressionKind::InSource,
                    justification: s.reason.clone().unwrap_or_default(),
                    loc: Some(s.loc),
                });
                break;
            }
        }
        out.push(f);
    }
    // Findings about the suppressions themselves, under the configuration of their file.
    for ((s, used), (_, ci)) in sups.iter().zip(suppressions) {
        let on = ons.get(*ci).unwrap_or(first);
        let config = on.config;
        let start = extra.len();
        if let Some(near) = &s.near_miss {
            if let Some(f) = near_miss_finding(registry, s, near) {
                extra.push(f);
            }
            for f in &mut extra[start..] {
                f.config = *ci;
            }
            continue;
        }
        let mut unknown_codes = Vec::new();
        let mut non_supp = Vec::new();
        for c in &s.codes {
            match code_of(registry, c) {
                None => unknown_codes.push(c.clone()),
                Some(code) if config.is_non_suppressible(&code) => non_supp.push(code),
                _ => {}
            }
        }
        let expired = s
            .expires
            .map(|(y, m, d)| suppress::days_from_civil(y, m, d) < today)
            .unwrap_or(false);
        // Reported for its own reason below (SUP001/SUP002 under governance, malformed): not
        // also "unused".
        let too_far = expiry_too_far(config, s, today);
        let disqualified =
            (config.require_reason && s.reason.is_none()) || too_far || !s.problems.is_empty();
        if s.reason.is_none() {
            let msg = if config.require_reason {
                "this suppression has no reason, and policy-lint.toml sets `require_reason = true`, so it suppresses nothing"
            } else {
                "this suppression has no reason: reviewers and auditors cannot tell why the finding is accepted"
            };
            extra.push(
                Finding::new("SUP001", s.loc, msg)
                    .with_help("add reason=\"...\" (and expires=YYYY-MM-DD), e.g. `# policy-lint:ignore NET002 reason=\"sandbox account, ticket SEC-123\" expires=2027-06-30`"),
            );
        }
        if expired {
            let (y, m, d) = s.expires.unwrap_or((0, 0, 0));
            extra.push(
                Finding::new(
                    "SUP002",
                    s.loc,
                    format!("this suppression expired on {y:04}-{m:02}-{d:02}: it no longer suppresses anything"),
                )
                .with_help("fix the finding, or renew the suppression with a new reason and date"),
            );
        } else if let Some(max) = config.max_expiry_days {
            if too_far {
                extra.push(
                    Finding::new(
                        "SUP002",
                        s.loc,
                        format!(
                            "policy-lint.toml sets `max_expiry_days = {max}`: this suppression needs an expires= date at most {max} days ahead, so it suppresses nothing"
                        ),
                    )
                    .with_help("add or shorten expires=YYYY-MM-DD"),
                );
            }
        }
        for p in &s.problems {
            extra.push(
                Finding::new(
                    "SUP004",
                    s.loc,
                    format!("this suppression is malformed, so it suppresses nothing: {p}"),
                )
                .with_help(
                    "write `# policy-lint:ignore CODE[, CODE] reason=\"...\" [expires=YYYY-MM-DD]`",
                ),
            );
        }
        if !unknown_codes.is_empty() {
            let near: Vec<String> = unknown_codes
                .iter()
                .filter_map(|c| {
                    crate::suggest::rule(registry, c).map(|n| format!("`{n}` for `{c}`"))
                })
                .collect();
            let mut f = Finding::new(
                "SUP003",
                s.loc,
                format!(
                    "this suppression names {}, which {} not a policy-lint rule code or name; it suppresses nothing",
                    unknown_codes.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "),
                    if unknown_codes.len() == 1 { "is" } else { "are" }
                ),
            );
            if !near.is_empty() {
                f = f.with_help(format!("did you mean {}?", near.join(", ")));
            }
            extra.push(f);
        } else if !non_supp.is_empty() {
            extra.push(Finding::new(
                "SUP003",
                s.loc,
                format!(
                    "{} cannot be suppressed (`non_suppressible` in policy-lint.toml): this suppression has no effect",
                    non_supp.join(", ")
                ),
            ));
        } else if s.codes.is_empty() {
            extra.push(
                Finding::new(
                    "SUP004",
                    s.loc,
                    "this suppression names no rule code, so it suppresses nothing",
                )
                .with_help("name the codes: `# policy-lint:ignore NET002 reason=\"...\"`"),
            );
        } else if !used && !expired && !disqualified {
            // Only meaningful when the named rules ran.
            let all_ran = s.codes.iter().all(|c| {
                code_of(registry, c)
                    .map(|code| on.is_on(&code))
                    .unwrap_or(false)
            });
            if all_ran {
                let f = Finding::new(
                    "SUP003",
                    s.loc,
                    format!(
                        "this suppression of {} suppressed nothing: there is no such finding where it applies",
                        s.codes.join(", ")
                    ),
                )
                .with_help("remove it (the problem it suppressed is gone), or move it above the block or attribute it is meant for");
                extra.push(f);
            }
        }
        for f in &mut extra[start..] {
            f.config = *ci;
        }
    }
    // Stamp the SUP findings too (they are findings of their own rules).
    for mut f in extra {
        let on = ons.get(f.config).unwrap_or(first);
        let (config, opts, base) = (on.config, on.opts, &on.base);
        if !on.is_on(&f.code) {
            continue;
        }
        if let Some(rule) = registry.get(&f.code) {
            let rel_path = rel(loaded, f.loc, base);
            let env = environment_of(&f, opts, config, &rel_path);
            f.name = rule.name.clone();
            f.doc_url = doc_url(registry, config, rule);
            f.severity = match config.rule_setting(&f.code, &rel_path).0 {
                Some(Level::Off) => continue,
                Some(Level::On(s)) => s,
                None => rule.severity_in(config.is_production(&env)),
            };
        }
        out.push(f);
    }
    // pre-commit: only findings in the files that were named.
    if let Some(r) = reported {
        let named = |l: Location| r.covers(&loaded.sources.get(l.file).path);
        out.retain(|f| named(f.loc) || f.anchor.map(named).unwrap_or(false));
    }
    *findings = out;
}
