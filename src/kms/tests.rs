//! Tests: every JSON `[[tests]]` entry of `rules/kms/*.toml`, plus unit tests of the model.

use super::*;
use crate::finding::{Finding, Severity};
use crate::source::{FileId, Location, SourceMap};
use crate::value::{Kind, Origin, Part, Reason, Unknown, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn toml_to_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: toml::Value =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::to_value(v).unwrap()
}

fn data() -> KmsData {
    let dir = root().join("rules/data");
    KmsData::from_tables(&|name| {
        let p = dir.join(format!("{name}.toml"));
        p.exists().then(|| toml_to_json(&p))
    })
    .unwrap()
}

struct Run {
    findings: Vec<Finding>,
}

impl Run {
    fn count(&self, code: &str) -> usize {
        self.findings.iter().filter(|f| f.code == code).count()
    }
    fn of(&self, code: &str) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.code == code).collect()
    }
}

fn run_value(doc: &Value, target: &PolicyTarget, params: &KmsParams) -> Run {
    let mut out = Vec::new();
    check_policy(doc, target, &data(), params, &|_| true, &mut out);
    Run {
        findings: out.into_iter().map(Finding::name_blocked).collect(),
    }
}

fn parse(sources: &SourceMap, name: &str, text: &str) -> (Value, FileId) {
    let id = sources.add(PathBuf::from(name), name.to_string(), Arc::from(text));
    (crate::json::parse_file(text, id).expect("valid JSON"), id)
}

fn target(file: FileId) -> PolicyTarget {
    PolicyTarget::new(Location::new(file, 0..0))
}

fn run_json(text: &str) -> Run {
    let sources = SourceMap::new();
    let (doc, id) = parse(&sources, "key-policy.json", text);
    run_value(&doc, &target(id), &KmsParams::default())
}

/// A policy with one statement.
fn stmt(principal: &str, actions: &str, condition: &str) -> String {
    let cond = if condition.is_empty() {
        String::new()
    } else {
        format!(r#", "Condition": {condition}"#)
    };
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [{{"Sid": "S", "Effect": "Allow", "Principal": {principal}, "Action": {actions}, "Resource": "*"{cond}}}]}}"#
    )
}

const DB: &str = r#"{"AWS": "arn:aws:iam::414351767826:root"}"#;
const GRANTS: &str = r#"["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]"#;
const ROLE: &str = r#"{"AWS": "arn:aws:iam::111122223333:role/databricks-cross-account"}"#;
const EBS_ACTIONS: &str =
    r#"["kms:Decrypt", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"]"#;

// ---------------------------------------------------------------------------------------------
// The rule files' acceptance tests
// ---------------------------------------------------------------------------------------------

#[test]
fn rule_file_json_tests() {
    let dir = root().join("rules/kms");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut ran = 0;
    let mut failures = Vec::new();
    for path in files {
        let rule = toml_to_json(&path);
        let code = rule["code"].as_str().unwrap().to_string();
        for t in rule["tests"].as_array().cloned().unwrap_or_default() {
            let file = t["file"].as_str().unwrap();
            if !file.ends_with(".json") {
                continue;
            }
            let name = t["name"].as_str().unwrap();
            let mut params = KmsParams::default();
            if let Some(p) = t.get("params").and_then(|p| p.as_object()) {
                if let Some(d) = p.get("max_edit_distance").and_then(|x| x.as_u64()) {
                    params.max_edit_distance = d as usize;
                }
                if let Some(b) = p.get("require_grants_statement").and_then(|x| x.as_bool()) {
                    params.require_grants_statement = b;
                }
            }
            let sources = SourceMap::new();
            let (doc, id) = parse(&sources, file, t["source"].as_str().unwrap());
            let run = run_value(&doc, &target(id), &params);
            let expect = t["expect"].as_u64().unwrap() as usize;
            ran += 1;
            if run.count(&code) != expect {
                failures.push(format!(
                    "{code} `{name}`: expected {expect}, got {}: {:#?}",
                    run.count(&code),
                    run.of(&code).iter().map(|f| &f.message).collect::<Vec<_>>()
                ));
            }
            // Every value of these policies is known: no EVAL001.
            if run.count("EVAL001") != 0 {
                failures.push(format!(
                    "{code} `{name}`: unexpected EVAL001 {:?}",
                    run.of("EVAL001")
                ));
            }
        }
    }
    assert!(ran >= 30, "only {ran} JSON tests found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

#[test]
fn wildcard_matching() {
    assert!(glob_match("kms:*", "kms:CreateGrant"));
    assert!(glob_match("kms:Create*", "kms:CreateGrant"));
    assert!(glob_match("kms:*Grant*", "kms:ListGrants"));
    assert!(glob_match("*", "kms:Decrypt"));
    assert!(glob_match("KMS:createGRANT", "kms:CreateGrant"));
    assert!(glob_match("kms:Re?ncrypt*", "kms:ReEncryptFrom"));
    assert!(!glob_match("kms:Create*", "kms:Decrypt"));
    assert!(!glob_match("s3:*", "kms:Decrypt"));
    assert!(glob_covers("kms:*", "kms:Create*"));
    assert!(glob_covers("kms:ReEncrypt*", "kms:reencryptfrom"));
    assert!(!glob_covers("kms:ReEncryptFrom", "kms:ReEncrypt*"));
    assert!(!glob_covers("kms:Encrypt", "kms:*"));
    assert!(!glob_covers("kms:GenerateDataKey*", "kms:Disable*"));
}

/// The matchers take fast paths (no wildcard, `*`, ASCII on the stack); they must agree with the
/// plain definitions on every short pattern over a small alphabet.
#[test]
fn glob_fast_paths_agree_with_reference() {
    fn lower(s: &str) -> Vec<char> {
        s.chars().flat_map(char::to_lowercase).collect()
    }
    fn reference_match(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|k| reference_match(rest, &t[k..])),
            Some((c, rest)) => match t.split_first() {
                Some((d, trest)) => (*c == '?' || c == d) && reference_match(rest, trest),
                None => false,
            },
        }
    }
    fn reference_covers(g: &[char], s: &[char]) -> bool {
        match g.split_first() {
            None => s.is_empty(),
            Some(('*', rest)) => (0..=s.len()).any(|k| reference_covers(rest, &s[k..])),
            Some((c, rest)) => match s.split_first() {
                Some((d, srest)) => {
                    (if *c == '?' { *d != '*' } else { c == d }) && reference_covers(rest, srest)
                }
                None => false,
            },
        }
    }
    let alphabet = ["a", "B", "b", "*", "?", "é", "É"];
    let mut words = vec![String::new()];
    for _ in 0..3 {
        let mut next = Vec::new();
        for w in &words {
            for c in alphabet {
                next.push(format!("{w}{c}"));
            }
        }
        words.extend(next);
        words.sort();
        words.dedup();
    }
    for p in &words {
        for t in &words {
            let (lp, lt) = (lower(p), lower(t));
            if !t.contains(['*', '?']) {
                assert_eq!(
                    glob_match(p, t),
                    reference_match(&lp, &lt),
                    "match {p:?} {t:?}"
                );
            }
            assert_eq!(
                glob_covers(p, t),
                reference_covers(&lp, &lt),
                "covers {p:?} {t:?}"
            );
        }
    }
    let long = format!("kms:{}", "x".repeat(300));
    assert!(glob_match("kms:*", &long));
    assert!(glob_covers("kms:x*", &format!("{long}*")));
    assert!(!glob_covers(&format!("{long}*"), "kms:x*"));
    // Longer than the stack rows of the covering table.
    assert!(glob_covers("kms:*x*", &format!("{long}*")));
    assert!(!glob_covers("kms:*y*", &format!("{long}*")));
}

#[test]
fn grants_honours_effect_wildcards_and_not_action() {
    let sources = SourceMap::new();
    let (doc, _) = parse(
        &sources,
        "p.json",
        r#"{"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "kms:*Grant*"},
            {"Effect": "Deny", "Principal": "*", "Action": "kms:*"},
            {"Effect": "Allow", "NotPrincipal": {"AWS": "x"}, "NotAction": ["kms:Decrypt"]}
        ]}"#,
    );
    let p = Policy::from_value(&doc);
    assert_eq!(grants(&p.statements[0], "kms:CreateGrant"), Tri::Yes);
    assert_eq!(grants(&p.statements[0], "kms:Decrypt"), Tri::No);
    assert_eq!(grants(&p.statements[1], "kms:Decrypt"), Tri::No);
    assert_eq!(grants(&p.statements[2], "kms:Encrypt"), Tri::Yes);
    assert_eq!(grants(&p.statements[2], "kms:decrypt"), Tri::No);
    assert!(p.statements[2].not_principal.is_some());
}

#[test]
fn statement_object_and_scalar_forms() {
    let sources = SourceMap::new();
    let (doc, _) = parse(
        &sources,
        "p.json",
        r#"{"Statement": {"Effect": "Allow", "Principal": {"AWS": ["a", "b"], "Service": "ec2.amazonaws.com"}, "Action": "kms:Decrypt",
            "Condition": {"StringEquals": {"KMS:CallerAccount": ["1", "2"]}}}}"#,
    );
    let p = Policy::from_value(&doc);
    assert_eq!(p.statements.len(), 1);
    let s = &p.statements[0];
    assert_eq!(s.principals().len(), 3);
    assert_eq!(s.conditions[0].key_lc, "kms:calleraccount");
    assert_eq!(s.conditions[0].values.len(), 2);
    assert!(s.conditions[0].op_value.loc().is_some());
}

fn class(text: &str) -> PrincipalClass {
    classify_aws(&Value::string(text), &data(), 2)
}

#[test]
fn bare_account_equals_root() {
    assert_eq!(class("414351767826"), PrincipalClass::Databricks(0));
    assert_eq!(
        class("arn:aws:iam::414351767826:root"),
        PrincipalClass::Databricks(0)
    );
    assert_eq!(class("*"), PrincipalClass::Wildcard);
    assert_eq!(
        class("111122223333"),
        PrincipalClass::Account("111122223333".into())
    );
    assert_eq!(
        class("arn:aws:iam::111122223333:role/x"),
        PrincipalClass::Other
    );
}

fn index_of(account: &str) -> usize {
    data()
        .principals
        .iter()
        .position(|p| p.account_id == account)
        .unwrap()
}

#[test]
fn govcloud_partitions() {
    let civ = index_of("044793339203");
    let dod = index_of("170661010020");
    let com = index_of("414351767826");
    assert_eq!(
        class("arn:aws-us-gov:iam::044793339203:root"),
        PrincipalClass::Databricks(civ)
    );
    assert_eq!(
        class("arn:aws-us-gov:iam::170661010020:root"),
        PrincipalClass::Databricks(dod)
    );
    assert!(matches!(
        class("arn:aws:iam::044793339203:root"),
        PrincipalClass::NearMiss { expected, kind: NearMissKind::WrongPartition { .. } } if expected == civ
    ));
    assert!(matches!(
        class("arn:aws-us-gov:iam::414351767826:root"),
        PrincipalClass::NearMiss { expected, kind: NearMissKind::WrongPartition { .. } } if expected == com
    ));
    assert!(matches!(
        class("arn:aws:iam::414351767826:role/databricks"),
        PrincipalClass::NearMiss {
            kind: NearMissKind::NotRoot { .. },
            ..
        }
    ));
}

#[test]
fn account_typos() {
    for typo in [
        "414351767862",
        "414351767825",
        "41435176782x6",
        "arn:aws:iam::414351767816:root",
    ] {
        let c = class(typo);
        if typo.len() == 13 {
            assert_eq!(c, PrincipalClass::Other, "{typo}");
        } else {
            assert!(
                matches!(
                    c,
                    PrincipalClass::NearMiss {
                        kind: NearMissKind::Typo { .. },
                        ..
                    }
                ),
                "{typo}: {c:?}"
            );
        }
    }
    // Three edits away: an unrelated account.
    assert_eq!(
        class("414351768862"),
        PrincipalClass::Account("414351768862".into())
    );
    // With max distance 0 nothing is a typo.
    assert_eq!(
        classify_aws(&Value::string("414351767862"), &data(), 0),
        PrincipalClass::Account("414351767862".into())
    );
    let r = run_json(&stmt(
        r#"{"AWS": "414351767862"}"#,
        r#"["kms:Encrypt", "kms:Decrypt"]"#,
        "",
    ));
    assert_eq!(r.count("KMS001"), 1);
    assert!(r.of("KMS001")[0]
        .message
        .contains("arn:aws:iam::414351767826:root"));
}

fn unknown_var(name: &str) -> Arc<Unknown> {
    Arc::new(Unknown::new(Reason::Variable { name: name.into() }))
}

fn partial(parts: Vec<Part>) -> Value {
    Value::new(Kind::Partial(parts), Origin::none())
}

#[test]
fn partial_principal_with_unknown_partition_names_the_account() {
    let v = partial(vec![
        Part::Lit("arn:".into()),
        Part::Unknown(unknown_var("partition")),
        Part::Lit(":iam::414351767826:root".into()),
    ]);
    assert_eq!(classify_aws(&v, &data(), 2), PrincipalClass::Databricks(0));
    let v = partial(vec![
        Part::Lit("arn:aws:iam::".into()),
        Part::Unknown(unknown_var("account")),
        Part::Lit(":root".into()),
    ]);
    assert_eq!(
        classify_aws(&v, &data(), 2),
        PrincipalClass::Unknown {
            maybe_databricks: true
        }
    );
}

/// A policy value built in code, whose principal is `principal`, with locations on a file.
fn doc_with_principal(
    principal: Value,
    actions: &[&str],
    condition: Option<Value>,
) -> (SourceMap, Value, FileId) {
    let sources = SourceMap::new();
    let text = "x".repeat(100);
    let id = sources.add("main.tf".into(), "main.tf".into(), Arc::from(text.as_str()));
    let at = |a: usize, b: usize| Origin::at(Location::new(id, a..b));
    let mut st = crate::value::ObjMap::new();
    st.insert(
        "Effect".to_string(),
        Value::string("Allow").with_origin(at(1, 2)),
    );
    let mut p = crate::value::ObjMap::new();
    p.insert("AWS".to_string(), principal);
    st.insert(
        "Principal".to_string(),
        Value::object(p).with_origin(at(3, 4)),
    );
    st.insert(
        "Action".to_string(),
        Value::list(
            actions
                .iter()
                .enumerate()
                .map(|(i, a)| Value::string(*a).with_origin(at(10 + i, 11 + i)))
                .collect(),
        )
        .with_origin(at(5, 6)),
    );
    if let Some(c) = condition {
        st.insert("Condition".to_string(), c);
    }
    let mut d = crate::value::ObjMap::new();
    d.insert("Version".to_string(), Value::string("2012-10-17"));
    d.insert(
        "Statement".to_string(),
        Value::list(vec![Value::object(st).with_origin(at(0, 50))]).with_origin(at(0, 60)),
    );
    (sources, Value::object(d).with_origin(at(0, 99)), id)
}

#[test]
fn fully_unknown_principal_is_eval001() {
    let mut u = Unknown::new(Reason::Variable {
        name: "databricks_principal".into(),
    });
    u.loc = Some(Location::new(FileId(0), 70..80));
    let principal = Value::unknown(u).with_origin(Origin::at(Location::new(FileId(0), 20..30)));
    let (_s, doc, id) = doc_with_principal(principal, &["kms:*"], None);
    let r = run_value(&doc, &target(id), &KmsParams::default());
    let evals = r.of("EVAL001");
    assert_eq!(evals.len(), 1, "{:#?}", r.findings);
    let e = evals[0];
    assert_eq!(e.loc, Location::new(FileId(0), 20..30));
    assert!(
        e.message.contains("var.databricks_principal"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("KMS002")
            && e.message.contains("KMS005")
            && e.message.contains("KMS006")
    );
    assert!(e
        .related
        .iter()
        .any(|r| r.loc == Location::new(FileId(0), 70..80)));
    // Neither passes nor fails silently.
    assert_eq!(r.count("KMS002") + r.count("KMS005") + r.count("KMS006"), 0);
}

#[test]
fn partial_databricks_principal_is_checked() {
    let principal = partial(vec![
        Part::Lit("arn:".into()),
        Part::Unknown(unknown_var("partition")),
        Part::Lit(":iam::414351767826:root".into()),
    ])
    .with_origin(Origin::at(Location::new(FileId(0), 20..30)));
    let (_s, doc, id) = doc_with_principal(
        principal,
        &["kms:Encrypt", "kms:Decrypt", "kms:PutKeyPolicy"],
        None,
    );
    let r = run_value(&doc, &target(id), &KmsParams::default());
    assert_eq!(r.count("KMS005"), 1, "{:#?}", r.findings);
    assert_eq!(r.of("KMS005")[0].loc, Location::new(FileId(0), 12..13));
    assert_eq!(r.count("EVAL001"), 0, "{:#?}", r.findings);
    assert_eq!(r.count("KMS001"), 0);
}

#[test]
fn unknown_action_is_eval001_not_a_pass() {
    let (_s, doc, id) =
        doc_with_principal(Value::string("arn:aws:iam::414351767826:root"), &[], None);
    // Replace the actions by an unknown.
    let mut doc = doc;
    if let Kind::Object(m) = &mut doc.kind {
        if let Kind::List(sts) = &mut std::sync::Arc::make_mut(m)
            .get_mut("Statement")
            .unwrap()
            .kind
        {
            if let Kind::Object(s) = &mut std::sync::Arc::make_mut(sts)[0].kind {
                std::sync::Arc::make_mut(s).insert(
                    "Action".into(),
                    Value::unknown(Unknown::new(Reason::Variable {
                        name: "actions".into(),
                    }))
                    .with_origin(Origin::at(Location::new(id, 40..45))),
                );
            }
        }
    }
    let r = run_value(&doc, &target(id), &KmsParams::default());
    assert_eq!(r.count("KMS002") + r.count("KMS005"), 0);
    assert_eq!(r.count("EVAL001"), 1, "{:#?}", r.findings);
    assert!(r.of("EVAL001")[0].message.contains("var.actions"));
}

// ---------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------

#[test]
fn bool_true_and_string_true() {
    for v in ["true", r#""true""#] {
        let r = run_json(&stmt(
            DB,
            GRANTS,
            &format!(r#"{{"Bool": {{"kms:GrantIsForAWSResource": {v}}}}}"#),
        ));
        assert_eq!(r.count("KMS002"), 0, "{v}");
    }
}

#[test]
fn lower_case_condition_key_counts() {
    let r = run_json(&stmt(
        DB,
        GRANTS,
        r#"{"Bool": {"kms:grantisforawsresource": "true"}}"#,
    ));
    assert_eq!(r.count("KMS002"), 0);
}

#[test]
fn string_equals_false_and_ifexists_are_findings() {
    for c in [
        r#"{"StringEquals": {"kms:GrantIsForAWSResource": "true"}}"#,
        r#"{"Bool": {"kms:GrantIsForAWSResource": false}}"#,
        r#"{"Bool": {"kms:GrantIsForAWSResource": "false"}}"#,
        r#"{"BoolIfExists": {"kms:GrantIsForAWSResource": "true"}}"#,
    ] {
        let r = run_json(&stmt(DB, GRANTS, c));
        assert_eq!(r.count("KMS002"), 1, "{c}");
        let f = r.of("KMS002")[0];
        assert!(f
            .message
            .contains(r#""Bool": {"kms:GrantIsForAWSResource": "true"}"#));
    }
    // Without a condition: the message lists the granted actions and the condition to add.
    let r = run_json(&stmt(DB, r#""kms:*""#, ""));
    let m = &r.of("KMS002")[0].message;
    assert!(m.contains("kms:CreateGrant (through `kms:*`)"), "{m}");
}

#[test]
fn ebs_statement_conditions() {
    for (c, n) in [
        (
            r#"{"ForAnyValue:StringLike": {"kms:ViaService": "ec2.*.amazonaws.com"}}"#,
            0,
        ),
        (
            r#"{"StringLike": {"kms:ViaService": "ec2.*.amazonaws.com"}}"#,
            0,
        ),
        (r#"{"Bool": {"kms:GrantIsForAWSResource": true}}"#, 0),
        (
            r#"{"ForAllValues:StringLike": {"kms:ViaService": "ec2.*.amazonaws.com"}}"#,
            1,
        ),
        (
            r#"{"StringLikeIfExists": {"kms:ViaService": "ec2.*.amazonaws.com"}}"#,
            1,
        ),
        (r#"{"StringLike": {"kms:ViaService": "*"}}"#, 1),
        ("", 1),
    ] {
        let r = run_json(&stmt(ROLE, EBS_ACTIONS, c));
        assert_eq!(r.count("KMS004"), n, "{c}");
    }
    // A whole account (the default admin statement) is not reported.
    let r = run_json(&stmt(
        r#"{"AWS": "arn:aws:iam::111122223333:root"}"#,
        r#""kms:*""#,
        "",
    ));
    assert_eq!(r.count("KMS004"), 0);
}

#[test]
fn wildcard_principal_conditions() {
    for (p, c, n) in [
        (r#""*""#, "", 1),
        (r#"{"AWS": "*"}"#, "", 1),
        (
            r#""*""#,
            r#"{"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}"#,
            1,
        ),
        (
            r#""*""#,
            r#"{"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}"#,
            0,
        ),
        (
            r#""*""#,
            r#"{"StringEquals": {"aws:principalorgid": "o-abc"}}"#,
            0,
        ),
        (
            r#""*""#,
            r#"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/app"}}"#,
            0,
        ),
        (
            r#""*""#,
            r#"{"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}"#,
            1,
        ),
        (
            r#""*""#,
            r#"{"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}"#,
            1,
        ),
        (
            r#""*""#,
            r#"{"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/app"}}"#,
            1,
        ),
    ] {
        let r = run_json(&stmt(p, r#""kms:Decrypt""#, c));
        assert_eq!(r.count("KMS006"), n, "{p} {c}");
    }
    // In a Deny: quiet.
    let text = stmt(r#""*""#, r#""kms:*""#, "").replace("\"Allow\"", "\"Deny\"");
    assert_eq!(run_json(&text).count("KMS006"), 0);
}

#[test]
fn not_elements_in_allow_and_deny() {
    let allow = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/x"}, "NotAction": "kms:Decrypt", "NotResource": "arn:aws:kms:us-east-1:111122223333:key/x"}]}"#;
    assert_eq!(run_json(allow).count("KMS007"), 3);
    let deny = allow.replace("Allow", "Deny");
    assert_eq!(run_json(&deny).count("KMS007"), 0);
}

#[test]
fn lower_case_effect_and_operator() {
    let r = run_json(
        &stmt(DB, r#"["kms:Encrypt", "kms:Decrypt"]"#, "").replace("\"Allow\"", "\"allow\""),
    );
    assert_eq!(r.count("KMS008"), 1);
    assert!(r.of("KMS008")[0]
        .message
        .contains("exactly `Allow` or `Deny`"));
    let r = run_json(&stmt(
        ROLE,
        r#""kms:Decrypt""#,
        r#"{"stringEquals": {"kms:CallerAccount": "1"}}"#,
    ));
    assert_eq!(r.count("KMS008"), 1);
    assert!(r.of("KMS008")[0].message.contains("`StringEquals`"));
    let r = run_json(&stmt(
        ROLE,
        r#""kms:Decrypt""#,
        r#"{"forAnyValue:StringLike": {"kms:ViaService": "x"}}"#,
    ));
    assert_eq!(r.count("KMS008"), 1);
    for ok in [
        "ForAnyValue:StringLike",
        "ForAllValues:StringEqualsIfExists",
        "Null",
        "ArnNotLikeIfExists",
    ] {
        let r = run_json(&stmt(
            ROLE,
            r#""kms:Decrypt""#,
            &format!(r#"{{"{ok}": {{"kms:CallerAccount": "1"}}}}"#),
        ));
        assert_eq!(r.count("KMS008"), 0, "{ok}");
    }
    let r = run_json(&stmt(
        ROLE,
        r#""kms:Decrypt""#,
        r#"{"StringEqual": {"kms:CallerAccount": "1"}}"#,
    ));
    assert!(r.of("KMS008")[0].message.contains("StringEquals"));
}

#[test]
fn version_warning_and_double_encoding() {
    let r = run_json(&stmt(ROLE, r#""kms:Decrypt""#, "").replace("2012-10-17", "2008-10-17"));
    let f = r.of("KMS008");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Warning);
    let r = run_json(r#""{\"Version\": \"2012-10-17\"}""#);
    assert_eq!(r.count("KMS008"), 1);
    assert_eq!(r.of("KMS008")[0].severity, Severity::Error);
}

#[test]
fn placeholders_are_reported_once_per_string() {
    let r = run_json(&stmt(
        r#"{"AWS": "<aws-arn-for-your-credentials>"}"#,
        EBS_ACTIONS,
        r#"{"ForAnyValue:StringLike": {"kms:ViaService": "ec2.*.amazonaws.com"}}"#,
    ));
    assert_eq!(r.count("KMS011"), 1);
    assert!(r.of("KMS011")[0]
        .message
        .contains("<aws-arn-for-your-credentials>"));
    let r = run_json(&stmt(
        r#"{"AWS": ["arn:aws:iam::XXXXXXXXXXXX:root", "arn:aws:iam::ACCOUNT_ID:root"]}"#,
        r#""kms:*""#,
        "",
    ));
    assert_eq!(r.count("KMS011"), 2);
    let r = run_json(&stmt(
        r#"{"AWS": "arn:aws:iam::123456789012:root"}"#,
        r#""kms:*""#,
        "",
    ));
    assert_eq!(r.count("KMS011"), 0);
}

// ---------------------------------------------------------------------------------------------
// Documented policies (Databricks "Configure customer-managed keys" and the provider's
// databricks_mws_customer_managed_keys examples) are clean
// ---------------------------------------------------------------------------------------------

const DOCUMENTED: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "EnableIAMUserPermissions", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "AllowDatabricksToUseKeyForManagedServices", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::414351767826:root"}, "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"},
    {"Sid": "AllowDatabricksToUseKeyForDBFS", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::414351767826:root"},
     "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*"},
    {"Sid": "AllowDatabricksToUseKeyForDBFSGrants", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::414351767826:root"},
     "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], "Resource": "*",
     "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
    {"Sid": "AllowDatabricksToUseKeyForEBS", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::111122223333:role/databricks-cross-account"},
     "Action": ["kms:Decrypt", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"], "Resource": "*",
     "Condition": {"ForAnyValue:StringLike": {"kms:ViaService": "ec2.*.amazonaws.com"}}}
  ]
}"#;

#[test]
fn documented_policies_are_clean() {
    let sources = SourceMap::new();
    let (doc, id) = parse(&sources, "key-policy.json", DOCUMENTED);
    for use_cases in [
        None,
        Some(vec!["STORAGE".to_string()]),
        Some(vec!["MANAGED_SERVICES".to_string(), "STORAGE".to_string()]),
    ] {
        let t = PolicyTarget {
            databricks_cmk: true,
            use_cases,
            ..target(id)
        };
        let r = run_value(&doc, &t, &KmsParams::default());
        assert!(r.findings.is_empty(), "{:#?}", r.findings);
    }
    // Managed services only.
    let ms = stmt(DB, r#"["kms:Encrypt", "kms:Decrypt"]"#, "");
    assert!(run_json(&ms).findings.is_empty());
    assert!(names_databricks(&doc, &data()));
}

#[test]
fn missing_statement_lists_exactly_what_is_missing() {
    let text = stmt(
        DB,
        r#"["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]"#,
        "",
    );
    let r = run_json(&text);
    // Inferred STORAGE: the grants statement is missing.
    let f = r.of("KMS003");
    assert_eq!(f.len(), 1);
    assert!(
        f[0].message
            .contains("kms:CreateGrant, kms:ListGrants, kms:RevokeGrant"),
        "{}",
        f[0].message
    );
    assert!(!f[0].message.contains("no Allow statement gives"));
    let no_grants = KmsParams {
        require_grants_statement: false,
        ..KmsParams::default()
    };
    let sources = SourceMap::new();
    let (doc, id) = parse(&sources, "p.json", &text);
    assert_eq!(run_value(&doc, &target(id), &no_grants).count("KMS003"), 0);

    // Managed-services statement on a key configured for both use cases.
    let (doc, id) = parse(
        &sources,
        "q.json",
        &stmt(DB, r#"["kms:Encrypt", "kms:Decrypt"]"#, ""),
    );
    let t = PolicyTarget {
        databricks_cmk: true,
        use_cases: Some(vec!["MANAGED_SERVICES".into(), "STORAGE".into()]),
        ..target(id)
    };
    let r = run_value(&doc, &t, &KmsParams::default());
    let f = r.of("KMS003");
    assert_eq!(f.len(), 1);
    assert!(
        f[0].message
            .contains("kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey"),
        "{}",
        f[0].message
    );
    assert!(!f[0].message.contains("kms:Encrypt,"));

    // Individual expansions of a documented wildcard count.
    let r = run_json(&stmt(
        DB,
        r#"["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"]"#,
        "",
    ));
    let f = r.of("KMS003");
    assert_eq!(f.len(), 1);
    assert!(!f[0].message.contains("ReEncrypt"), "{}", f[0].message);

    // Not a Databricks key: quiet.
    let r = run_json(&stmt(ROLE, r#""kms:Decrypt""#, ""));
    assert_eq!(r.count("KMS003"), 0);
}

#[test]
fn missing_tables_are_errors() {
    let e = KmsData::from_tables(&|_| None).unwrap_err();
    assert!(e.contains("databricks-principals"));
}

#[test]
fn unknown_account_root_is_not_an_ebs_role() {
    let principal = partial(vec![
        Part::Lit("arn:aws:iam::".into()),
        Part::Unknown(unknown_var("admin_account")),
        Part::Lit(":root".into()),
    ])
    .with_origin(Origin::at(Location::new(FileId(0), 20..30)));
    let (_s, doc, id) = doc_with_principal(principal, &["kms:*"], None);
    let r = run_value(&doc, &target(id), &KmsParams::default());
    assert_eq!(r.count("KMS004"), 0);
    // It might still be the Databricks account: KMS002/KMS005 cannot decide (one EVAL001).
    let e = r.of("EVAL001");
    assert_eq!(e.len(), 1, "{:#?}", r.findings);
    assert!(!e[0].message.contains("KMS004"), "{}", e[0].message);
    assert!(e[0].message.contains("KMS002, KMS005"), "{}", e[0].message);
}

#[test]
fn findings_point_at_the_element() {
    let text = stmt(DB, r#"["kms:Encrypt", "kms:PutKeyPolicy"]"#, "");
    let r = run_json(&text);
    let f = r.of("KMS005")[0];
    let at = text.find("\"kms:PutKeyPolicy\"").unwrap() as u32;
    assert_eq!(f.loc.start, at);
    assert!(f.message.contains("kms:PutKeyPolicy"));
    assert_eq!(f.anchor, Some(Location::new(f.loc.file, 0..0)));
    let text = stmt(
        r#"{"AWS": "arn:aws:iam::414351767862:root"}"#,
        r#""kms:Decrypt""#,
        "",
    );
    let f = &run_json(&text).of("KMS001")[0].clone();
    assert_eq!(
        f.loc.start,
        text.find("\"arn:aws:iam::414351767862").unwrap() as u32
    );
}

// ---------------------------------------------------------------------------------------------
// Statement roles, null principals, grants (KMS003, KMS004)
// ---------------------------------------------------------------------------------------------

#[test]
fn administrator_statements_are_not_ebs_statements() {
    const ADMIN_ROLE: &str = r#"{"AWS": "arn:aws:iam::111122223333:role/kms-admin"}"#;
    for (actions, n) in [
        (r#""kms:*""#, 0),
        (r#""*""#, 0),
        (r#"["kms:Create*", "kms:Put*", "kms:Describe*"]"#, 0),
        (r#"["kms:Create*", "kms:ScheduleKeyDeletion"]"#, 0),
        (r#"["kms:putkeypolicy", "kms:CreateGrant"]"#, 0),
        // No administrator action: an EBS-like statement, reported.
        (r#"["kms:Create*", "kms:Describe*"]"#, 1),
        (EBS_ACTIONS, 1),
    ] {
        let r = run_json(&stmt(ADMIN_ROLE, actions, ""));
        assert_eq!(r.count("KMS004"), n, "{actions}");
        assert_eq!(r.count("EVAL001"), 0, "{actions}");
    }
    // The parameter replaces the table: with no administrator actions, kms:* is reported again.
    let none = KmsParams {
        administrator_actions: Some(vec![]),
        ..KmsParams::default()
    };
    let sources = SourceMap::new();
    let (doc, id) = parse(&sources, "p.json", &stmt(ADMIN_ROLE, r#""kms:*""#, ""));
    let r = run_value(&doc, &target(id), &none);
    assert_eq!(r.count("KMS004"), 1);
    assert!(r.of("KMS004")[0].message.contains("(through `kms:*`)"));
}

#[test]
fn null_principal_is_an_unknown_input_never_a_principal_called_null() {
    let file = FileId(0);
    let principal = Value::null()
        .with_origin(Origin::at(Location::new(file, 20..24)))
        .with_hop(Location::new(file, 30..40), "variable `cmk_admin_arn`")
        .with_hop(Location::new(file, 41..50), "via `var.cmk_admin_arn`");
    for actions in [&["kms:*"][..], &["kms:Decrypt", "kms:CreateGrant"][..]] {
        let (_s, doc, id) = doc_with_principal(principal.clone(), actions, None);
        let r = run_value(&doc, &target(id), &KmsParams::default());
        for f in &r.findings {
            assert!(!f.message.contains("`null`"), "{}", f.message);
        }
        let e = r.of("EVAL001");
        assert_eq!(e.len(), 1, "{actions:?}: {:#?}", r.findings);
        assert_eq!(e[0].loc, Location::new(file, 20..24));
        assert!(
            e[0].message.contains("the principal is null")
                && e[0].message.contains("variable `cmk_admin_arn`"),
            "{}",
            e[0].message
        );
        // kms:* makes it an administrator statement: KMS004 is not among the undecided rules;
        // without administrator actions, whether it is the EBS role is undecided.
        assert_eq!(
            e[0].message.contains("KMS004"),
            actions.len() == 2,
            "{}",
            e[0].message
        );
        assert_eq!(r.count("KMS004"), 0);
    }
    // `"AWS": null` written in a policy file.
    let r = run_json(&stmt(r#"{"AWS": null}"#, r#""kms:*""#, ""));
    let e = r.of("EVAL001");
    assert_eq!(e.len(), 1, "{:#?}", r.findings);
    assert!(e[0].message.contains("written as null"), "{}", e[0].message);
    assert_eq!(r.count("KMS004"), 0);
}

fn grant(operations: &[&str], constraints: Option<Value>) -> checks::DatabricksGrant {
    checks::DatabricksGrant {
        grantee: Value::string("arn:aws:iam::414351767826:root"),
        to_databricks: Tri::Yes,
        operations: Value::list(operations.iter().map(|o| Value::string(*o)).collect()),
        constraints,
        loc: Location::new(FileId(0), 0..1),
        address: "aws_kms_grant.g".into(),
    }
}

#[test]
fn grants_to_databricks_count_for_missing_statement() {
    let sources = SourceMap::new();
    let admin = stmt(
        r#"{"AWS": "arn:aws:iam::111122223333:root"}"#,
        r#""kms:*""#,
        "",
    );
    let (doc, id) = parse(&sources, "p.json", &admin);
    let with = |grants: Vec<checks::DatabricksGrant>, use_cases: &[&str]| PolicyTarget {
        databricks_cmk: true,
        use_cases: Some(use_cases.iter().map(|u| u.to_string()).collect()),
        databricks_grants: grants,
        ..target(id)
    };
    let p = KmsParams::default();
    // The grant gives what managed services need.
    let t = with(
        vec![grant(&["Encrypt", "Decrypt"], None)],
        &["MANAGED_SERVICES"],
    );
    assert_eq!(run_value(&doc, &t, &p).count("KMS003"), 0);
    // Only Decrypt: Encrypt is missing, and the message says grants were looked at.
    let t = with(vec![grant(&["Decrypt"], None)], &["MANAGED_SERVICES"]);
    let r = run_value(&doc, &t, &p);
    let f = r.of("KMS003");
    assert_eq!(f.len(), 1);
    assert!(
        f[0].message.contains("nor an unconstrained grant gives")
            && f[0].message.contains("kms:Encrypt")
            && !f[0].message.contains("kms:Decrypt"),
        "{}",
        f[0].message
    );
    assert!(
        f[0].related
            .iter()
            .any(|r| r.label.contains("aws_kms_grant.g")),
        "{:?}",
        f[0].related
    );
    // Storage: the expansions of the documented wildcards count; the grants statement is a
    // statement of the policy, which a grant cannot stand for.
    let t = with(
        vec![grant(
            &[
                "Encrypt",
                "Decrypt",
                "ReEncryptFrom",
                "ReEncryptTo",
                "GenerateDataKey",
                "GenerateDataKeyWithoutPlaintext",
                "DescribeKey",
                "CreateGrant",
                "ListGrants",
                "RevokeGrant",
            ],
            None,
        )],
        &["STORAGE"],
    );
    let r = run_value(&doc, &t, &p);
    let f = r.of("KMS003");
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    assert!(
        f[0].message.contains("there is no grants statement")
            && !f[0].message.contains("documents as required"),
        "{}",
        f[0].message
    );
    // A constrained grant does not count.
    let constrained = Value::list(vec![Value::object(Default::default())]);
    let t = with(
        vec![grant(&["Encrypt", "Decrypt"], Some(constrained))],
        &["MANAGED_SERVICES"],
    );
    assert_eq!(run_value(&doc, &t, &p).count("KMS003"), 1);
    // Unknown operations: EVAL001, not a pass.
    let mut g = grant(&[], None);
    g.operations = Value::unknown(Unknown::new(Reason::Variable {
        name: "operations".into(),
    }))
    .with_origin(Origin::at(Location::new(FileId(0), 5..9)));
    let r = run_value(&doc, &with(vec![g], &["MANAGED_SERVICES"]), &p);
    assert_eq!(r.count("KMS003"), 0);
    let e = r.of("EVAL001");
    assert_eq!(e.len(), 1, "{:#?}", r.findings);
    assert!(
        e[0].message.contains("KMS003")
            && e[0].message.contains("`operations` of `aws_kms_grant.g`"),
        "{}",
        e[0].message
    );
    // A grant whose grantee is not known may be what gives Databricks the actions: EVAL001 on it.
    let mut g = grant(&["Encrypt", "Decrypt"], None);
    g.to_databricks = Tri::Unknown;
    g.grantee = Value::unknown(Unknown::new(Reason::Variable {
        name: "grantee".into(),
    }))
    .with_origin(Origin::at(Location::new(FileId(0), 11..15)));
    let r = run_value(&doc, &with(vec![g], &["MANAGED_SERVICES"]), &p);
    assert_eq!(r.count("KMS003"), 0);
    let e = r.of("EVAL001");
    assert_eq!(e.len(), 1, "{:#?}", r.findings);
    assert!(
        e[0].message
            .contains("`grantee_principal` of `aws_kms_grant.g`"),
        "{}",
        e[0].message
    );
}

#[test]
fn missing_grants_statement_is_the_organisations_rule() {
    let r = run_json(&stmt(
        DB,
        r#"["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]"#,
        "",
    ));
    let f = r.of("KMS003");
    assert_eq!(f.len(), 1);
    let m = &f[0].message;
    assert!(m.contains("require_grants_statement"), "{m}");
    assert!(
        m.contains("Databricks' documented key policy for workspace storage"),
        "{m}"
    );
    assert!(!m.contains("fail"), "{m}");
    assert!(f[0]
        .help
        .as_deref()
        .unwrap_or("")
        .contains("require_grants_statement = false"));
}
