//! CMK001–CMK003 and REG001–REG003: workspace wiring of customer-managed keys, and regions.
//! Also the links between key configurations, KMS keys and aliases used by the KMS checks.
//! These are rules for Databricks on AWS: resources that [`aws_rules_apply`] places on Azure or
//! GCP are not checked (no finding, no EVAL001).

use super::cloud::{aws_rules_apply, Cloud};
use super::{at_value, unresolved, Ctx};
use crate::eval::{ResourceInstance, Unit};
use crate::value::{Kind, PathResult, Value};

pub const KEYCONF: &str = "databricks_mws_customer_managed_keys";
pub const WORKSPACE: &str = "databricks_mws_workspaces";

/// The key configuration a workspace attribute points at.
pub fn keyconf_of<'a>(unit: &'a Unit, v: &Value) -> Option<&'a ResourceInstance> {
    let r = v.reference()?;
    unit.resolve(r).find(|i| i.rtype() == KEYCONF)
}

/// `aws_kms_key` instances a value refers to: directly, or through an `aws_kms_alias`
/// (`target_key_id`).
pub fn keys_of<'a>(unit: &'a Unit, v: &Value) -> Vec<&'a ResourceInstance> {
    match v.reference() {
        Some(r) => keys_of_ref(unit, r),
        None => vec![],
    }
}

/// The keys a value may stand for when it is not known which: each resource a conditional with
/// an unknown condition may pick (`cond ? aws_kms_key.a.arn : aws_kms_key.b.arn`).
pub fn maybe_keys_of<'a>(unit: &'a Unit, v: &Value) -> Vec<&'a ResourceInstance> {
    match v.first_unknown().map(|u| &u.reason) {
        Some(crate::value::Reason::Choice { refs, .. }) if v.reference().is_none() => {
            refs.iter().flat_map(|r| keys_of_ref(unit, r)).collect()
        }
        _ => vec![],
    }
}

/// The keys a reference to a key, a replica key or an alias names.
pub fn keys_of_ref<'a>(unit: &'a Unit, r: &crate::value::ResourceRef) -> Vec<&'a ResourceInstance> {
    let mut out = Vec::new();
    for i in unit.resolve(r) {
        match i.rtype() {
            "aws_kms_key" | "aws_kms_replica_key" => out.push(i),
            "aws_kms_alias" => {
                if let Some(t) = i.attr("target_key_id") {
                    if let Some(r2) = t.reference() {
                        out.extend(unit.resolve(r2).filter(|k| {
                            k.rtype() == "aws_kms_key" || k.rtype() == "aws_kms_replica_key"
                        }));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The region field of a KMS key ARN (`arn:aws:kms:<region>:...`), when known.
pub fn arn_region(v: &Value) -> Option<String> {
    let s = v.as_str()?;
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() >= 6 && parts[0] == "arn" && parts[2] == "kms" && !parts[3].is_empty() {
        Some(parts[3].to_string())
    } else {
        None
    }
}

fn use_cases(c: &ResourceInstance) -> Option<Vec<String>> {
    let v = c.attr("use_cases")?;
    if v.is_unknown() {
        // Nothing known: callers see that the value is not known.
        return Some(vec![]);
    }
    let items = v.as_list()?;
    Some(
        items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
    )
}

/// The region field of a key ARN as a value, when it is exactly one unknown part
/// (`"arn:aws:kms:${var.region}:..."`).
fn arn_region_value(arn: &Value) -> Option<Value> {
    let Kind::Partial(parts) = &arn.kind else {
        return None;
    };
    // Colons before the region field, counted in the literal parts before it.
    let mut colons = 0;
    for (i, p) in parts.iter().enumerate() {
        match p {
            crate::value::Part::Lit(s) => {
                colons += s.matches(':').count();
                if colons > 3 {
                    return None;
                }
            }
            crate::value::Part::Unknown(u) if colons == 3 => {
                // The whole field: the next literal must start with ':'.
                let closed = match parts.get(i + 1) {
                    Some(crate::value::Part::Lit(s)) => s.starts_with(':'),
                    _ => false,
                };
                let prev_ends = match i.checked_sub(1).and_then(|j| parts.get(j)) {
                    Some(crate::value::Part::Lit(s)) => s.ends_with(':'),
                    _ => false,
                };
                return (closed && prev_ends).then(|| Value::unknown((**u).clone()));
            }
            crate::value::Part::Unknown(_) => return None,
        }
    }
    None
}

/// A value that may turn out null: unknown, and not a reference to a resource attribute (which
/// exists once the resource does); `cond ? key.id : null` with an unknown condition is one.
fn may_be_null(v: &Value) -> bool {
    matches!(v.kind, Kind::Unknown(_)) && v.reference().is_none()
}

/// REG001 on one region attribute.
fn supported_region(
    ctx: &mut Ctx,
    r: &ResourceInstance,
    attr: &str,
    rv: &Value,
    supported: &[String],
) {
    if !ctx.on("REG001") {
        return;
    }
    match rv.as_str() {
        Some(reg) if !supported.is_empty() && !supported.iter().any(|x| x == reg) => {
            let near = super::nearest(reg, supported.iter().map(String::as_str));
            let mut f = at_value(
                "REG001",
                r,
                attr,
                Some(rv),
                format!(
                    "`{attr} = \"{reg}\"` of `{}` is not a region where Databricks runs workspaces",
                    r.full_address()
                ),
            );
            let other = super::cloud::cloud_of_region(reg).filter(|c| *c != Cloud::Aws);
            if let Some(c) = other {
                // An Azure or GCP name on a resource checked as AWS: say why it is AWS.
                let why = super::cloud::decide(ctx.unit, r).signal.describe();
                f = f.with_help(format!(
                    "`{reg}` is named like {} region, but `{}` is checked as Databricks on AWS ({why}); use an AWS region where Databricks runs{}",
                    if c == Cloud::Azure { "an Azure" } else { "a GCP" },
                    r.full_address(),
                    near.map(|n| format!(", e.g. `\"{n}\"`")).unwrap_or_default()
                ));
            } else if let Some(n) = near {
                f = f.with_help(format!("use a supported region, e.g. `\"{n}\"`"));
            }
            ctx.push(f);
        }
        Some(_) => {}
        None => {
            if !rv.is_known() {
                ctx.push(unresolved("REG001", r, attr, rv));
            }
        }
    }
}

pub fn check(ctx: &mut Ctx) {
    let unit = ctx.unit;
    let supported = ctx.param_strings("REG001", "supported_regions");
    let serverless_unsupported = ctx.param_strings("REG003", "serverless_unsupported_regions");
    let excluded = ctx.param_strings("REG002", "cmk_excluded_regions");

    // Regions of private access settings and network connectivity configs (REG001).
    for rtype in [
        "databricks_mws_private_access_settings",
        "databricks_mws_network_connectivity_config",
    ] {
        for r in unit.of_type(rtype).filter(|r| aws_rules_apply(unit, r)) {
            if let Some(rv) = r.attr("region") {
                supported_region(ctx, r, "region", rv, &supported);
            }
        }
    }

    // Key configurations: use_cases present (CMK002), key ARN region supported (REG001).
    for c in unit.of_type(KEYCONF).filter(|c| aws_rules_apply(unit, c)) {
        if c.attr("use_cases").is_none() && ctx.on("CMK002") {
            ctx.push(
                at_value("CMK002", c, "use_cases", None, format!(
                    "key configuration `{}` has no `use_cases`: Databricks cannot tell whether it encrypts workspace storage or managed services",
                    c.full_address()
                ))
                .with_help("set `use_cases = [\"STORAGE\"]`, `[\"MANAGED_SERVICES\"]` or both"),
            );
        }
        if let PathResult::Found(arn) = c.body.path(&["aws_key_info", "key_arn"]) {
            if let Some(region) = arn_region(arn) {
                if !supported.is_empty() && !supported.contains(&region) && ctx.on("REG001") {
                    ctx.push(
                        at_value("REG001", c, "aws_key_info.key_arn", Some(arn), format!(
                            "the key ARN of `{}` is in region `{region}`, where Databricks does not run workspaces",
                            c.full_address()
                        ))
                        .with_help("create the key in the workspace's (supported) region"),
                    );
                }
            }
        }
    }

    for w in unit.of_type(WORKSPACE).filter(|w| aws_rules_apply(unit, w)) {
        let region_v = w.attr("aws_region");
        let region = region_v.and_then(|v| v.as_str()).map(str::to_string);
        // REG001
        if let Some(rv) = region_v {
            supported_region(ctx, w, "aws_region", rv, &supported);
        }
        let compute_mode = w.attr("compute_mode").filter(|v| !v.is_null());
        let serverless = compute_mode
            .and_then(|v| v.as_str())
            .map(|s| s.eq_ignore_ascii_case("SERVERLESS"))
            .unwrap_or(false);
        // Whether the workspace is serverless is not known.
        let mode_unknown = compute_mode.filter(|v| !v.is_known());
        // REG003
        if ctx.on("REG003") && !serverless_unsupported.is_empty() {
            match (&region, region_v) {
                // A serverless workspace in an unknown region, or a workspace of unknown compute
                // mode in a region without serverless: undecided.
                (None, Some(rv)) if serverless && !rv.is_known() => {
                    ctx.push(unresolved("REG003", w, "aws_region", rv))
                }
                (Some(r), _) if serverless_unsupported.contains(r) => {
                    if let Some(m) = mode_unknown {
                        ctx.push(unresolved("REG003", w, "compute_mode", m));
                    }
                }
                _ => {}
            }
        }
        if serverless {
            if let Some(r) = &region {
                if serverless_unsupported.contains(r) && ctx.on("REG003") {
                    ctx.push(
                        at_value("REG003", w, "compute_mode", w.attr("compute_mode"), format!(
                            "`compute_mode = \"SERVERLESS\"` in `{r}`, a region without serverless compute; the workspace cannot be created"
                        ))
                        .with_related(region_v.and_then(|v| v.loc()).unwrap_or(w.loc), "the region")
                        .with_help("use classic compute (remove `compute_mode`) or a region with serverless"),
                    );
                }
            }
        }
        let storage = w
            .attr("storage_customer_managed_key_id")
            .filter(|v| !v.is_null());
        let managed = w
            .attr("managed_services_customer_managed_key_id")
            .filter(|v| !v.is_null())
            .or_else(|| w.attr("customer_managed_key_id").filter(|v| !v.is_null()));
        // CMK003
        if ctx.on("CMK003") {
            // `cond ? key : null` with an unknown condition: the key may be missing.
            for (attr, v) in [
                ("managed_services_customer_managed_key_id", managed),
                ("storage_customer_managed_key_id", storage),
            ] {
                if let Some(v) = v.filter(|v| may_be_null(v)) {
                    if attr.starts_with("managed") || !serverless {
                        ctx.push(unresolved("CMK003", w, attr, v));
                    }
                }
            }
            if storage.is_none() {
                if let Some(m) = mode_unknown {
                    ctx.push(unresolved("CMK003", w, "compute_mode", m));
                }
            }
            if managed.is_none() {
                ctx.push(
                    at_value("CMK003", w, "managed_services_customer_managed_key_id", None, format!(
                        "workspace `{}` has no `managed_services_customer_managed_key_id`: notebooks, secrets and queries in the control plane are encrypted with a Databricks-managed key",
                        w.full_address()
                    ))
                    .with_help("create a `databricks_mws_customer_managed_keys` with `use_cases = [\"MANAGED_SERVICES\"]` and set `managed_services_customer_managed_key_id` to its `customer_managed_key_id`"),
                );
            }
            if storage.is_none() && !serverless && mode_unknown.is_none() {
                ctx.push(
                    at_value("CMK003", w, "storage_customer_managed_key_id", None, format!(
                        "workspace `{}` has no `storage_customer_managed_key_id`: its root storage and cluster volumes are not encrypted with your key",
                        w.full_address()
                    ))
                    .with_help("create a `databricks_mws_customer_managed_keys` with `use_cases = [\"STORAGE\"]` and set `storage_customer_managed_key_id` to its `customer_managed_key_id`"),
                );
            }
        }
        // REG002: undecided when the region, or whether a key is used, is not known.
        if ctx.on("REG002") && !excluded.is_empty() {
            let uses_key = storage.is_some() || managed.is_some();
            let certain_key = [storage, managed]
                .iter()
                .any(|v| v.map(|v| !may_be_null(v)).unwrap_or(false));
            match (&region, region_v) {
                (None, Some(rv)) if uses_key && !rv.is_known() => {
                    ctx.push(unresolved("REG002", w, "aws_region", rv))
                }
                (Some(r), _) if excluded.contains(r) && uses_key && !certain_key => {
                    let (attr, v) = match storage {
                        Some(v) => ("storage_customer_managed_key_id", v),
                        None => (
                            "managed_services_customer_managed_key_id",
                            managed.expect("uses a key"),
                        ),
                    };
                    ctx.push(unresolved("REG002", w, attr, v));
                }
                _ => {}
            }
        }
        if let Some(r) = &region.as_ref().filter(|_| {
            [storage, managed]
                .iter()
                .any(|v| v.map(|v| !may_be_null(v)).unwrap_or(false))
        }) {
            if excluded.contains(r) && (storage.is_some() || managed.is_some()) && ctx.on("REG002")
            {
                let v = storage.or(managed);
                ctx.push(
                    at_value("REG002", w, "aws_region", region_v, format!(
                        "workspace `{}` in `{r}` uses a customer-managed key, and `{r}` is listed in REG002's `cmk_excluded_regions` ({})",
                        w.full_address(),
                        excluded.join(", ")
                    ))
                    .with_related(v.and_then(|v| v.loc()).unwrap_or(w.loc), "the key configuration is set here")
                    .with_help("deploy the workspace in another region, or change `cmk_excluded_regions` if the organisation's policy allows it"),
                );
            }
        }
        // CMK002 and CMK001 through the key configurations.
        for (attr, needed, v) in [
            ("storage_customer_managed_key_id", "STORAGE", storage),
            (
                "managed_services_customer_managed_key_id",
                "MANAGED_SERVICES",
                managed,
            ),
        ] {
            let Some(v) = v else { continue };
            let Some(c) = keyconf_of(unit, v) else {
                if !v.is_known() && v.reference().is_none() {
                    for code in ["CMK001", "CMK002"] {
                        if ctx.on(code) {
                            ctx.push(unresolved(code, w, attr, v));
                        }
                    }
                }
                continue;
            };
            if ctx.on("CMK002") {
                if let Some(uc) = use_cases(c) {
                    let ucv = c.attr("use_cases");
                    let has = uc.iter().any(|u| u == needed);
                    if !has && ucv.is_some_and(|x| !x.is_known()) {
                        // An unknown element may be the one needed.
                        if let Some(x) = ucv {
                            ctx.push(unresolved("CMK002", c, "use_cases", x));
                        }
                    } else if !has {
                        ctx.push(
                            at_value("CMK002", w, attr, Some(v), format!(
                                "`{attr}` points at `{}`, whose use_cases {:?} do not include {needed}: Databricks rejects the workspace",
                                c.full_address(),
                                uc
                            ))
                            .with_related(ucv.and_then(|x| x.loc()).unwrap_or(c.loc), "use_cases of the key configuration")
                            .with_help(format!("add \"{needed}\" to `use_cases` of `{}`, or point `{attr}` at a key configuration for {needed}", c.full_address())),
                        );
                    }
                }
            }
            if ctx.on("CMK001") {
                let Some(rv) = region_v else { continue };
                let arn = match c.body.path(&["aws_key_info", "key_arn"]) {
                    PathResult::Found(a) | PathResult::Unknown(a) => a,
                    _ => continue,
                };
                match (&region, arn_region(arn)) {
                    (Some(wr), Some(kr)) if *wr != kr => {
                        ctx.push(
                                at_value("CMK001", c, "aws_key_info.key_arn", Some(arn), format!(
                                    "the key of `{}` is in `{kr}`, but workspace `{}` is in `{wr}`: the key must be in the workspace's region",
                                    c.full_address(),
                                    w.full_address()
                                ))
                                .with_related(rv.loc().unwrap_or(w.loc), "the workspace's region")
                                .with_help(format!("use a key created in {wr}")),
                            );
                    }
                    (Some(_), Some(_)) => {}
                    (Some(wr), None) if !matches!(arn.kind, Kind::String(_)) => {
                        // The key ARN is known only after apply (aws_kms_key.x.arn): the key is
                        // created in its AWS provider's region.
                        let keys = keys_of(unit, arn);
                        let pregion = keys.first().and_then(|k| unit.aws_region_of(k));
                        match pregion.map(|p| (p, p.as_str())) {
                            Some((p, Some(kr))) => {
                                if kr != wr {
                                    let mut f = at_value("CMK001", c, "aws_key_info.key_arn", Some(arn), format!(
                                        "the key of `{}` ({}) is created in `{kr}` (its AWS provider's region), but workspace `{}` is in `{wr}`: the key must be in the workspace's region",
                                        c.full_address(),
                                        keys[0].full_address(),
                                        w.full_address()
                                    ))
                                    .with_related(rv.loc().unwrap_or(w.loc), "the workspace's region")
                                    .with_help(format!("create the key with a provider for {wr}"));
                                    if let Some(l) = p.loc() {
                                        f = f.with_related(l, "the provider's region");
                                    }
                                    ctx.push(f);
                                }
                            }
                            Some((p, None)) => {
                                ctx.push(unresolved("CMK001", c, "aws_key_info.key_arn", p))
                            }
                            None => ctx.push(unresolved("CMK001", c, "aws_key_info.key_arn", arn)),
                        }
                    }
                    (None, _) if !rv.is_known() => {
                        // The same unknown on both sides (`var.region` for the workspace and for
                        // the key's ARN or its provider) is the same region, whatever it is.
                        let key_region = arn_region_value(arn).or_else(|| {
                            keys_of(unit, arn)
                                .first()
                                .and_then(|k| unit.aws_region_of(k))
                                .cloned()
                        });
                        if !key_region
                            .map(|k| crate::value::same_unknown(rv, &k))
                            .unwrap_or(false)
                        {
                            ctx.push(unresolved("CMK001", w, "aws_region", rv))
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}
