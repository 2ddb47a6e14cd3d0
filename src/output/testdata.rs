//! A small in-memory report shared by the output tests.

use super::{Report, RuleDescriptor};
use crate::finding::{Finding, Fix, Severity, Summary, Suppression, SuppressionKind, TextEdit};
use crate::source::{FileId, Location, SourceMap};
use std::path::PathBuf;
use std::sync::Arc;

pub const MAIN_TF: &str = r#"resource "databricks_mws_customer_managed_keys" "managed" {
  account_id = var.databricks_account_id
  aws_key_info {
    key_arn   = aws_kms_key.managed.arn
    key_alias = "alias/managed"
  }
  use_cases = ["MANAGED_SERVICES"]
}

resource "aws_kms_key" "managed" {
  description         = "Databricks managed services"
  enable_key_rotation = false
  policy              = file("${path.module}/../policies/key policy.json")
}

resource "databricks_account_network_policy" "this" {
  network_policy_id = "np-1"
  egress = {
    network_access = {
      # policy-lint: ignore[NET002] sandbox account, egress reviewed in SEC-123
      restriction_mode = "FULL_ACCESS"
    }
  }
}
"#;

pub const KEY_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "EnableRootAccess",
      "Effect": "Allow",
      "Principal": { "AWS": "arn:aws:iam::111122223333:root" },
      "Action": "kms:*",
      "Resource": "*"
    },
    {
      "Sid": "AllowDatabricksToUseKey",
      "Effect": "Allow",
      "Principal": { "AWS": "arn:aws:iam::414351767826:root" },
      "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
      "Resource": "*"
    }
  ]
}
"#;

pub const SHARED_POLICY: &str = r#"{
  "Statement": [
    { "Effect": "Allow", "Principal": { "AWS": "*" }, "Action": "kms:DescribeKey", "Resource": "*" }
  ]
}
"#;

pub struct Sample {
    pub sources: SourceMap,
    pub findings: Vec<Finding>,
    pub rules: Vec<RuleDescriptor>,
    pub root: PathBuf,
    pub summary: Summary,
}

impl Sample {
    pub fn report(&self) -> Report<'_> {
        Report {
            findings: &self.findings,
            sources: &self.sources,
            rules: &self.rules,
            summary: &self.summary,
            repo_root: &self.root,
            tool_version: "0.1.0",
            sarif_category: None,
        }
    }
}

/// Location of the `nth` (0-based) occurrence of `needle` in file `id`.
fn find(sources: &SourceMap, id: FileId, needle: &str, nth: usize) -> Location {
    let text = sources.get(id).text.clone();
    let start = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} not found"))
        .0;
    Location::new(id, start..start + needle.len())
}

pub fn rules() -> Vec<RuleDescriptor> {
    let rule = |code: &str, name: &str, sev: Severity, summary: &str, score: f64| RuleDescriptor {
        code: code.to_string(),
        name: name.to_string(),
        default_severity: sev,
        summary: summary.to_string(),
        full_description: format!("{summary} Full description of {code}."),
        help_markdown: format!("## {code}\n\n{summary}\n\nSee the `{name}` documentation."),
        help_uri: format!("https://example.invalid/policy-lint/rules/{code}"),
        tags: vec!["security".to_string(), code[..3].to_lowercase()],
        security_severity: Some(score),
    };
    vec![
        rule(
            "CMK001",
            "key-rotation-disabled",
            Severity::Warning,
            "Customer-managed keys should rotate automatically.",
            4.0,
        ),
        rule(
            "KMS002",
            "grant-without-aws-resource-condition",
            Severity::Error,
            "Grants to the Databricks account must be limited with a condition.",
            8.0,
        ),
        rule(
            "KMS004",
            "public-principal",
            Severity::Note,
            "Key policies should not name the wildcard principal.",
            2.5,
        ),
        rule(
            "NET002",
            "egress-full-access",
            Severity::Error,
            "Serverless egress should be restricted.",
            7.5,
        ),
    ]
}

pub fn sample() -> Sample {
    sample_with_prefix("")
}

/// The sample with `prefix` (whitespace or comments valid in every file kind) before each file.
pub fn sample_with_prefix(prefix: &str) -> Sample {
    let json_prefix: String = prefix
        .chars()
        .filter(|c| c.is_whitespace())
        .collect::<String>();
    let root = PathBuf::from("/work/repo");
    let sources = SourceMap::new();
    let tf = sources.add(
        root.join("infra/main.tf"),
        "infra/main.tf".to_string(),
        Arc::from(format!("{prefix}{MAIN_TF}")),
    );
    let kp = sources.add(
        root.join("policies/key policy.json"),
        "policies/key policy.json".to_string(),
        Arc::from(format!("{json_prefix}{KEY_POLICY}")),
    );
    let shared = sources.add(
        PathBuf::from("/work/elsewhere/policy.json"),
        "../elsewhere/policy.json".to_string(),
        Arc::from(format!("{json_prefix}{SHARED_POLICY}")),
    );

    let rules = rules();
    let stamp = |mut f: Finding| {
        let r = rules.iter().find(|r| r.code == f.code).unwrap();
        f.name = r.name.clone();
        f.severity = r.default_severity;
        f.doc_url = r.help_uri.clone();
        f
    };

    let mut findings = vec![
        stamp(
            Finding::new(
                "CMK001",
                find(&sources, tf, "false", 0),
                "Automatic rotation is disabled for `aws_kms_key.managed`.",
            )
            .with_help("Set `enable_key_rotation = true`.")
            .with_address("aws_kms_key.managed")
            .with_path("enable_key_rotation")
            .with_fix({
                let mut x = Fix::safe("set `enable_key_rotation = true`");
                x.edits = vec![TextEdit {
                    loc: find(&sources, tf, "false", 0),
                    text: "true".into(),
                }];
                x
            })
            .with_related(
                find(&sources, tf, "aws_kms_key.managed.arn", 0),
                "key used for managed services here",
            ),
        ),
        stamp(
            Finding::new(
                "KMS002",
                find(&sources, kp, "{\n      \"Sid\": \"AllowDatabricksToUseKey\"", 0)
                    .join(&find(&sources, kp, "}", 3)),
                "Statement \"AllowDatabricksToUseKey\" grants kms:Encrypt to the Databricks account without an aws:ResourceArn condition.\nAny workspace in the Databricks control plane could use this key.",
            )
            .with_help("Add a `StringEquals` condition on `aws:PrincipalTag/DatabricksAccountId`.")
            .with_address("aws_kms_key.managed")
            .with_path("policy.Statement[1]")
            .with_related(
                find(&sources, kp, "\"arn:aws:iam::414351767826:root\"", 0),
                "Databricks principal",
            )
            .with_related(
                find(&sources, tf, "file(\"${path.module}/../policies/key policy.json\")", 0),
                "policy loaded here",
            ),
        ),
        stamp(
            Finding::new(
                "KMS004",
                find(&sources, shared, "{ \"AWS\": \"*\" }", 0),
                "The statement allows any principal, with 50% of the usual checks: a, b.",
            ),
        ),
        {
            let mut f = stamp(
                Finding::new(
                    "NET002",
                    find(&sources, tf, "\"FULL_ACCESS\"", 0),
                    "Serverless egress is not restricted.",
                )
                .with_address("databricks_account_network_policy.this")
                .with_path("egress.network_access.restriction_mode"),
            );
            f.suppression = Some(Suppression {
                kind: SuppressionKind::InSource,
                justification: "sandbox account, egress reviewed in SEC-123".to_string(),
                loc: Some(find(&sources, tf, "# policy-lint: ignore[NET002]", 0)),
            });
            f
        },
    ];
    crate::finding::sort_and_dedup(&mut findings, &sources);
    super::assign_fingerprints(&mut findings, &sources, &root);
    let summary = Summary {
        files: 3,
        ..Summary::of(&findings)
    };
    Sample {
        sources,
        findings,
        rules,
        root,
        summary,
    }
}

/// The sample plus what the pretty output lays out specially: an EVAL001 note (one line unless
/// `--verbose`) and a finding about a resource deep in nested modules (long identifiers in its
/// message and help).
pub fn sample_extended() -> Sample {
    let mut s = sample();
    let tf = s
        .findings
        .iter()
        .map(|f| f.loc.file)
        .find(|id| s.sources.get(*id).display == "infra/main.tf")
        .expect("the sample has infra/main.tf");
    let eval = {
        let mut f = Finding::new(
            "EVAL001",
            find(&s.sources, tf, "var.databricks_account_id", 0),
            "cannot check `account_id` of `databricks_mws_customer_managed_keys.managed`: `var.databricks_account_id` has no default and no value was given; set it in terraform.tfvars, with --var-file, --var databricks_account_id=... or TF_VAR_databricks_account_id",
        )
        .with_help("policy-lint reports neither a pass nor a failure for KMS001 here; supply the value (tfvars, --var, --var-file, TF_VAR_) so it can decide")
        .with_path("account_id")
        .blocking(&["KMS001".to_string()])
        .name_blocked();
        f.name = "unresolved-value".into();
        f.severity = Severity::Note;
        f.doc_url = "https://example.invalid/policy-lint/rules/EVAL001".into();
        f
    };
    let module = {
        let mut f = Finding::new(
            "NET002",
            find(&s.sources, tf, "network_policy_id = \"np-1\"", 0),
            "network policy `module.workspace_defaults.module.network.databricks_account_network_policy.this` allows all serverless egress (`restriction_mode = \"FULL_ACCESS\"`, in registry.terraform.io/acme-corp/databricks-serverless-egress/aws@3.14.159//modules/network-policy/main.tf:27)",
        )
        .with_help("set `egress.network_access.restriction_mode = \"RESTRICTED_ACCESS\"` in `module.workspace_defaults.module.network.databricks_account_network_policy.this` and list the destinations workloads need in `allowed_internet_destinations`")
        .with_address("module.workspace_defaults.module.network.databricks_account_network_policy.this")
        .with_path("egress.network_access.restriction_mode");
        f.name = "egress-full-access".into();
        f.severity = Severity::Error;
        f.doc_url = "https://example.invalid/policy-lint/rules/NET002".into();
        f
    };
    s.findings.push(eval);
    s.findings.push(module);
    crate::finding::sort_and_dedup(&mut s.findings, &s.sources);
    super::assign_fingerprints(&mut s.findings, &s.sources, &s.root);
    s.summary = Summary {
        files: 3,
        ..Summary::of(&s.findings)
    };
    s
}
