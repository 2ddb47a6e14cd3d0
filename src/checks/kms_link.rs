//! Key policies in context: which `aws_kms_key` is a Databricks CMK (followed from
//! `databricks_mws_customer_managed_keys.aws_key_info.key_arn` through aliases and modules, or
//! named by an `aws_kms_grant` to the Databricks principal: [`super::kms_grants`]), which policy
//! applies to it (`policy`, or an `aws_kms_key_policy`), its use cases, and the resource checks
//! KMS009/KMS010. The policy rules themselves are in [`crate::kms`].

use super::cloud::aws_rules_apply;
use super::cmk::{keys_of, maybe_keys_of, KEYCONF};
use super::kms_grants;
use super::{at_value, unresolved, Ctx};
use crate::config::Config;
use crate::eval::{ResourceInstance, Unit};
use crate::finding::{Change, Finding, Fix};
use crate::kms::checks::{check_policy, names_databricks_with, PolicyTarget};
use crate::kms::{KmsData, KmsParams, Tri};
use crate::registry::Registry;
use crate::source::{FileId, Location};
use crate::value::{Kind, PathResult, Value};
use std::collections::BTreeMap;

pub const IMPLEMENTED: &[&str] = &[
    "KMS001", "KMS002", "KMS003", "KMS004", "KMS005", "KMS006", "KMS007", "KMS008", "KMS009",
    "KMS010", "KMS011",
];

/// The KMS tables, compiled once per process: they come from the built-in rule pack (user rule
/// folders cannot replace built-in tables), so every run sees the same data.
fn kms_data(registry: &Registry) -> Option<&'static KmsData> {
    static DATA: std::sync::OnceLock<Option<KmsData>> = std::sync::OnceLock::new();
    DATA.get_or_init(|| KmsData::from_tables(&|n| registry.table(n).cloned()).ok())
        .as_ref()
}

fn kms_params(params: &crate::checks::ParamFn<'_>) -> KmsParams {
    let d = KmsParams::default();
    KmsParams {
        max_edit_distance: params("KMS001", "max_edit_distance")
            .and_then(|v| v.as_u64())
            .map(|v| v as usize)
            .unwrap_or(d.max_edit_distance),
        require_grants_statement: params("KMS003", "require_grants_statement")
            .and_then(|v| v.as_bool())
            .unwrap_or(d.require_grants_statement),
        administrator_actions: params("KMS004", "administrator_actions").and_then(|v| {
            v.as_array().map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
        }),
    }
}

/// Key identity: address with instance key.
fn key_id(k: &ResourceInstance) -> String {
    k.full_address()
}

pub fn check_unit(ctx: &mut Ctx, registry: &Registry) {
    if !IMPLEMENTED.iter().any(|c| ctx.on(c)) {
        return;
    }
    let Some(data) = kms_data(registry) else {
        return;
    };
    let params = kms_params(ctx.params);
    let unit = ctx.unit;
    // Keys used by Databricks key configurations, with their use cases.
    let mut cmk: BTreeMap<String, (Vec<String>, Vec<Location>)> = BTreeMap::new();
    // Keys a key configuration may use, when its `key_arn` is a conditional whose condition is
    // unknown: the configuration, its `key_arn` and its use cases.
    let mut chosen: BTreeMap<String, Vec<Chosen>> = BTreeMap::new();
    for c in unit.of_type(KEYCONF) {
        if !aws_rules_apply(unit, c) {
            continue;
        }
        let arn = match c.body.path(&["aws_key_info", "key_arn"]) {
            PathResult::Found(a) | PathResult::Unknown(a) => a,
            PathResult::Absent { .. } => continue,
        };
        let ucs: Vec<String> = c
            .attr("use_cases")
            .and_then(|v| v.as_list())
            .map(|l| {
                l.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        for k in maybe_keys_of(unit, arn) {
            chosen
                .entry(key_id(k))
                .or_default()
                .push((c, arn, ucs.clone()));
        }
        for k in keys_of(unit, arn) {
            let e = cmk.entry(key_id(k)).or_default();
            for u in &ucs {
                if !e.0.contains(u) {
                    e.0.push(u.clone());
                }
            }
            e.1.push(c.loc);
        }
    }
    // Separate key policies.
    let mut separate: BTreeMap<String, &ResourceInstance> = BTreeMap::new();
    let mut orphan_policies: Vec<&ResourceInstance> = Vec::new();
    for p in unit.of_type("aws_kms_key_policy") {
        let keys = p
            .attr("key_id")
            .map(|v| keys_of(unit, v))
            .unwrap_or_default();
        if keys.is_empty() {
            orphan_policies.push(p);
        }
        for k in keys {
            separate.insert(key_id(k), p);
        }
    }
    // Keys granted to the Databricks principal (or perhaps: the grantee is not known).
    let grants = kms_grants::links(unit, data, &params);
    if ctx.on("KMS001") {
        ctx.out.extend(kms_grants::near_misses(unit, data, &params));
    }
    let mut out = Vec::new();
    arn_placeholders(ctx, data, &mut out);
    for k in unit.of_type("aws_kms_key") {
        let id = key_id(k);
        let linked = cmk.get(&id);
        let granted = grants.granted(&id);
        let (holder, attr_v) = match separate.get(&id) {
            Some(p) => (*p, p.attr("policy")),
            None => (k, k.attr("policy")),
        };
        let attr_v = attr_v.filter(|v| !v.is_null());
        let doc = attr_v.map(|v| decode(ctx, holder, v, &mut out));
        if let Some(v) = attr_v {
            policy_files(
                unit,
                v,
                doc.as_ref().and_then(|d| d.as_ref()).map(|(d, _)| d),
                &mut ctx.key_policy_files,
            );
        }
        let names = doc
            .as_ref()
            .and_then(|d| d.as_ref())
            .map(|(d, _)| names_databricks_with(d, data, &params))
            .unwrap_or(false);
        let is_cmk = linked.is_some() || names || granted;
        // Grants whose grantee is not known: if the key is a Databricks CMK only through one of
        // them, the CMK-only rules that would report it if it were cannot decide.
        let maybe: Vec<kms_grants::MaybeGrant> = if is_cmk {
            vec![]
        } else {
            grants.maybe(&id).collect()
        };
        let mut would_report: Vec<String> = Vec::new();
        let choices: &[Chosen] = if is_cmk {
            &[]
        } else {
            chosen.get(&id).map(Vec::as_slice).unwrap_or(&[])
        };
        if let Some(Some((d, double))) = &doc {
            let mut target = PolicyTarget::new(attr_v.and_then(|v| v.loc()).unwrap_or(holder.loc));
            target.databricks_cmk = linked.is_some() || granted;
            target.use_cases = linked.map(|l| l.0.clone()).filter(|u| !u.is_empty());
            target.address = Some(holder.full_address());
            target.double_encoded = *double;
            target.databricks_grants = grants.of(&id).map(|(_, g)| g.clone()).collect();
            let mut fs = Vec::new();
            check_policy(d, &target, data, &params, ctx.enabled, &mut fs);
            out.extend(fs.into_iter().map(|f| decorate(f, holder)));
            // Whether KMS003 would report the policy checked as `t` (the key taken for a
            // Databricks CMK it may be).
            let kms003_fails = |t: &PolicyTarget| {
                let enabled = |c: &str| c == "KMS003" || c == "EVAL001";
                let mut fs = Vec::new();
                check_policy(d, t, data, &params, &enabled, &mut fs);
                !fs.is_empty()
            };
            // As if the conditional `key_arn` of a key configuration picked this key.
            let chosen_fails = ctx.on("KMS003")
                && choices.iter().any(|(_, _, ucs)| {
                    let mut t = target.clone();
                    t.databricks_cmk = true;
                    t.use_cases = Some(ucs.clone()).filter(|u| !u.is_empty());
                    kms003_fails(&t)
                });
            if !maybe.is_empty() && ctx.on("KMS003") {
                // As if one unknown grantee were the Databricks principal (one at a time: a grant
                // only adds permissions, so if any could leave KMS003 failing, it cannot decide).
                target.databricks_cmk = true;
                let all = std::mem::take(&mut target.databricks_grants);
                let undecided = all.iter().any(|g| {
                    let mut g = g.clone();
                    g.to_databricks = Tri::Yes;
                    target.databricks_grants = vec![g];
                    kms003_fails(&target)
                });
                if undecided {
                    would_report.push("KMS003".to_string());
                }
            }
            if chosen_fails && !would_report.iter().any(|c| c == "KMS003") {
                would_report.push("KMS003".to_string());
            }
        } else if !choices.is_empty() && attr_v.is_none() && ctx.on("KMS003") {
            // No policy: if the conditional picks this key, Databricks cannot use it.
            would_report.push("KMS003".to_string());
        }
        if linked.is_some()
            && attr_v.is_none()
            && ctx.on("KMS003")
            && grants.of(&id).next().is_some()
        {
            // No policy, but grants on the key: the default policy gives Databricks nothing, and
            // what the grants give decides (an empty policy checked with them).
            let mut target = PolicyTarget::new(k.loc);
            target.databricks_cmk = true;
            target.use_cases = linked.map(|l| l.0.clone()).filter(|u| !u.is_empty());
            target.address = Some(k.full_address());
            target.databricks_grants = grants.of(&id).map(|(_, g)| g.clone()).collect();
            let empty = Value::object(
                [("Statement".to_string(), Value::list(vec![]))]
                    .into_iter()
                    .collect(),
            );
            let enabled = |c: &str| (c == "KMS003" || c == "EVAL001") && (ctx.enabled)(c);
            let mut fs = Vec::new();
            check_policy(&empty, &target, data, &params, &enabled, &mut fs);
            out.extend(fs.into_iter().map(|f| decorate(f.with_path("policy"), k)));
        } else if linked.is_some() && attr_v.is_none() && ctx.on("KMS003") {
            let mut f = at_value("KMS003", k, "policy", None, format!(
                "`{}` is used as a Databricks customer-managed key but has no key policy: the default policy gives access only to the account's root, so Databricks cannot use the key",
                k.full_address()
            ))
            .with_help("give the key a `policy` (or an `aws_kms_key_policy`) with the Databricks statements for its use cases");
            for l in &linked.map(|l| l.1.clone()).unwrap_or_default() {
                f = f.with_related(*l, "used by this key configuration");
            }
            out.push(f);
        }
        if is_cmk {
            out.extend(resource_checks(ctx, k).into_iter().map(|(_, f)| f));
        } else if !maybe.is_empty() || !choices.is_empty() {
            // A finding, or an EVAL001 on the key's own attribute: either way undecided.
            for (code, _) in resource_checks(ctx, k) {
                if !would_report.iter().any(|c| *c == code) {
                    would_report.push(code.to_string());
                }
            }
            if ctx.on("EVAL001") && !would_report.is_empty() {
                would_report.sort();
                for g in &maybe {
                    out.push(kms_grants::undecided(k, *g, &would_report));
                }
                for (c, arn, _) in choices {
                    out.push(undecided_choice(k, c, arn, &would_report));
                }
            }
        }
    }
    for p in orphan_policies {
        let Some(v) = p.attr("policy").filter(|v| !v.is_null()) else {
            continue;
        };
        let doc = decode(ctx, p, v, &mut out);
        policy_files(
            unit,
            v,
            doc.as_ref().map(|(d, _)| d),
            &mut ctx.key_policy_files,
        );
        if let Some((d, double)) = doc {
            let mut target = PolicyTarget::new(v.loc().unwrap_or(p.loc));
            target.address = Some(p.full_address());
            target.double_encoded = double;
            let mut fs = Vec::new();
            check_policy(&d, &target, data, &params, ctx.enabled, &mut fs);
            out.extend(fs.into_iter().map(|f| decorate(f, p)));
        }
    }
    ctx.out.extend(out);
}

/// A key configuration whose `key_arn` may pick a key, with its use cases.
type Chosen<'a> = (&'a ResourceInstance, &'a Value, Vec<String>);

/// EVAL001 for a key that is a Databricks CMK only if the conditional `key_arn` of key
/// configuration `c` picks it, when `codes` (rules that apply only to Databricks CMKs) would
/// report it if it were.
fn undecided_choice(
    k: &ResourceInstance,
    c: &ResourceInstance,
    arn: &Value,
    codes: &[String],
) -> Finding {
    let unknown = arn.first_unknown();
    let why = unknown
        .map(|u| u.reason.to_string())
        .unwrap_or_else(|| "it is not known statically".to_string());
    kms_grants::possible_cmk(
        k,
        kms_grants::PossibleCmk {
            via: c,
            value: arn,
            loc: unknown.and_then(|u| u.loc).or(arn.loc()).unwrap_or(c.loc),
            path: "aws_key_info.key_arn",
            condition: format!(
                "if `aws_key_info.key_arn` of `{}` picks it: {why}",
                c.full_address()
            ),
            subject: format!(
                "choice:{}\u{1f}{}",
                c.full_address(),
                unknown.map(|u| u.reason.identity()).unwrap_or_default()
            ),
            help: "give the condition's inputs a value (tfvars, --var, --var-file, TF_VAR_) so it can decide which key is used",
        },
        codes,
    )
}

/// The files a key policy was read from: the segments of its text (`file()`, `templatefile()`)
/// and the locations of the decoded document's elements (which also covers
/// `jsonencode(jsondecode(file(...)))`).
fn policy_files(unit: &Unit, v: &Value, doc: Option<&Value>, out: &mut Vec<FileId>) {
    if let Some((text, _)) = crate::eval::placeholder_text(v) {
        if let Some(map) = unit.text_maps.get(&text) {
            out.extend(map.segments.iter().map(|s| s.loc.file));
        }
    }
    fn walk(v: &Value, out: &mut Vec<FileId>) {
        if let Some(l) = v.loc() {
            if out.last() != Some(&l.file) {
                out.push(l.file);
            }
        }
        match &v.kind {
            Kind::List(items) => items.iter().for_each(|i| walk(i, out)),
            Kind::Object(m) => m.values().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    if let Some(d) = doc {
        walk(d, out);
    }
}

/// Adds the resource address and module call chain to a policy finding.
fn decorate(mut f: Finding, holder: &ResourceInstance) -> Finding {
    if f.address.is_none() {
        f.address = Some(holder.full_address());
    }
    if f.anchor.is_none() && f.loc != holder.loc {
        f.anchor = Some(holder.loc);
    }
    for h in &holder.call_chain {
        f = f.with_related(h.loc, h.label.clone());
    }
    f
}

/// Decodes a policy attribute into a policy value: `(doc, double_encoded)`. A string that is not
/// JSON is KMS008; an unknown value is returned as is (the checks report EVAL001).
fn decode(
    ctx: &Ctx,
    holder: &ResourceInstance,
    v: &Value,
    out: &mut Vec<Finding>,
) -> Option<(Value, bool)> {
    if matches!(v.kind, Kind::Unknown(_)) {
        return Some((v.clone(), false));
    }
    match ctx.unit.decode_json(v) {
        Ok(doc) => {
            if matches!(doc.kind, Kind::String(_) | Kind::Partial(_)) {
                // jsonencode(data.x.json): a JSON string holding JSON.
                let inner = ctx.unit.decode_json(&doc).unwrap_or(doc.clone());
                let inner = if matches!(inner.kind, Kind::Object(_)) {
                    inner
                } else {
                    doc
                };
                return Some((inner, true));
            }
            Some((doc, false))
        }
        Err(e) => {
            if ctx.on("KMS008") {
                out.push(
                    at_value("KMS008", holder, "policy", Some(v), format!(
                        "the key policy of `{}` is not valid JSON: {}",
                        holder.full_address(),
                        e.message
                    ))
                    .with_help("fix the JSON (or write the policy with jsonencode() or an aws_iam_policy_document, which cannot produce invalid JSON)"),
                );
                if let Some(l) = e.loc {
                    if let Some(last) = out.last_mut() {
                        last.loc = l;
                    }
                }
            }
            None
        }
    }
}

/// KMS009 and KMS010 on a key that is a Databricks CMK: each finding (or EVAL001) with the rule
/// it is about.
fn resource_checks(ctx: &Ctx, k: &ResourceInstance) -> Vec<(&'static str, Finding)> {
    let mut out = Vec::new();
    if ctx.on("KMS009") {
        match k.attr("enable_key_rotation") {
            Some(v) if v.as_bool() == Some(true) || v.as_str() == Some("true") => {}
            Some(v) if !v.is_known() => out.push((
                "KMS009",
                unresolved("KMS009", k, "enable_key_rotation", v),
            )),
            Some(v) => out.push((
                "KMS009",
                at_value("KMS009", k, "enable_key_rotation", Some(v), format!(
                    "`{}` is a Databricks customer-managed key with automatic rotation turned off",
                    k.full_address()
                ))
                .with_help("set `enable_key_rotation = true`")
                .with_fix_at(v.loc(), |at| {
                    let fix = Fix::safe("set `enable_key_rotation = true`");
                    if let Some(from) = v.as_str() {
                        fix.change(Change::SetString {
                            at,
                            from: from.to_string(),
                            value: "true".into(),
                        })
                    } else {
                        fix.change(Change::ReplaceLiteral {
                            at,
                            expect: "false".into(),
                            text: "true".into(),
                        })
                    }
                }),
            )),
            None => out.push((
                "KMS009",
                at_value("KMS009", k, "enable_key_rotation", None, format!(
                    "`{}` is a Databricks customer-managed key without `enable_key_rotation = true`: AWS does not rotate its key material (rotation is off by default)",
                    k.full_address()
                ))
                .with_help("add `enable_key_rotation = true`")
                .with_fix(Fix::safe("add `enable_key_rotation = true`").change(Change::AddAttribute {
                    at: k.block_loc,
                    key: "enable_key_rotation".into(),
                    value: crate::edit::Element::Raw("true".into()),
                })),
            )),
        }
    }
    if ctx.on("KMS010") {
        let mut wrong = Vec::new();
        for (attr, want) in [
            ("customer_master_key_spec", "SYMMETRIC_DEFAULT"),
            ("key_spec", "SYMMETRIC_DEFAULT"),
            ("key_usage", "ENCRYPT_DECRYPT"),
        ] {
            let Some(v) = k.attr(attr).filter(|v| !v.is_null()) else {
                continue;
            };
            match v.as_str() {
                Some(s) if s == want => {}
                Some(s) => wrong.push((attr, want, s.to_string(), v)),
                None => {
                    if !v.is_known() {
                        out.push(("KMS010", unresolved("KMS010", k, attr, v)));
                    }
                }
            }
        }
        if let Some((attr, _, _, v)) = wrong.first() {
            let what = wrong
                .iter()
                .map(|(a, _, s, _)| format!("`{a} = \"{s}\"`"))
                .collect::<Vec<_>>()
                .join(" and ");
            let fix = wrong
                .iter()
                .map(|(a, w, _, _)| format!("`{a} = \"{w}\"`"))
                .collect::<Vec<_>>()
                .join(" and ");
            let mut f = at_value("KMS010", k, attr, Some(v), format!(
                "`{}` is a Databricks customer-managed key with {what}: Databricks needs a symmetric encryption key",
                k.full_address()
            ))
            .with_help(format!("set {fix}, or remove them (they are the defaults)"));
            for (_, _, _, v2) in wrong.iter().skip(1) {
                if let Some(l) = v2.loc() {
                    f = f.with_related(l, "also here");
                }
            }
            out.push(("KMS010", f));
        }
    }
    out
}

/// KMS011 on ARNs and aliases of key configurations (placeholders from the documentation).
fn arn_placeholders(ctx: &Ctx, data: &KmsData, out: &mut Vec<Finding>) {
    if !ctx.on("KMS011") {
        return;
    }
    for c in ctx.unit.of_type(KEYCONF) {
        if !aws_rules_apply(ctx.unit, c) {
            continue;
        }
        for attr in ["key_arn", "key_alias"] {
            let PathResult::Found(v) = c.body.path(&["aws_key_info", attr]) else {
                continue;
            };
            let text = match v.as_str() {
                Some(s) => s.to_string(),
                None => v.known_fragments().map(|f| f.join("")).unwrap_or_default(),
            };
            if let Some((name, _)) = data.placeholders.iter().find(|(_, re)| re.is_match(&text)) {
                out.push(
                    at_value("KMS011", c, &format!("aws_key_info.{attr}"), Some(v), format!(
                        "`aws_key_info.{attr}` of `{}` still contains the documentation placeholder {name}: `{text}`",
                        c.full_address()
                    ))
                    .with_help("replace the placeholder with the real value (usually a reference such as `aws_kms_key.this.arn`)"),
                );
            }
        }
    }
}

/// Checks a standalone key-policy file (one that [`super::json_file::classify`] says is a key
/// policy); `rel` is its path as `[kms] databricks_key_policies` globs see it (relative to the
/// configuration's directory).
pub fn check_standalone(
    id: FileId,
    doc: &Value,
    rel: &str,
    registry: &Registry,
    config: &Config,
    params: &crate::checks::ParamFn<'_>,
    enabled: &dyn Fn(&str) -> bool,
) -> Vec<Finding> {
    let Some(data) = kms_data(registry) else {
        return vec![];
    };
    let params = kms_params(params);
    let mut target = PolicyTarget::new(Location::new(id, 0..0));
    target.databricks_cmk = config.kms.is_databricks_key_policy(rel);
    if target.databricks_cmk && !config.kms.use_cases.is_empty() {
        target.use_cases = Some(config.kms.use_cases.clone());
    }
    let mut out = Vec::new();
    check_policy(doc, &target, data, &params, enabled, &mut out);
    out
}
