//! SARIF 2.1.0 output (one run), as consumed by GitHub code scanning.

use super::json::suppression_kind;
use super::{rel_path_of, span_line_cols, Report, RuleDescriptor, TOOL_NAME};
use crate::finding::Finding;
use crate::source::Location;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const SARIF_VERSION: &str = "2.1.0";
/// Base id every artifact URI below the repository root is relative to.
pub const SRCROOT: &str = "%SRCROOT%";
/// Key of policy-lint's fingerprint in `partialFingerprints`: the scheme's version
/// ([`super::FINGERPRINT_VERSION`]) is part of it, so code scanning never compares fingerprints
/// of two schemes.
pub const FINGERPRINT_KEY: &str = "policyLint/v2";
/// `automationDetails.id` when no category is given.
pub const DEFAULT_CATEGORY: &str = "policy-lint/";
/// `tool.driver.informationUri`: the package's repository or homepage, if Cargo.toml names one.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")]
        .into_iter()
        .find(|s| !s.is_empty())
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    automation_details: AutomationDetails<'a>,
    original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    invocations: Vec<Invocation<'a>>,
}

/// The run's invocation: what was skipped and notices, as tool execution notifications.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    /// Rules that did not run: `{"enabled": false}`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rule_configuration_overrides: Vec<ConfigurationOverride<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct ConfigurationOverride<'a> {
    descriptor: DescriptorReference<'a>,
    configuration: Enabled,
}

#[derive(Serialize)]
struct DescriptorReference<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
}

#[derive(Serialize)]
struct Enabled {
    enabled: bool,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: OwnedText,
}

#[derive(Serialize)]
struct OwnedText {
    text: String,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    name: &'a str,
    short_description: Text<'a>,
    full_description: Text<'a>,
    help: Help<'a>,
    #[serde(skip_serializing_if = "str::is_empty")]
    help_uri: &'a str,
    default_configuration: Configuration,
    properties: RuleProperties<'a>,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct Help<'a> {
    text: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    markdown: &'a str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties<'a> {
    tags: &'a [String],
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<String>,
    precision: &'static str,
}

#[derive(Serialize)]
struct AutomationDetails<'a> {
    id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text<'a>,
    locations: Vec<ResultLocation<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation<'a>>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<ResultProperties<'a>>,
    /// The automatic fix (SARIF `fix`: artifact changes made of replacements).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix<'a> {
    description: Text<'a>,
    artifact_changes: Vec<ArtifactChange<'a>>,
    properties: FixProperties,
}

#[derive(Serialize)]
struct FixProperties {
    applicability: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange<'a> {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement<'a> {
    deleted_region: Region,
    inserted_content: Text<'a>,
}

/// The root modules (and their environments) whose evaluation produced a result.
#[derive(Serialize)]
struct ResultProperties<'a> {
    environment: Option<&'a str>,
    roots: &'a [crate::finding::RootRef],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultLocation<'a> {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    fully_qualified_name: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation<'a> {
    id: usize,
    physical_location: PhysicalLocation,
    message: Text<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
struct SarifSuppression<'a> {
    kind: &'static str,
    justification: &'a str,
}

/// Percent-encodes everything but RFC 3986 unreserved characters, `/` and the characters in
/// `keep`.
fn percent_encode(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `file:` URI of a directory, with a trailing slash.
pub(crate) fn directory_uri(dir: &Path) -> String {
    let abs = if dir.is_relative() {
        std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
    } else {
        dir.to_path_buf()
    };
    let mut s = abs.to_string_lossy().replace('\\', "/");
    // Windows verbatim paths (`\\?\C:\repo`) as produced by `canonicalize`.
    if let Some(rest) = s.strip_prefix("//?/UNC/") {
        s = format!("//{rest}");
    } else if let Some(rest) = s.strip_prefix("//?/") {
        s = rest.to_string();
    }
    let uri = if let Some(unc) = s.strip_prefix("//") {
        // `//server/share/dir` -> `file://server/share/dir`
        format!("file://{}", percent_encode(unc, b":"))
    } else if s.starts_with('/') {
        format!("file://{}", percent_encode(&s, b":"))
    } else {
        format!("file:///{}", percent_encode(&s, b":"))
    };
    if uri.ends_with('/') {
        uri
    } else {
        format!("{uri}/")
    }
}

/// Artifact location of `loc`'s file and the path used in its fingerprint.
fn artifact(r: &Report, loc: &Location) -> (ArtifactLocation, String) {
    let (path, inside) = rel_path_of(r.sources, loc, r.repo_root);
    let art = ArtifactLocation {
        uri: percent_encode(&path, b""),
        uri_base_id: inside.then_some(SRCROOT),
    };
    (art, path)
}

fn physical(r: &Report, loc: &Location) -> (PhysicalLocation, String) {
    let (artifact_location, path) = artifact(r, loc);
    let (s, e) = span_line_cols(r.sources, loc);
    (
        PhysicalLocation {
            artifact_location,
            region: Region {
                start_line: s.line,
                start_column: s.col,
                end_line: e.line,
                end_column: e.col,
            },
        },
        path,
    )
}

fn rule(d: &RuleDescriptor) -> Rule<'_> {
    Rule {
        id: &d.code,
        name: &d.name,
        short_description: Text { text: &d.summary },
        full_description: Text {
            text: if d.full_description.is_empty() {
                &d.summary
            } else {
                &d.full_description
            },
        },
        help: Help {
            text: if d.full_description.is_empty() {
                &d.summary
            } else {
                &d.full_description
            },
            markdown: &d.help_markdown,
        },
        help_uri: &d.help_uri,
        default_configuration: Configuration {
            level: d.default_severity.as_str(),
        },
        properties: RuleProperties {
            tags: &d.tags,
            security_severity: d.security_severity.map(|s| format!("{s:.1}")),
            precision: "high",
        },
    }
}

fn result<'a>(r: &Report<'a>, f: &'a Finding) -> SarifResult<'a> {
    let (physical_location, _) = physical(r, &f.loc);
    SarifResult {
        rule_id: &f.code,
        rule_index: r.rules.iter().position(|d| d.code == f.code),
        level: f.severity.as_str(),
        message: Text { text: &f.message },
        locations: vec![ResultLocation {
            physical_location,
            logical_locations: f
                .address
                .iter()
                .map(|a| LogicalLocation {
                    fully_qualified_name: a,
                    kind: "resource",
                })
                .collect(),
        }],
        related_locations: f
            .related
            .iter()
            .enumerate()
            .map(|(i, rel)| RelatedLocation {
                id: i + 1,
                physical_location: physical(r, &rel.loc).0,
                message: Text { text: &rel.label },
            })
            .collect(),
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, f.fingerprint.clone())]),
        suppressions: f
            .suppression
            .iter()
            .map(|s| SarifSuppression {
                kind: suppression_kind(s.kind),
                justification: &s.justification,
            })
            .collect(),
        properties: (!f.roots.is_empty()).then_some(ResultProperties {
            environment: f.environment.as_deref(),
            roots: &f.roots,
        }),
        fixes: f.fix.iter().map(|x| sarif_fix(r, x)).collect(),
    }
}

/// A fix as SARIF: one artifact change per file, its replacements in order.
fn sarif_fix<'a>(r: &Report<'a>, x: &'a crate::finding::Fix) -> SarifFix<'a> {
    let mut changes: Vec<(crate::source::FileId, ArtifactChange<'a>)> = Vec::new();
    for e in &x.edits {
        let (pl, _) = physical(r, &e.loc);
        let rep = Replacement {
            deleted_region: pl.region,
            inserted_content: Text { text: &e.text },
        };
        match changes.iter_mut().find(|(id, _)| *id == e.loc.file) {
            Some((_, c)) => c.replacements.push(rep),
            None => changes.push((
                e.loc.file,
                ArtifactChange {
                    artifact_location: pl.artifact_location,
                    replacements: vec![rep],
                },
            )),
        }
    }
    SarifFix {
        description: Text {
            text: &x.description,
        },
        artifact_changes: changes.into_iter().map(|(_, c)| c).collect(),
        properties: FixProperties {
            applicability: x.applicability.as_str(),
        },
    }
}

/// Renders a SARIF 2.1.0 log with one run: every rule in `tool.driver.rules`, every finding
/// (suppressed ones with `suppressions`) in `results`.
pub fn render_sarif(r: &Report) -> String {
    let log = Log {
        schema: SARIF_SCHEMA,
        version: SARIF_VERSION,
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: TOOL_NAME,
                    version: r.tool_version,
                    information_uri: information_uri(),
                    rules: r.rules.iter().map(rule).collect(),
                },
            },
            automation_details: AutomationDetails {
                id: r.sarif_category.unwrap_or(DEFAULT_CATEGORY),
            },
            original_uri_base_ids: BTreeMap::from([(
                SRCROOT,
                ArtifactLocation {
                    uri: directory_uri(r.repo_root),
                    uri_base_id: None,
                },
            )]),
            column_kind: "unicodeCodePoints",
            results: r.findings.iter().map(|f| result(r, f)).collect(),
            invocations: vec![Invocation {
                execution_successful: true,
                rule_configuration_overrides: r
                    .summary
                    .not_run
                    .iter()
                    .map(|code| ConfigurationOverride {
                        descriptor: DescriptorReference {
                            id: code,
                            index: r.rules.iter().position(|d| d.code == *code),
                        },
                        configuration: Enabled { enabled: false },
                    })
                    .collect(),
                tool_execution_notifications: r
                    .summary
                    .skipped
                    .iter()
                    .map(|k| Notification {
                        level: "note",
                        message: OwnedText {
                            text: format!("skipped {}: {}", k.path, k.reason),
                        },
                    })
                    .chain(r.summary.notices.iter().map(|n| Notification {
                        level: "warning",
                        message: OwnedText { text: n.clone() },
                    }))
                    .collect(),
            }],
        }],
    };
    let mut out = serde_json::to_string_pretty(&log).expect("SARIF output serializes");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::testdata;
    use serde_json::Value;

    fn sarif_value(t: &testdata::Sample) -> Value {
        serde_json::from_str(&render_sarif(&t.report())).unwrap()
    }

    #[test]
    fn snapshot_sarif() {
        let t = testdata::sample();
        let out = render_sarif(&t.report());
        assert_eq!(out, render_sarif(&t.report()));
        insta::assert_snapshot!(out);
    }

    #[test]
    fn validates_against_sarif_schema() {
        let mut schema: Value =
            serde_json::from_str(include_str!("../../tests/data/sarif-schema-2.1.0.json")).unwrap();
        // The official schema's `language` patterns (of `run` and `toolComponent`) have a stray
        // `]` that the `jsonschema` crate's meta-schema check rejects as an invalid regex (see
        // tests/data/README.md); replace them with the evidently intended pattern. policy-lint
        // never writes `language`.
        fn fix_patterns(v: &mut Value) -> usize {
            match v {
                Value::Object(m) => {
                    let mut n = 0;
                    for (k, child) in m.iter_mut() {
                        if k == "pattern" && child == "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" {
                            *child = Value::from("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
                            n += 1;
                        } else {
                            n += fix_patterns(child);
                        }
                    }
                    n
                }
                Value::Array(a) => a.iter_mut().map(fix_patterns).sum(),
                _ => 0,
            }
        }
        assert_eq!(fix_patterns(&mut schema), 2);
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        let t = testdata::sample();
        let mut categorized = t.report();
        categorized.sarif_category = Some("policy-lint/prod");
        let not_run = crate::finding::Summary {
            not_run: vec!["KMS004".into(), "NET002".into()],
            ..t.summary.clone()
        };
        let mut deselected = t.report();
        deselected.summary = &not_run;
        for report in [t.report(), categorized, deselected] {
            let v: Value = serde_json::from_str(&render_sarif(&report)).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&v)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "SARIF schema errors: {errors:#?}");
        }
        // the validator does reject invalid logs
        let mut bad = sarif_value(&t);
        bad["runs"][0]["results"][0]["level"] = Value::from("fatal");
        assert!(!validator.is_valid(&bad));
    }

    #[test]
    fn one_run_with_category() {
        let t = testdata::sample();
        let v = sarif_value(&t);
        assert_eq!(v["version"], "2.1.0");
        assert_eq!(v["$schema"], SARIF_SCHEMA);
        assert_eq!(v["runs"].as_array().unwrap().len(), 1);
        assert_eq!(v["runs"][0]["automationDetails"]["id"], "policy-lint/");
        let mut r = t.report();
        r.sarif_category = Some("policy-lint/workspace-a");
        let v: Value = serde_json::from_str(&render_sarif(&r)).unwrap();
        assert_eq!(
            v["runs"][0]["automationDetails"]["id"],
            "policy-lint/workspace-a"
        );
    }

    #[test]
    fn every_rule_present() {
        let t = testdata::sample();
        let v = sarif_value(&t);
        let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), t.rules.len());
        for (rule, d) in rules.iter().zip(&t.rules) {
            assert_eq!(rule["id"], d.code.as_str());
            assert_eq!(rule["name"], d.name.as_str());
            assert_eq!(rule["shortDescription"]["text"], d.summary.as_str());
            assert_eq!(rule["help"]["markdown"], d.help_markdown.as_str());
            assert!(!rule["help"]["text"].as_str().unwrap().is_empty());
            assert_eq!(rule["helpUri"], d.help_uri.as_str());
            assert_eq!(
                rule["defaultConfiguration"]["level"],
                d.default_severity.as_str()
            );
            let sev = rule["properties"]["security-severity"].as_str().unwrap();
            assert_eq!(
                sev.parse::<f64>().unwrap(),
                d.security_severity.unwrap(),
                "{sev}"
            );
            assert!(sev.contains('.'));
            assert_eq!(rule["properties"]["precision"], "high");
        }
        // ruleIndex points at the rule
        for res in v["runs"][0]["results"].as_array().unwrap() {
            let i = res["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], res["ruleId"]);
        }
    }

    #[test]
    fn uris_relative_whatever_the_cwd() {
        const CHILD: &str = "POLICY_LINT_TEST_SARIF_CHILD";
        const MARK: &str = "=====SARIF=====";
        let t = testdata::sample();
        let before = render_sarif(&t.report());
        if std::env::var_os(CHILD).is_some() {
            println!("{MARK}{before}{MARK}");
            return;
        }
        // Render again in a child process started in another directory (changing this
        // process's directory would disturb tests running in parallel).
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "output::sarif::tests::uris_relative_whatever_the_cwd",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .current_dir(std::env::temp_dir())
            .output()
            .unwrap();
        assert!(out.status.success());
        let stdout = String::from_utf8(out.stdout).unwrap();
        let after = stdout
            .split(MARK)
            .nth(1)
            .expect("child printed the SARIF log");
        assert_eq!(before, after);

        let v: Value = serde_json::from_str(&before).unwrap();
        let run = &v["runs"][0];
        assert_eq!(
            run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
            "file:///work/repo/"
        );
        let mut seen = Vec::new();
        for res in run["results"].as_array().unwrap() {
            let mut locs = vec![&res["locations"][0]["physicalLocation"]];
            if let Some(rel) = res["relatedLocations"].as_array() {
                locs.extend(rel.iter().map(|l| &l["physicalLocation"]));
            }
            for l in locs {
                let art = &l["artifactLocation"];
                let uri = art["uri"].as_str().unwrap();
                assert!(!uri.starts_with('/') && !uri.contains(':'), "{uri}");
                if uri.starts_with("..") {
                    assert!(art.get("uriBaseId").is_none());
                } else {
                    assert_eq!(art["uriBaseId"], SRCROOT);
                }
                seen.push(uri.to_string());
            }
        }
        assert!(seen.contains(&"policies/key%20policy.json".to_string()));
        assert!(seen.contains(&"infra/main.tf".to_string()));
        assert!(seen.contains(&"../elsewhere/policy.json".to_string()));
    }

    #[test]
    fn rules_that_did_not_run_are_disabled_in_the_invocation() {
        let t = testdata::sample();
        let v = sarif_value(&t);
        assert!(v["runs"][0]["invocations"][0]
            .get("ruleConfigurationOverrides")
            .is_none());
        let summary = crate::finding::Summary {
            not_run: vec!["NET002".into()],
            ..t.summary.clone()
        };
        let mut r = t.report();
        r.summary = &summary;
        let v: Value = serde_json::from_str(&render_sarif(&r)).unwrap();
        let o = &v["runs"][0]["invocations"][0]["ruleConfigurationOverrides"];
        assert_eq!(o.as_array().unwrap().len(), 1);
        assert_eq!(o[0]["descriptor"]["id"], "NET002");
        let index = o[0]["descriptor"]["index"].as_u64().unwrap() as usize;
        assert_eq!(
            v["runs"][0]["tool"]["driver"]["rules"][index]["id"],
            "NET002"
        );
        assert_eq!(o[0]["configuration"]["enabled"], false);
    }

    #[test]
    fn fingerprint_key_names_the_scheme_version() {
        assert_eq!(
            FINGERPRINT_KEY,
            format!("policyLint/v{}", super::super::FINGERPRINT_VERSION)
        );
    }

    #[test]
    fn fingerprints_survive_moved_lines() {
        let a = sarif_value(&testdata::sample());
        let b = sarif_value(&testdata::sample_with_prefix("# moved\n\n"));
        let ra = a["runs"][0]["results"].as_array().unwrap();
        let rb = b["runs"][0]["results"].as_array().unwrap();
        assert_eq!(ra.len(), rb.len());
        for (x, y) in ra.iter().zip(rb) {
            assert_ne!(
                x["locations"][0]["physicalLocation"]["region"]["startLine"],
                y["locations"][0]["physicalLocation"]["region"]["startLine"]
            );
            let fx = x["partialFingerprints"][FINGERPRINT_KEY].as_str().unwrap();
            assert_eq!(fx.len(), 16);
            assert_eq!(fx, y["partialFingerprints"][FINGERPRINT_KEY]);
        }
    }

    #[test]
    fn suppressions_with_justification() {
        let v = sarif_value(&testdata::sample());
        let results = v["runs"][0]["results"].as_array().unwrap();
        let net = results.iter().find(|r| r["ruleId"] == "NET002").unwrap();
        assert_eq!(net["suppressions"][0]["kind"], "inSource");
        assert_eq!(
            net["suppressions"][0]["justification"],
            "sandbox account, egress reviewed in SEC-123"
        );
        for r in results.iter().filter(|r| r["ruleId"] != "NET002") {
            assert!(r.get("suppressions").is_none());
        }
    }

    #[test]
    fn directory_uris() {
        assert_eq!(directory_uri(Path::new("/a b/c")), "file:///a%20b/c/");
        assert_eq!(directory_uri(Path::new("/repo/")), "file:///repo/");
        assert_eq!(directory_uri(Path::new("/")), "file:///");
        assert_eq!(
            percent_encode("a b/é%#?.tf", b""),
            "a%20b/%C3%A9%25%23%3F.tf"
        );
    }
}
