//! `policy-lint.toml`: strict configuration. Unknown keys and wrong types are errors (exit 2),
//! reported with the file and the offending line. See `docs/config.md`.

use crate::finding::Severity;
use crate::registry::{
    file_error, schema_issues, span_of, suggest, toml_to_json, Issue, IssueKind, Registry, Seg,
};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// File name looked for by [`Config::discover`].
pub const CONFIG_FILE: &str = "policy-lint.toml";

file_error!(
    /// A `policy-lint.toml` that does not load or does not match the rules: exit code 2.
    ConfigError,
    "error: invalid configuration"
);

/// JSON Schema of `policy-lint.toml` (rule parameters are checked against the registry instead).
const CONFIG_SCHEMA: &str = r##"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "strict": { "type": "boolean" },
    "include": { "$ref": "#/$defs/globs" },
    "exclude": { "$ref": "#/$defs/globs" },
    "rules_dirs": { "type": "array", "items": { "type": "string", "minLength": 1 } },
    "rules": {
      "type": "object",
      "additionalProperties": {
        "type": "object",
        "properties": { "severity": { "$ref": "#/$defs/level" } }
      }
    },
    "environments": {
      "type": "object",
      "additionalProperties": { "$ref": "#/$defs/globs" }
    },
    "non_production": { "type": "array", "items": { "type": "string", "minLength": 1 } },
    "roots": {
      "type": "array",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["path", "var_files"],
        "properties": {
          "path": { "type": "string", "minLength": 1 },
          "var_files": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": { "type": "array", "items": { "type": "string", "minLength": 1 } }
          }
        }
      }
    },
    "overrides": {
      "type": "array",
      "items": {
        "type": "object",
        "additionalProperties": false,
        "required": ["files"],
        "properties": {
          "files": { "$ref": "#/$defs/globs" },
          "rules": {
            "type": "object",
            "additionalProperties": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "severity": { "$ref": "#/$defs/level" },
                "params": { "type": "object" }
              }
            }
          }
        }
      }
    },
    "kms": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "databricks_key_policies": { "$ref": "#/$defs/globs" },
        "use_cases": {
          "type": "array",
          "items": { "type": "string", "enum": ["MANAGED_SERVICES", "STORAGE"] }
        }
      }
    },
    "docs_url": { "type": "string", "pattern": "^https?://" },
    "egress": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "workspaces": {
          "type": "object",
          "additionalProperties": { "type": "string", "minLength": 1 }
        }
      }
    },
    "require_reason": { "type": "boolean" },
    "max_expiry_days": { "type": "integer", "minimum": 1 },
    "non_suppressible": { "type": "array", "items": { "type": "string" } },
    "sarif": {
      "type": "object",
      "additionalProperties": false,
      "properties": { "category": { "type": "string", "minLength": 1 } }
    }
  },
  "$defs": {
    "globs": { "type": "array", "items": { "type": "string", "minLength": 1 } },
    "level": { "type": "string", "enum": ["error", "warning", "note", "off"] }
  }
}"##;

fn schema() -> &'static (Value, jsonschema::Validator) {
    static S: OnceLock<(Value, jsonschema::Validator)> = OnceLock::new();
    S.get_or_init(|| {
        let v: Value = serde_json::from_str(CONFIG_SCHEMA).expect("config schema is JSON");
        let c = crate::registry::compile_schema(&v);
        (v, c)
    })
}

/// A configured severity: a level, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Off,
    On(Severity),
}

impl Level {
    fn parse(s: &str) -> Option<Level> {
        if s == "off" {
            Some(Level::Off)
        } else {
            Severity::parse(s).map(Level::On)
        }
    }
}

/// `[rules.CODE]` or one rule of an `[[overrides]]` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleConfig {
    pub severity: Option<Level>,
    pub params: Map<String, Value>,
}

/// One `[[overrides]]` entry: settings for the files its globs match.
#[derive(Debug, Clone)]
pub struct Override {
    pub files: Vec<String>,
    /// Rule code or name (as written, or the code after [`Config::canonicalize`]) -> settings.
    pub rules: Vec<(String, RuleConfig)>,
    matcher: GlobSet,
    index: usize,
}

/// `[kms]`.
#[derive(Debug, Clone, Default)]
pub struct KmsConfig {
    /// Globs of standalone policy files that are Databricks CMK policies.
    pub databricks_key_policies: Vec<String>,
    /// Use cases of those policies (`MANAGED_SERVICES`, `STORAGE`); empty = inferred.
    pub use_cases: Vec<String>,
    matcher: GlobSet,
}

impl KmsConfig {
    /// Is this file (relative path) a Databricks key policy by configuration?
    pub fn is_databricks_key_policy(&self, rel_path: &str) -> bool {
        self.matcher.is_match(norm(rel_path))
    }
}

/// `[egress]`: inputs of `policy-lint egress-report` that the Terraform does not hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EgressConfig {
    /// `[egress.workspaces]`: workspace ID -> network policy ID (or resource address), in file
    /// order, with the 1-based line of each entry.
    pub workspaces: Vec<(String, String, usize)>,
}

/// Environments that relax production rules when no `non_production` list is configured.
pub const DEFAULT_NON_PRODUCTION: &[&str] = &["dev", "development", "test", "staging", "sandbox"];

/// One `[[roots]]` entry: a root module evaluated once per environment with that environment's
/// var files (as `terraform plan -var-file=...` per environment).
#[derive(Debug, Clone, Default)]
pub struct RootConfig {
    /// The root directory as written (relative to the configuration file's directory).
    pub path: String,
    /// Environment name -> var files (relative to the root directory), in file order.
    pub var_files: Vec<(String, Vec<String>)>,
}

/// The configuration. `Config::default()` is what applies without a file.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it was loaded from.
    pub path: Option<PathBuf>,
    pub strict: bool,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// Absolute (resolved against the config file's directory).
    pub rules_dirs: Vec<PathBuf>,
    /// `[rules.X]` in file order; X is a code or a name (a code after [`Config::canonicalize`]).
    pub rules: Vec<(String, RuleConfig)>,
    /// `[environments]` in file order: name -> globs. First match wins.
    pub environments: Vec<(String, Vec<String>)>,
    /// `non_production`, lower case; `None` = [`DEFAULT_NON_PRODUCTION`].
    pub non_production: Option<Vec<String>>,
    /// `[[roots]]` in file order.
    pub roots: Vec<RootConfig>,
    pub overrides: Vec<Override>,
    pub kms: KmsConfig,
    /// `[egress]`.
    pub egress: EgressConfig,
    pub require_reason: bool,
    pub max_expiry_days: Option<u32>,
    pub non_suppressible: Vec<String>,
    /// `[sarif] category`.
    pub sarif_category: Option<String>,
    /// `docs_url`: the page documenting the built-in rules (default: `docs/rules.md` of the
    /// release, see [`crate::doclinks`]).
    pub docs_url: Option<String>,
    include_set: Option<GlobSet>,
    exclude_set: GlobSet,
    env_sets: Vec<GlobSet>,
    text: Option<String>,
}

/// A directory path as written, normalised: `/` separators, no `./` prefix, no trailing `/`,
/// `.` for the base directory itself.
pub fn norm_dir(p: &str) -> String {
    let p = norm(p);
    let p = p.trim_end_matches('/');
    if p.is_empty() {
        ".".to_string()
    } else {
        p.to_string()
    }
}

fn norm(p: &str) -> String {
    let p = p.replace('\\', "/");
    p.strip_prefix("./").map(str::to_string).unwrap_or(p)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

impl Config {
    /// Looks for `policy-lint.toml` in `start` (a directory, or a file's directory) and its
    /// parents, stopping at the repository root (a directory containing `.git`), inclusive.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        let start = if start.is_file() {
            start.parent()?.to_path_buf()
        } else {
            start.to_path_buf()
        };
        let start = std::fs::canonicalize(&start).unwrap_or(start);
        let mut dir: Option<&Path> = Some(&start);
        while let Some(d) = dir {
            let candidate = d.join(CONFIG_FILE);
            if candidate.is_file() {
                return Some(candidate);
            }
            if d.join(".git").exists() {
                return None;
            }
            dir = d.parent();
        }
        None
    }

    /// Reads and checks a config file (keys and types; rule codes and parameters are checked by
    /// [`Config::validate`]).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = crate::source::as_typed(path);
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::single(
                &shown,
                None,
                Issue::new(IssueKind::Io, format!("cannot read config: {e}")),
            )
        })?;
        let mut cfg = Config::parse(&text, &shown)?;
        let base = path.parent().unwrap_or(Path::new("."));
        cfg.rules_dirs = cfg.rules_dirs.iter().map(|d| base.join(d)).collect();
        cfg.path = Some(path.to_path_buf());
        Ok(cfg)
    }

    /// Parses config text; `shown` names the file in errors. `rules_dirs` stay as written.
    pub fn parse(text: &str, shown: &str) -> Result<Config, ConfigError> {
        let err = |issues: Vec<Issue>| ConfigError::new(shown, Some(text.to_string()), issues);
        let json = toml_to_json(text).map_err(|i| err(vec![i]))?;
        let (schema, validator) = schema();
        let issues = schema_issues(validator, schema, &json, text);
        if !issues.is_empty() {
            return Err(err(issues));
        }
        // Order-preserving view of the tables whose order matters.
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            err(vec![
                Issue::new(IssueKind::Syntax, e.message().to_string()).at(text, e.span())
            ])
        })?;

        let glob_set = |globs: &[String], path: &[Seg]| -> Result<GlobSet, ConfigError> {
            let mut b = GlobSetBuilder::new();
            for (i, g) in globs.iter().enumerate() {
                let glob = GlobBuilder::new(g)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| {
                        let mut p = path.to_vec();
                        p.push(Seg::Index(i));
                        err(vec![Issue::new(
                            IssueKind::InvalidGlob,
                            format!("invalid glob `{g}`: {}", e.kind()),
                        )
                        .at(text, span_of(text, &p, false))])
                    })?;
                b.add(glob);
            }
            b.build()
                .map_err(|e| err(vec![Issue::new(IssueKind::InvalidGlob, e.to_string())]))
        };

        let mut cfg = Config {
            text: Some(text.to_string()),
            strict: json.get("strict").and_then(Value::as_bool).unwrap_or(false),
            include: strings(json.get("include")),
            exclude: strings(json.get("exclude")),
            rules_dirs: strings(json.get("rules_dirs"))
                .into_iter()
                .map(PathBuf::from)
                .collect(),
            require_reason: json
                .get("require_reason")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            max_expiry_days: json
                .get("max_expiry_days")
                .and_then(Value::as_u64)
                .map(|n| n.min(u32::MAX as u64) as u32),
            non_suppressible: strings(json.get("non_suppressible")),
            sarif_category: json
                .pointer("/sarif/category")
                .and_then(Value::as_str)
                .map(str::to_string),
            docs_url: json
                .get("docs_url")
                .and_then(Value::as_str)
                .map(str::to_string),
            ..Config::default()
        };
        if !cfg.include.is_empty() {
            cfg.include_set = Some(glob_set(&cfg.include, &[Seg::Key("include".into())])?);
        }
        cfg.exclude_set = glob_set(&cfg.exclude, &[Seg::Key("exclude".into())])?;

        if let Some(toml::Value::Table(rules)) = table.get("rules") {
            for (code, _) in rules {
                let v = &json["rules"][code];
                cfg.rules.push((code.clone(), rule_config(v, false)));
            }
        }
        if let Some(toml::Value::Table(envs)) = table.get("environments") {
            for (name, _) in envs {
                let globs = strings(json.pointer(&format!("/environments/{}", escape(name))));
                let set = glob_set(
                    &globs,
                    &[Seg::Key("environments".into()), Seg::Key(name.clone())],
                )?;
                cfg.environments.push((name.clone(), globs));
                cfg.env_sets.push(set);
            }
        }
        if let Some(list) = json.get("non_production").and_then(Value::as_array) {
            cfg.non_production = Some(
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_lowercase)
                    .collect(),
            );
        }
        if let Some(toml::Value::Array(roots)) = table.get("roots") {
            for (i, r) in roots.iter().enumerate() {
                let jv = &json["roots"][i];
                let mut var_files = Vec::new();
                if let Some(toml::Value::Table(envs)) = r.get("var_files") {
                    for (name, _) in envs {
                        let files = strings(jv.pointer(&format!("/var_files/{}", escape(name))));
                        var_files.push((name.clone(), files));
                    }
                }
                cfg.roots.push(RootConfig {
                    path: norm_dir(jv["path"].as_str().unwrap_or(".")),
                    var_files,
                });
            }
        }
        if let Some(toml::Value::Array(ovs)) = table.get("overrides") {
            for (i, ov) in ovs.iter().enumerate() {
                let jv = &json["overrides"][i];
                let files = strings(jv.get("files"));
                let matcher = glob_set(
                    &files,
                    &[
                        Seg::Key("overrides".into()),
                        Seg::Index(i),
                        Seg::Key("files".into()),
                    ],
                )?;
                let mut rules = Vec::new();
                if let Some(toml::Value::Table(rs)) = ov.get("rules") {
                    for (code, _) in rs {
                        rules.push((code.clone(), rule_config(&jv["rules"][code], true)));
                    }
                }
                cfg.overrides.push(Override {
                    files,
                    rules,
                    matcher,
                    index: i,
                });
            }
        }
        if let Some(toml::Value::Table(e)) = table.get("egress") {
            if let Some(toml::Value::Table(ws)) = e.get("workspaces") {
                for (id, _) in ws {
                    let policy = json
                        .pointer(&format!("/egress/workspaces/{}", escape(id)))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    let p = [
                        Seg::Key("egress".into()),
                        Seg::Key("workspaces".into()),
                        Seg::Key(id.clone()),
                    ];
                    let line = span_of(text, &p, true)
                        .map(|r| text[..r.start.min(text.len())].matches('\n').count() + 1)
                        .unwrap_or(0);
                    cfg.egress.workspaces.push((id.clone(), policy, line));
                }
            }
        }
        if let Some(k) = json.get("kms") {
            let globs = strings(k.get("databricks_key_policies"));
            cfg.kms = KmsConfig {
                matcher: glob_set(
                    &globs,
                    &[
                        Seg::Key("kms".into()),
                        Seg::Key("databricks_key_policies".into()),
                    ],
                )?,
                databricks_key_policies: globs,
                use_cases: strings(k.get("use_cases")),
            };
        }
        Ok(cfg)
    }

    fn shown(&self) -> String {
        self.path
            .as_ref()
            .map(|p| crate::source::as_typed(p))
            .unwrap_or_else(|| CONFIG_FILE.to_string())
    }

    /// Checks rule codes/names and parameter keys (and parameter types against the defaults)
    /// against the registry. Every problem is reported, each at its line.
    pub fn validate(&self, reg: &Registry) -> Result<(), ConfigError> {
        let text = self.text.clone().unwrap_or_default();
        let mut issues = Vec::new();
        let check = |key: &str,
                     rc: &RuleConfig,
                     base: Vec<Seg>,
                     params_path: Vec<Seg>,
                     issues: &mut Vec<Issue>| {
            let mut kp = base.clone();
            kp.push(Seg::Key(key.to_string()));
            let Some(rule) = reg.get(key) else {
                issues.push(
                    Issue::new(
                        IssueKind::UnknownRule,
                        format!("`{key}` is not a rule code or name"),
                    )
                    .at(&text, span_of(&text, &kp, true))
                    .help(crate::suggest::help(crate::suggest::rule(reg, key))),
                );
                return;
            };
            let known: Vec<String> = rule.params.keys().cloned().collect();
            for (p, v) in &rc.params {
                let mut pp = kp.clone();
                pp.extend(params_path.iter().cloned());
                pp.push(Seg::Key(p.clone()));
                match rule.params.get(p) {
                    None => {
                        let msg = if known.is_empty() {
                            format!(
                                "rule {} ({}) has no parameters; `{p}` is not one",
                                rule.code, rule.name
                            )
                        } else {
                            format!("`{p}` is not a parameter of {} ({})", rule.code, rule.name)
                        };
                        let help = suggest(p, &known).or_else(|| {
                            (!known.is_empty()).then(|| {
                                format!("parameters of {}: {}", rule.code, known.join(", "))
                            })
                        });
                        issues.push(
                            Issue::new(IssueKind::UnknownParam, msg)
                                .at(&text, span_of(&text, &pp, true))
                                .help(help),
                        );
                    }
                    Some(default) => {
                        let default = reg.resolve(default);
                        if !same_kind(&default, v) {
                            issues.push(
                                Issue::new(
                                    IssueKind::WrongType,
                                    format!(
                                        "parameter `{p}` of {} must be {}, like its default",
                                        rule.code,
                                        kind_name(&default)
                                    ),
                                )
                                .at(&text, span_of(&text, &pp, false)),
                            );
                        }
                    }
                }
            }
        };
        for (key, rc) in &self.rules {
            check(key, rc, vec![Seg::Key("rules".into())], vec![], &mut issues);
        }
        for ov in &self.overrides {
            for (key, rc) in &ov.rules {
                let base = vec![
                    Seg::Key("overrides".into()),
                    Seg::Index(ov.index),
                    Seg::Key("rules".into()),
                ];
                check(key, rc, base, vec![Seg::Key("params".into())], &mut issues);
            }
        }
        for (i, key) in self.non_suppressible.iter().enumerate() {
            if reg.get(key).is_none() {
                let p = [Seg::Key("non_suppressible".into()), Seg::Index(i)];
                issues.push(
                    Issue::new(
                        IssueKind::UnknownRule,
                        format!("`{key}` is not a rule code or name"),
                    )
                    .at(&text, span_of(&text, &p, false))
                    .help(crate::suggest::help(crate::suggest::rule(reg, key))),
                );
            }
        }
        if issues.is_empty() {
            Ok(())
        } else {
            issues.sort_by_key(|i| i.span.as_ref().map(|s| s.start).unwrap_or(0));
            Err(ConfigError::new(self.shown(), self.text.clone(), issues))
        }
    }

    /// Rewrites rule names to codes (in `[rules]`, `[[overrides]]` and `non_suppressible`) so that
    /// [`Config::rule_setting`] and [`Config::is_non_suppressible`] can be asked by code. Call
    /// after [`Config::validate`].
    pub fn canonicalize(&mut self, reg: &Registry) {
        let canon = |k: &mut String| {
            if let Some(r) = reg.get(k) {
                *k = r.code.clone();
            }
        };
        self.rules.iter_mut().for_each(|(k, _)| canon(k));
        self.overrides
            .iter_mut()
            .flat_map(|o| o.rules.iter_mut())
            .for_each(|(k, _)| canon(k));
        self.non_suppressible.iter_mut().for_each(canon);
    }

    /// Load, validate and canonicalize in one step.
    pub fn load_validated(path: &Path, reg: &Registry) -> Result<Config, ConfigError> {
        let mut cfg = Config::load(path)?;
        cfg.validate(reg)?;
        cfg.canonicalize(reg);
        Ok(cfg)
    }

    /// Environment of a file (path relative to the project root): the first `[environments]`
    /// entry with a matching glob, else `production`.
    pub fn environment_of(&self, rel_path: &str) -> String {
        let p = norm(rel_path);
        self.environments
            .iter()
            .zip(&self.env_sets)
            .find(|(_, set)| set.is_match(&p))
            .map(|((name, _), _)| name.clone())
            .unwrap_or_else(|| "production".to_string())
    }

    /// Environment of a root module (its directory relative to the project root, `.` for the
    /// project root itself, and the names of the files directly in it): the first
    /// `[environments]` entry with a glob that matches the directory or one of those files, else
    /// `production`.
    pub fn environment_of_root(&self, rel_dir: &str, files: &[String]) -> String {
        let dir = norm_dir(rel_dir);
        let paths: Vec<String> = std::iter::once(dir.clone())
            .chain(files.iter().map(|f| {
                if dir == "." {
                    f.clone()
                } else {
                    format!("{dir}/{f}")
                }
            }))
            .collect();
        self.environments
            .iter()
            .zip(&self.env_sets)
            .find(|(_, set)| paths.iter().any(|p| set.is_match(p)))
            .map(|((name, _), _)| name.clone())
            .unwrap_or_else(|| "production".to_string())
    }

    /// Whether production rules and production severities apply in `environment`: every
    /// environment is production unless `non_production` (or its default list) names it,
    /// compared case-insensitively.
    pub fn is_production(&self, environment: &str) -> bool {
        let env = environment.to_lowercase();
        match &self.non_production {
            Some(list) => !list.contains(&env),
            None => !DEFAULT_NON_PRODUCTION.contains(&env.as_str()),
        }
    }

    /// Whether the configuration names `environment` (`production`, an `[environments]` key, a
    /// `non_production` entry or a `[[roots]]` environment), case-insensitively.
    pub fn declares(&self, environment: &str) -> bool {
        let same = |e: &str| e.eq_ignore_ascii_case(environment);
        same("production")
            || self.environments.iter().any(|(n, _)| same(n))
            || match &self.non_production {
                Some(list) => list.iter().any(|e| same(e)),
                None => DEFAULT_NON_PRODUCTION.iter().any(|e| same(e)),
            }
            || self
                .roots
                .iter()
                .any(|r| r.var_files.iter().any(|(n, _)| same(n)))
    }

    /// The `[[roots]]` entry of a root directory (relative to the project root).
    pub fn root(&self, rel_dir: &str) -> Option<&RootConfig> {
        let dir = norm_dir(rel_dir);
        self.roots.iter().find(|r| r.path == dir)
    }

    /// Configured severity (`None` = the rule's default) and parameter overrides of a rule for a
    /// file: `[rules.CODE]` first, then every matching `[[overrides]]` in file order (later ones
    /// win). Keys match the code case-insensitively (names too, after [`Config::canonicalize`]).
    pub fn rule_setting(&self, code: &str, rel_path: &str) -> (Option<Level>, Map<String, Value>) {
        let p = norm(rel_path);
        let mut level = None;
        let mut params = Map::new();
        let mut apply = |rc: &RuleConfig| {
            if rc.severity.is_some() {
                level = rc.severity;
            }
            for (k, v) in &rc.params {
                params.insert(k.clone(), v.clone());
            }
        };
        for (k, rc) in &self.rules {
            if k.eq_ignore_ascii_case(code) {
                apply(rc);
            }
        }
        for ov in self.overrides.iter().filter(|o| o.matcher.is_match(&p)) {
            for (k, rc) in &ov.rules {
                if k.eq_ignore_ascii_case(code) {
                    apply(rc);
                }
            }
        }
        (level, params)
    }

    /// Is the file (relative path) checked? It must match `include` (when set) and not `exclude`.
    pub fn is_included(&self, rel_path: &str) -> bool {
        let p = norm(rel_path);
        self.include_set.as_ref().is_none_or(|s| s.is_match(&p)) && !self.exclude_set.is_match(&p)
    }

    /// Is the rule listed in `non_suppressible`?
    pub fn is_non_suppressible(&self, code: &str) -> bool {
        self.non_suppressible
            .iter()
            .any(|c| c.eq_ignore_ascii_case(code))
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn rule_config(v: &Value, nested_params: bool) -> RuleConfig {
    let severity = v
        .get("severity")
        .and_then(Value::as_str)
        .and_then(Level::parse);
    let params = if nested_params {
        v.get("params")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    } else {
        v.as_object()
            .map(|o| {
                o.iter()
                    .filter(|(k, _)| *k != "severity")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    RuleConfig { severity, params }
}

fn same_kind(default: &Value, v: &Value) -> bool {
    match (default, v) {
        (Value::Null, _) => true,
        (Value::Number(_), Value::Number(_)) => true,
        (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "anything",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn egress_workspaces() {
        let c = Config::parse(
            "strict = true\n\n[egress.workspaces]\n\"123\" = \"prod-egress\"\n\"456\" = \"module.a.databricks_account_network_policy.p\"\n",
            "policy-lint.toml",
        )
        .unwrap();
        assert_eq!(
            c.egress.workspaces,
            vec![
                ("123".to_string(), "prod-egress".to_string(), 4),
                (
                    "456".to_string(),
                    "module.a.databricks_account_network_policy.p".to_string(),
                    5
                ),
            ]
        );
        // Strict: unknown keys and wrong types are errors.
        assert!(Config::parse("[egress]\nworkspace = {}\n", "policy-lint.toml").is_err());
        assert!(Config::parse("[egress.workspaces]\n\"1\" = 2\n", "policy-lint.toml").is_err());
        assert!(Config::parse("[egress.workspaces]\n\"1\" = \"\"\n", "policy-lint.toml").is_err());
    }

    fn reg() -> Registry {
        Registry::builtin().unwrap()
    }

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, "policy-lint.toml")
    }

    fn parse_err(text: &str) -> ConfigError {
        parse(text).expect_err("must be rejected")
    }

    fn validate_err(text: &str) -> ConfigError {
        parse(text)
            .unwrap_or_else(|e| panic!("{e}"))
            .validate(&reg())
            .expect_err("must be rejected")
    }

    const FULL: &str = r#"strict = true
include = ["**/*.tf", "**/*.json"]
exclude = ["vendor/**"]
rules_dirs = ["policy/rules"]
require_reason = true
max_expiry_days = 90
non_suppressible = ["KMS006", "egress-unrestricted"]

[rules.NET009]
approved = ["pypi.org", "*.pythonhosted.org"]

[rules.workspace-without-cmk]
severity = "error"

[rules.REG002]
severity = "off"
cmk_excluded_regions = []

[environments]
dev = ["envs/dev/**"]
staging = ["envs/staging/**", "envs/dev/special/**"]
production = ["**"]

[[overrides]]
files = ["envs/staging/**"]
rules = { NET009 = { severity = "warning", params = { approved = ["example.org"] } } }

[[overrides]]
files = ["envs/staging/legacy/**"]
rules = { NET009 = { severity = "off" }, KMS011 = { params = { placeholders = [] } } }

[kms]
databricks_key_policies = ["policies/databricks-*.json"]
use_cases = ["STORAGE"]

[sarif]
category = "policy-lint"
"#;

    #[test]
    fn full_config_loads_and_validates() {
        let mut c = parse(FULL).unwrap_or_else(|e| panic!("{e}"));
        c.validate(&reg()).unwrap_or_else(|e| panic!("{e}"));
        c.canonicalize(&reg());
        assert!(c.strict && c.require_reason);
        assert_eq!(c.max_expiry_days, Some(90));
        assert_eq!(c.sarif_category.as_deref(), Some("policy-lint"));
        assert!(c.is_non_suppressible("NET002") && c.is_non_suppressible("kms006"));
        assert_eq!(c.rules[1].0, "CMK003");
        assert!(c
            .kms
            .is_databricks_key_policy("policies/databricks-storage.json"));
        assert!(!c.kms.is_databricks_key_policy("policies/app.json"));
        assert_eq!(c.kms.use_cases, ["STORAGE"]);
        assert_eq!(c.rules_dirs, [PathBuf::from("policy/rules")]);
    }

    #[test]
    fn environments_first_match_wins_in_file_order() {
        let c = parse(FULL).unwrap();
        assert_eq!(
            c.environments
                .iter()
                .map(|e| e.0.as_str())
                .collect::<Vec<_>>(),
            ["dev", "staging", "production"]
        );
        assert_eq!(c.environment_of("envs/dev/main.tf"), "dev");
        assert_eq!(c.environment_of("envs/dev/special/main.tf"), "dev");
        assert_eq!(c.environment_of("./envs/staging/main.tf"), "staging");
        assert_eq!(c.environment_of("main.tf"), "production");
        let reordered =
            parse("[environments]\nstaging = [\"envs/dev/special/**\"]\ndev = [\"envs/dev/**\"]\n")
                .unwrap();
        assert_eq!(
            reordered.environment_of("envs/dev/special/main.tf"),
            "staging"
        );
        assert_eq!(reordered.environment_of("envs/dev/main.tf"), "dev");
        assert_eq!(reordered.environment_of("other/main.tf"), "production");
        assert_eq!(
            Config::default().environment_of("envs/dev/main.tf"),
            "production"
        );
    }

    #[test]
    fn precedence_rules_then_overrides_in_order() {
        let mut c = parse(FULL).unwrap();
        c.canonicalize(&reg());
        let (lvl, params) = c.rule_setting("NET009", "main.tf");
        assert_eq!(lvl, None);
        assert_eq!(
            params["approved"],
            serde_json::json!(["pypi.org", "*.pythonhosted.org"])
        );
        let (lvl, params) = c.rule_setting("NET009", "envs/staging/main.tf");
        assert_eq!(lvl, Some(Level::On(Severity::Warning)));
        assert_eq!(params["approved"], serde_json::json!(["example.org"]));
        let (lvl, params) = c.rule_setting("net009", "envs/staging/legacy/main.tf");
        assert_eq!(lvl, Some(Level::Off));
        assert_eq!(params["approved"], serde_json::json!(["example.org"]));
        assert_eq!(
            c.rule_setting("CMK003", "main.tf").0,
            Some(Level::On(Severity::Error))
        );
        let (lvl, params) = c.rule_setting("REG002", "x.tf");
        assert_eq!(lvl, Some(Level::Off));
        assert_eq!(params["cmk_excluded_regions"], serde_json::json!([]));
        assert_eq!(
            c.rule_setting("KMS011", "envs/staging/legacy/p.json").1["placeholders"],
            serde_json::json!([])
        );
        assert_eq!(c.rule_setting("NET001", "main.tf"), (None, Map::new()));
    }

    #[test]
    fn include_and_exclude() {
        let c = parse(FULL).unwrap();
        assert!(c.is_included("main.tf"));
        assert!(c.is_included("modules/a/main.tf"));
        assert!(!c.is_included("vendor/x/main.tf"));
        assert!(!c.is_included("README.md"));
        assert!(Config::default().is_included("anything/at/all.txt"));
    }

    #[test]
    fn unknown_top_level_key() {
        let e = parse_err("strict = true\nstirct = false\n");
        assert_eq!(e.first().kind, IssueKind::UnknownKey);
        assert_eq!(e.line(), Some(2));
        assert_eq!(e.first().help.as_deref(), Some("did you mean `strict`?"));
        assert!(
            e.to_string()
                .starts_with("policy-lint.toml:2: `stirct` is not a known key"),
            "{e}"
        );
    }

    #[test]
    fn unknown_nested_keys() {
        let e = parse_err("[kms]\ndatabricks_key_policy = [\"a.json\"]\n");
        assert_eq!(e.first().kind, IssueKind::UnknownKey);
        assert_eq!(e.line(), Some(2));
        let e = parse_err("[sarif]\ncategory = \"x\"\nrun = 1\n");
        assert_eq!(e.line(), Some(3));
        let e = parse_err("[[overrides]]\nfiles = [\"a/**\"]\nrule = {}\n");
        assert_eq!(e.line(), Some(3));
        let e = parse_err("[[overrides]]\nfiles = [\"a/**\"]\nrules = { NET001 = { severity = \"off\", approved = [] } }\n");
        assert_eq!(e.first().kind, IssueKind::UnknownKey);
        assert_eq!(e.line(), Some(3));
    }

    #[test]
    fn wrong_types() {
        let e = parse_err("strict = \"yes\"\n");
        assert_eq!(e.first().kind, IssueKind::WrongType);
        assert_eq!(e.line(), Some(1));
        let e = parse_err("include = \"**/*.tf\"\n");
        assert_eq!(e.first().kind, IssueKind::WrongType);
        let e = parse_err("\n[environments]\ndev = \"envs/dev/**\"\n");
        assert_eq!(e.first().kind, IssueKind::WrongType);
        assert_eq!(e.line(), Some(3));
        let e = parse_err("max_expiry_days = 1.5\n");
        assert_eq!(e.first().kind, IssueKind::WrongType);
        let e = parse_err("[[overrides]]\nrules = {}\n");
        assert_eq!(e.first().kind, IssueKind::MissingKey);
        assert_eq!(e.line(), Some(1));
    }

    #[test]
    fn invalid_values() {
        let e = parse_err("[rules.NET001]\nseverity = \"critical\"\n");
        assert_eq!(e.first().kind, IssueKind::InvalidValue);
        assert_eq!(e.line(), Some(2));
        let e = parse_err("[kms]\nuse_cases = [\"STORAGE\", \"MANAGED_SERVICE\"]\n");
        assert_eq!(e.first().kind, IssueKind::InvalidValue);
        assert_eq!(
            e.first().help.as_deref(),
            Some("did you mean `MANAGED_SERVICES`?")
        );
        let e = parse_err("max_expiry_days = 0\n");
        assert_eq!(e.first().kind, IssueKind::InvalidValue);
    }

    #[test]
    fn syntax_error() {
        let e = parse_err("strict = true\n[rules\n");
        assert_eq!(e.first().kind, IssueKind::Syntax);
        assert_eq!(e.line(), Some(2));
    }

    #[test]
    fn invalid_glob() {
        let e = parse_err("\n[environments]\ndev = [\"envs/[dev/**\"]\n");
        assert_eq!(e.first().kind, IssueKind::InvalidGlob);
        assert_eq!(e.line(), Some(3));
    }

    #[test]
    fn unknown_rule() {
        let e = validate_err("strict = true\n\n[rules.NET010]\nseverity = \"off\"\n");
        assert_eq!(e.first().kind, IssueKind::UnknownRule);
        assert_eq!(e.line(), Some(3));
        let e = validate_err("[rules.egress-not-enforce]\nseverity = \"off\"\n");
        assert_eq!(
            e.first().help.as_deref(),
            Some("did you mean `egress-not-enforced`?")
        );
        let e = validate_err("non_suppressible = [\"KMS006\",\n  \"KMS066x\"]\n");
        assert_eq!(e.first().kind, IssueKind::UnknownRule);
        assert_eq!(e.line(), Some(2));
    }

    #[test]
    fn unknown_parameter() {
        let e = validate_err(
            "[rules.NET009]\nseverity = \"warning\"\napproved_list = [\"pypi.org\"]\n",
        );
        assert_eq!(e.first().kind, IssueKind::UnknownParam);
        assert_eq!(e.line(), Some(3));
        assert_eq!(e.first().help.as_deref(), Some("did you mean `approved`?"));
        let e = validate_err("[rules.NET001]\nfoo = 1\n");
        assert_eq!(e.first().kind, IssueKind::UnknownParam);
        assert_eq!(e.line(), Some(2));
        let e = validate_err(
            "[[overrides]]\nfiles = [\"a/**\"]\n\n[overrides.rules.NET009.params]\napprove = []\n",
        );
        assert_eq!(e.first().kind, IssueKind::UnknownParam);
        assert_eq!(e.line(), Some(5));
    }

    #[test]
    fn parameter_of_wrong_type() {
        let e = validate_err("[rules.NET009]\napproved = \"pypi.org\"\n");
        assert_eq!(e.first().kind, IssueKind::WrongType);
        assert_eq!(e.line(), Some(2));
        let e = validate_err("[rules.REG001]\nsupported_regions = \"us-east-1\"\n");
        assert_eq!(e.first().kind, IssueKind::WrongType);
    }

    #[test]
    fn discover_stops_at_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        let sub = root.join("envs/dev");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(sub.join("main.tf"), "").unwrap();
        // A config above the repository root is not used.
        std::fs::write(dir.path().join(CONFIG_FILE), "").unwrap();
        assert_eq!(Config::discover(&sub), None);
        std::fs::write(root.join(CONFIG_FILE), "strict = true\n").unwrap();
        let found = Config::discover(&sub.join("main.tf")).unwrap();
        assert_eq!(
            found,
            std::fs::canonicalize(root.join(CONFIG_FILE)).unwrap()
        );
        std::fs::write(sub.join(CONFIG_FILE), "").unwrap();
        assert_eq!(
            Config::discover(&sub).unwrap(),
            std::fs::canonicalize(sub.join(CONFIG_FILE)).unwrap()
        );
    }

    #[test]
    fn load_resolves_rules_dirs_and_reports_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(CONFIG_FILE);
        std::fs::write(&p, "rules_dirs = [\"policy/rules\"]\n").unwrap();
        let c = Config::load(&p).unwrap();
        assert_eq!(c.rules_dirs, [dir.path().join("policy/rules")]);
        std::fs::write(&p, "rules_dir = []\n").unwrap();
        let e = Config::load(&p).unwrap_err();
        assert!(
            e.to_string().starts_with(&format!("{}:1: ", p.display())),
            "{e}"
        );
        assert_eq!(
            e.first().help.as_deref(),
            Some("did you mean `rules_dirs`?")
        );
        let e = Config::load(&dir.path().join("missing.toml")).unwrap_err();
        assert_eq!(e.first().kind, IssueKind::Io);
    }
}
