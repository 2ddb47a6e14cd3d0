//! NET001 and NET003–NET009: Databricks serverless egress control. NET002 is a declarative
//! rule (`[assert]` in rules/net/NET002.toml), run by [`super::assert`].

use super::cloud::aws_rules_apply;
use super::{at_value, unresolved, Ctx};
use crate::edit::Element;
use crate::eval::ResourceInstance;
use crate::finding::{Change, Finding, Fix, Severity};
use crate::value::{Kind, PathResult, Value};

pub(crate) const POLICY: &str = "databricks_account_network_policy";
pub(crate) const OPTION: &str = "databricks_workspace_network_option";
pub(crate) const WORKSPACE: &str = "databricks_mws_workspaces";
/// Azure workspaces are created by the azurerm provider; NET007 looks at them only with
/// `[rules.NET007] all_clouds = true`.
pub const AZURE_WORKSPACE: &str = "azurerm_databricks_workspace";

pub fn check(ctx: &mut Ctx) {
    let unit = ctx.unit;
    let policies: Vec<&ResourceInstance> = unit.of_type(POLICY).collect();
    for p in &policies {
        network_access(ctx, p);
        destinations(ctx, p);
        policy_id(ctx, p, "network_policy_id", &[]);
    }
    for o in unit.of_type(OPTION) {
        policy_id(ctx, o, "network_policy_id", &policies);
    }
    attachments(ctx, &policies);
}

fn network_access(ctx: &mut Ctx, p: &ResourceInstance) {
    let na = p.body.path(&["egress", "network_access"]);
    let na = match na {
        PathResult::Found(v) => v,
        PathResult::Unknown(v) => {
            for code in ["NET001", "NET005"] {
                if ctx.on(code) {
                    ctx.push(unresolved(code, p, "egress.network_access", v));
                }
            }
            return;
        }
        // No egress or network_access: NET002 (declared as an [assert] in rules/net/NET002.toml).
        PathResult::Absent { .. } => return,
    };
    // NET001 / NET005: enforcement.
    let em_path = "egress.network_access.policy_enforcement.enforcement_mode";
    match na.path(&["policy_enforcement"]) {
        PathResult::Absent { .. } => {
            if ctx.on("NET005") {
                ctx.push(
                    at_value("NET005", p, "egress.network_access.policy_enforcement", Some(na), format!(
                        "`{}` omits `policy_enforcement`: the mode defaults to ENFORCED, but the provider then shows a perpetual diff and reviewers cannot see the intent",
                        p.full_address()
                    ))
                    .with_help("add `policy_enforcement = { enforcement_mode = \"ENFORCED\" }` to `network_access`")
                    .with_fix_at(na.loc(), |at| Fix::safe("write `policy_enforcement = { enforcement_mode = \"ENFORCED\" }` (the default, made explicit)").change(Change::AddAttribute {
                        at,
                        key: "policy_enforcement".into(),
                        value: Element::object_of_strings(&[("enforcement_mode", "ENFORCED")]),
                    })),
                );
            }
        }
        PathResult::Unknown(v) => {
            for code in ["NET001", "NET005"] {
                if ctx.on(code) {
                    ctx.push(unresolved(
                        code,
                        p,
                        "egress.network_access.policy_enforcement",
                        v,
                    ));
                }
            }
        }
        PathResult::Found(pe) => match pe.path(&["enforcement_mode"]) {
            PathResult::Absent { .. } => {
                if ctx.on("NET005") {
                    ctx.push(
                        at_value("NET005", p, em_path, Some(pe), format!(
                            "`{}`: `policy_enforcement` has no `enforcement_mode`; it defaults to ENFORCED but the provider shows a perpetual diff and the intent is invisible",
                            p.full_address()
                        ))
                        .with_help("write `enforcement_mode = \"ENFORCED\"` explicitly")
                        .with_fix_at(pe.loc(), |at| Fix::safe("write `enforcement_mode = \"ENFORCED\"` (the default, made explicit)").change(Change::AddAttribute {
                            at,
                            key: "enforcement_mode".into(),
                            value: Element::Str("ENFORCED".into()),
                        })),
                    );
                }
            }
            PathResult::Unknown(v) => {
                if ctx.on("NET001") {
                    ctx.push(unresolved("NET001", p, em_path, v));
                }
            }
            PathResult::Found(v) => match v.as_str() {
                Some("DRY_RUN") => {
                    if ctx.on("NET001") {
                        let filter: Vec<String> = match pe.path(&["dry_run_mode_product_filter"]) {
                            PathResult::Found(f) => f
                                .as_items()
                                .iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect(),
                            _ => vec![],
                        };
                        let what = if filter.is_empty() {
                            "every serverless product only logs blocked requests (dry run for all products)".to_string()
                        } else {
                            format!(
                                "selective dry run for {}: blocked requests of those products are only logged, not denied",
                                filter.join(", ")
                            )
                        };
                        ctx.push(
                            at_value("NET001", p, em_path, Some(v), format!(
                                "`{}` sets enforcement_mode = \"DRY_RUN\": {what}; production egress must be ENFORCED",
                                p.full_address()
                            ))
                            .with_help("set `enforcement_mode = \"ENFORCED\"` (review `system.access.outbound_network` first to extend the allow-list)")
                            .with_fix_at(v.loc(), |at| Fix::unsafe_("set `enforcement_mode` to `\"ENFORCED\"`: requests outside the allow-list start to be denied").change(Change::SetString {
                                at,
                                from: "DRY_RUN".into(),
                                value: "ENFORCED".into(),
                            })),
                        );
                    }
                }
                Some(_) => {}
                None => {
                    if !v.is_known() && ctx.on("NET001") {
                        ctx.push(unresolved("NET001", p, em_path, v));
                    }
                }
            },
        },
    }
}

/// True when a destination string is an IP address or CIDR range rather than a host name.
pub(crate) fn classify_ip(s: &str) -> bool {
    let host = s.split('/').next().unwrap_or(s);
    host.parse::<std::net::IpAddr>().is_ok()
        || (s.contains('/') && host.parse::<std::net::IpAddr>().is_ok())
        || (host.contains(':')
            && host
                .split(':')
                .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
            && host.matches(':').count() >= 2)
}

fn destinations(ctx: &mut Ctx, p: &ResourceInstance) {
    let suffixes: Vec<String> = ctx
        .param_strings("NET003", "public_suffixes")
        .into_iter()
        .chain(ctx.param_strings("NET003", "extra_suffixes"))
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let approved = approved_matchers(&ctx.param_strings("NET009", "approved"));
    // The rules an unknown destination blocks: NET009 only when an approved list is configured.
    let net009: &[&str] = if approved.is_empty() {
        &[]
    } else {
        &["NET009"]
    };
    let internet_codes: Vec<&str> = ["NET003", "NET004"].iter().chain(net009).copied().collect();
    let storage_codes: Vec<&str> = ["NET003"].iter().chain(net009).copied().collect();
    let na = match p.body.path(&["egress", "network_access"]) {
        PathResult::Found(v) => v,
        PathResult::Unknown(v) => {
            // Whatever destinations it lists are unknown.
            for &code in &internet_codes {
                if ctx.on(code) {
                    ctx.push(unresolved(code, p, "egress.network_access", v));
                }
            }
            return;
        }
        PathResult::Absent { .. } => return,
    };
    // Internet destinations.
    let path = "egress.network_access.allowed_internet_destinations";
    match na.path(&["allowed_internet_destinations"]) {
        PathResult::Unknown(v) => {
            for &code in &internet_codes {
                if ctx.on(code) {
                    ctx.push(unresolved(code, p, path, v));
                }
            }
        }
        PathResult::Found(list) => {
            let mut seen: Vec<(String, Value)> = Vec::new();
            for item in list.as_items() {
                let dpath = format!("{path}[].destination");
                let d = match item.path(&["destination"]) {
                    PathResult::Found(d) => d,
                    PathResult::Unknown(d) => {
                        for &code in &internet_codes {
                            if ctx.on(code) {
                                ctx.push(unresolved(code, p, &dpath, d));
                            }
                        }
                        continue;
                    }
                    PathResult::Absent { .. } => continue,
                };
                let Some(s) = d.as_str() else {
                    // Partly known: check what is known.
                    if let Some(frags) = d.known_fragments() {
                        let joined = frags.join("");
                        if joined.contains('*') && ctx.on("NET003") {
                            ctx.push(wildcard(p, &dpath, d, &joined, "contains `*`"));
                        }
                        if let Some(why) = malformed_fragment(&frags) {
                            if ctx.on("NET004") {
                                ctx.push(malformed(p, &dpath, d, &joined, &why));
                            }
                        }
                    }
                    for &code in &internet_codes {
                        if ctx.on(code) {
                            ctx.push(unresolved(code, p, &dpath, d));
                        }
                    }
                    continue;
                };
                // An IP given as a DNS name is NET003's only verdict that depends on the type:
                // absent means DNS_NAME, an unknown type keeps NET003 from deciding it.
                let dtype = match item.path(&["internet_destination_type"]) {
                    PathResult::Found(t) => Ok(t.as_str().map(|t| t == "DNS_NAME").unwrap_or(true)),
                    PathResult::Unknown(t) => Err(t),
                    PathResult::Absent { .. } => Ok(true),
                };
                let lower = s.to_ascii_lowercase();
                let wild = wildcard_reason(s, dtype.unwrap_or(false), &suffixes);
                if let (None, Err(t)) = (&wild, &dtype) {
                    if classify_ip(s) && ctx.on("NET003") {
                        let tpath = format!("{path}[].internet_destination_type");
                        ctx.push(unresolved("NET003", p, &tpath, t));
                    }
                }
                let is_wild = wild.is_some();
                if let Some(why) = wild {
                    if ctx.on("NET003") {
                        ctx.push(wildcard(p, &dpath, d, s, &why));
                    }
                }
                if !is_wild || s.contains("://") {
                    if let Some(why) = malformed_host(s) {
                        if ctx.on("NET004") {
                            ctx.push(malformed(p, &dpath, d, s, &why));
                        }
                    }
                }
                if let Some((_, first)) = seen.iter().find(|(x, _)| *x == lower) {
                    if ctx.on("NET004") {
                        let mut f = at_destination(
                            "NET004",
                            p,
                            &dpath,
                            d,
                            format!(
                            "destination `{s}` is listed twice in `allowed_internet_destinations`"
                        ),
                        )
                        .with_help("remove the duplicate entry");
                        // Only an exact duplicate is removed; one that differs in case is first
                        // lower-cased by its own fix.
                        if first.as_str() == Some(s) {
                            f = f.with_fix_at(d.loc(), |at| {
                                Fix::safe(format!("remove the duplicate `{s}`"))
                                    .change(Change::RemoveElement { at })
                            });
                        }
                        if let Some(l) = first.loc() {
                            f = f.with_related(l, "first listed here");
                        }
                        f.severity = Severity::Warning;
                        ctx.push(f);
                    }
                } else {
                    seen.push((lower.clone(), d.clone()));
                }
                if !approved.is_empty()
                    && ctx.on("NET009")
                    && !approved.iter().any(|g| g.is_match(&lower))
                {
                    ctx.push(
                        at_destination("NET009", p, &dpath, d, format!(
                            "destination `{s}` is not on the approved list ([rules.NET009] approved in policy-lint.toml)"
                        ))
                        .with_help("remove it, or have it approved and added to the list"),
                    );
                }
            }
        }
        PathResult::Absent { .. } => {}
    }
    // Storage destinations.
    let spath = "egress.network_access.allowed_storage_destinations";
    let list = match na.path(&["allowed_storage_destinations"]) {
        PathResult::Found(list) => list,
        PathResult::Unknown(v) => {
            for &code in &storage_codes {
                if ctx.on(code) {
                    ctx.push(unresolved(code, p, spath, v));
                }
            }
            return;
        }
        PathResult::Absent { .. } => return,
    };
    {
        for item in list.as_items() {
            let bpath = format!("{spath}[].bucket_name");
            let b = match item.path(&["bucket_name"]) {
                PathResult::Found(b) => b,
                PathResult::Unknown(b) => {
                    for &code in &storage_codes {
                        if ctx.on(code) {
                            ctx.push(unresolved(code, p, &bpath, b));
                        }
                    }
                    continue;
                }
                PathResult::Absent { .. } => continue,
            };
            let text = match b.as_str() {
                Some(s) => s.to_string(),
                None => b.known_fragments().map(|f| f.join("")).unwrap_or_default(),
            };
            if text.contains('*') && ctx.on("NET003") {
                ctx.push(wildcard(
                    p,
                    &bpath,
                    b,
                    &text,
                    "contains `*`: storage destinations must name one bucket",
                ));
            } else if !b.is_known() && ctx.on("NET003") {
                ctx.push(unresolved("NET003", p, &bpath, b));
            }
            if !b.is_known() && !approved.is_empty() && ctx.on("NET009") {
                ctx.push(unresolved("NET009", p, &bpath, b));
            }
            if let Some(s) = b.as_str() {
                if !approved.is_empty()
                    && ctx.on("NET009")
                    && !approved.iter().any(|g| g.is_match(s.to_ascii_lowercase()))
                {
                    ctx.push(
                        at_destination("NET009", p, &bpath, b, format!(
                            "storage destination bucket `{s}` is not on the approved list ([rules.NET009] approved in policy-lint.toml)"
                        ))
                        .with_help("remove it, or have it approved and added to the list"),
                    );
                }
            }
        }
    }
}

/// Why NET003 rejects internet destination `s` as a wildcard, or None: `*`, a leading `.`, a bare
/// public suffix (`suffixes`, lower case), an IP address or range given as a DNS name.
pub(crate) fn wildcard_reason(s: &str, dtype_is_dns: bool, suffixes: &[String]) -> Option<String> {
    let lower = s.to_ascii_lowercase();
    if s.contains('*') {
        Some("contains `*`: wildcard destinations are not allowed (the FQDN filter has no documented wildcard support)".to_string())
    } else if s.starts_with('.') {
        Some("starts with `.`, which stands for every subdomain".to_string())
    } else if suffixes.iter().any(|x| *x == lower.trim_end_matches('.')) {
        Some(format!(
            "is the bare public suffix `{s}`: it would allow every domain under it"
        ))
    } else if dtype_is_dns && classify_ip(s) {
        Some("is an IP address or CIDR range given as a DNS_NAME destination".to_string())
    } else {
        None
    }
}

/// NET009's `approved` globs, compiled (compared with lower-cased names); invalid globs are
/// left out (the configuration is validated before a run).
pub(crate) fn approved_matchers(globs: &[String]) -> Vec<globset::GlobMatcher> {
    globs
        .iter()
        .filter_map(|g| {
            globset::GlobBuilder::new(&g.to_ascii_lowercase())
                .literal_separator(false)
                .build()
                .ok()
                .map(|g| g.compile_matcher())
        })
        .collect()
}

/// A finding about destination `d`: host and bucket names compare in lower case, so the
/// lower-cased value identifies it (the list index would change when entries are reordered).
fn at_destination(
    code: &str,
    p: &ResourceInstance,
    path: &str,
    d: &Value,
    message: String,
) -> Finding {
    let mut f = at_value(code, p, path, Some(d), message);
    f.subject = d.subject(&|s: &str| s.to_ascii_lowercase());
    f
}

fn wildcard(p: &ResourceInstance, path: &str, v: &Value, s: &str, why: &str) -> Finding {
    at_destination("NET003", p, path, v, format!(
        "allowed destination `{s}` {why}; serverless compute could reach far more hosts than intended"
    ))
    .with_help("list each host name that is needed exactly, e.g. `pypi.org`, `files.pythonhosted.org`")
}

fn malformed(p: &ResourceInstance, path: &str, v: &Value, s: &str, why: &str) -> Finding {
    let suggestion = bare_host(s);
    let mut f = at_destination("NET004", p, path, v, format!(
        "destination `{s}` is not a bare host name: {why}; the egress filter matches host names only, so this entry does not allow what it seems to"
    ));
    if let Some(h) = suggestion.filter(|h| h != s) {
        f = f.with_help(format!("write the host name only: `destination = \"{h}\"`"));
        // Only when the host is a valid entry itself (not a wildcard, nothing else wrong).
        if !h.contains('*') && !h.starts_with('.') && malformed_host(&h).is_none() {
            f = f.with_fix_at(v.is_known().then(|| v.loc()).flatten(), |at| {
                Fix::safe(format!("write the bare host `{h}`")).change(Change::SetString {
                    at,
                    from: s.to_string(),
                    value: h.clone(),
                })
            });
        } else {
            f = f.with_help(format!(
                "write the host name only: `destination = \"{h}\"` (no automatic fix: what remains is a wildcard or still not a host name)"
            ));
        }
    } else {
        f = f.with_help("write a lower-case host name without scheme, path, port or trailing dot");
    }
    f
}

/// The host part of a URL-ish destination, lower-cased.
fn bare_host(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s.split("://").last()?;
    let s = s.split(['/', '?', '#']).next()?;
    let s = s.rsplit('@').next()?;
    let host = if s.starts_with('[') {
        s
    } else {
        s.split(':').next()?
    };
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    (!h.is_empty()).then_some(h)
}

/// Why a destination is not a bare host name, if it is not.
pub(crate) fn malformed_host(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("it is empty".into());
    }
    if s.contains("://") {
        return Some(format!(
            "it has a scheme (`{}://`)",
            s.split("://").next().unwrap_or("")
        ));
    }
    if s.chars().any(char::is_whitespace) {
        return Some("it contains whitespace".into());
    }
    if s.contains('?') {
        return Some("it has a query string".into());
    }
    if s.contains('/') {
        return Some("it has a path".into());
    }
    if s.contains(':') {
        return Some("it has a port".into());
    }
    if s.chars().any(|c| c.is_ascii_uppercase()) {
        return Some("it has upper-case letters (host names are matched in lower case)".into());
    }
    if s.ends_with('.') {
        return Some("it ends with a dot".into());
    }
    if s.len() > 253 {
        return Some(format!(
            "it is {} characters long; a host name has at most 253",
            s.len()
        ));
    }
    let body = s.trim_start_matches('.');
    for label in body.split('.') {
        if label.is_empty() {
            return Some("it has an empty label (`..`)".into());
        }
        if label.len() > 63 {
            return Some(format!("the label `{label}` is longer than 63 characters"));
        }
        if !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*' || c == '_')
        {
            return Some(format!(
                "the label `{label}` has characters not allowed in a host name"
            ));
        }
    }
    None
}

/// Malformations visible in the known parts of a partly known destination.
fn malformed_fragment(frags: &[String]) -> Option<String> {
    let joined = frags.join("");
    if joined.contains("://") {
        return Some("it has a scheme".into());
    }
    if joined.chars().any(char::is_whitespace) {
        return Some("it contains whitespace".into());
    }
    if joined.contains('/') {
        return Some("it has a path".into());
    }
    if joined.chars().any(|c| c.is_ascii_uppercase()) {
        return Some("it has upper-case letters".into());
    }
    None
}

/// NET008: `network_policy_id` format.
fn policy_id(ctx: &mut Ctx, r: &ResourceInstance, attr: &str, policies: &[&ResourceInstance]) {
    if !ctx.on("NET008") {
        return;
    }
    let Some(v) = r.attr(attr) else { return };
    // The id of a policy of this configuration: checked where the policy sets it.
    // An output of a module that is not evaluated: the module call has its own EVAL001 saying
    // none of its resources (the policy whose id this is, as a rule) are checked.
    let refers_to_policy = |v: &Value| {
        policies.iter().any(|p| refers_to(v, p, None) == Some(true))
            || v.as_unknown()
                .is_some_and(|u| matches!(u.reason, crate::value::Reason::RemoteModule { .. }))
    };
    let re_ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 32
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    };
    match &v.kind {
        Kind::String(s) if !re_ok(s) => {
            let why = if s.is_empty() {
                "it is empty".to_string()
            } else if s.len() > 32 {
                format!("it is {} characters long (at most 32)", s.len())
            } else {
                let bad: String = s
                    .chars()
                    .filter(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
                    .collect();
                format!("it contains {bad:?}, outside [a-zA-Z0-9_.-]")
            };
            ctx.push(
                at_value("NET008", r, attr, Some(v), format!(
                    "`{attr} = \"{s}\"` does not match ^[a-zA-Z0-9_.-]{{1,32}}$: {why}; the API rejects it at apply time"
                ))
                .with_help("use 1 to 32 characters from letters, digits, `_`, `.` and `-`"),
            );
        }
        Kind::Partial(_) => {
            let frags = v.known_fragments().unwrap_or_default();
            let known: usize = frags.iter().map(|f| f.len()).sum();
            let bad = frags
                .iter()
                .flat_map(|f| f.chars())
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')));
            if known > 32 {
                ctx.push(at_value("NET008", r, attr, Some(v), format!(
                    "`{attr}` is at least {known} characters long (its known parts alone), more than the 32 allowed by ^[a-zA-Z0-9_.-]{{1,32}}$"
                )).with_help("shorten the fixed parts of the name"));
            } else if let Some(c) = bad {
                ctx.push(
                    at_value(
                        "NET008",
                        r,
                        attr,
                        Some(v),
                        format!(
                    "`{attr}` contains {c:?}, which ^[a-zA-Z0-9_.-]{{1,32}}$ does not allow"
                ),
                    )
                    .with_help("use only letters, digits, `_`, `.` and `-`"),
                );
            } else if !refers_to_policy(v) {
                // The unknown parts decide.
                ctx.push(unresolved("NET008", r, attr, v));
            }
        }
        Kind::Unknown(_) if !refers_to_policy(v) => {
            ctx.push(unresolved("NET008", r, attr, v));
        }
        _ => {}
    }
}

/// True when `v` refers to resource `target` (by reference) or equals `known` (a literal id).
pub(crate) fn refers_to(v: &Value, target: &ResourceInstance, known: Option<&str>) -> Option<bool> {
    if let Some(r) = v.reference() {
        return Some(r.address == target.address() && (r.key.is_none() || r.key == target.key));
    }
    match (&v.kind, known) {
        (Kind::String(s), Some(k)) => Some(s == k),
        (Kind::String(_), None) => Some(false),
        // `policy.x.network_policy_id` evaluated to the policy's own (partly unknown) value: the
        // same value written at the same place is the same policy.
        _ if v.loc().is_some()
            && target.attr("network_policy_id").and_then(|t| t.loc()) == v.loc() =>
        {
            Some(true)
        }
        _ => None,
    }
}

/// NET006 and NET007: policies bound to workspaces.
fn attachments(ctx: &mut Ctx, policies: &[&ResourceInstance]) {
    let unit = ctx.unit;
    let options: Vec<&ResourceInstance> = unit.of_type(OPTION).collect();
    if ctx.on("NET006") {
        for p in policies {
            let pid = p.attr("network_policy_id").and_then(|v| v.as_str());
            let mut bound = false;
            let mut undecided: Option<&Value> = None;
            let mut maybe: Option<&ResourceInstance> = None;
            for o in &options {
                let Some(v) = o.attr("network_policy_id") else {
                    continue;
                };
                match refers_to(v, p, pid) {
                    // A binding whose count/for_each is unknown may not exist.
                    Some(true) if o.existence_unknown.is_some() => maybe = maybe.or(Some(o)),
                    Some(true) => bound = true,
                    Some(false) => {}
                    None => undecided = undecided.or(Some(v)),
                }
            }
            if bound {
                continue;
            }
            if let Some(o) = maybe {
                ctx.push(unresolved_existence("NET006", o));
                continue;
            }
            if let Some(v) = undecided {
                let o = options
                    .iter()
                    .find(|o| {
                        o.attr("network_policy_id")
                            .map(|x| std::ptr::eq(x, v))
                            .unwrap_or(false)
                    })
                    .copied()
                    .unwrap_or(p);
                ctx.push(unresolved("NET006", o, "network_policy_id", v));
                continue;
            }
            ctx.push(
                at_value("NET006", p, "network_policy_id", None, format!(
                    "network policy `{}` is not attached to any workspace: no `databricks_workspace_network_option` in this configuration refers to it, so it governs nothing",
                    p.full_address()
                ))
                .with_help(format!(
                    "bind it: resource \"databricks_workspace_network_option\" \"x\" {{ workspace_id = <workspace id>, network_policy_id = {}.network_policy_id }}",
                    p.full_address()
                )),
            );
        }
    }
    if ctx.on("NET007") {
        workspaces_bound(ctx, policies, &options);
    }
}

/// The account's default network policy: the one a workspace without its own binding runs under.
const DEFAULT_POLICY: &str = "default-policy";

/// Whether a network option binds its workspace to the account's `default-policy`: `Some(true)`
/// for the literal id, `Some(false)` for another id or a policy resource of this configuration,
/// `None` when it cannot be told.
fn binds_default_policy(o: &ResourceInstance, policies: &[&ResourceInstance]) -> Option<bool> {
    let Some(v) = o.attr("network_policy_id") else {
        return Some(false);
    };
    if let Some(s) = v.as_str() {
        return Some(s == DEFAULT_POLICY);
    }
    // A policy resource of this configuration whose id is not literally default-policy (the
    // literal case evaluates to a known string above).
    if policies.iter().any(|p| refers_to(v, p, None) == Some(true)) {
        return Some(false);
    }
    // Known parts that cannot be part of "default-policy".
    if let Some(frags) = v.known_fragments() {
        if frags.iter().any(|f| !DEFAULT_POLICY.contains(f.as_str())) {
            return Some(false);
        }
    }
    None
}

/// NET007: every workspace bound, by a `databricks_workspace_network_option`, to a policy other
/// than the account's `default-policy`. Workspaces on Azure or GCP are checked only with
/// `[rules.NET007] all_clouds = true` (for Azure, `azurerm_databricks_workspace`).
fn workspaces_bound(ctx: &mut Ctx, policies: &[&ResourceInstance], options: &[&ResourceInstance]) {
    let unit = ctx.unit;
    let all_clouds = ctx.param_bool("NET007", "all_clouds", false);
    let mut workspaces: Vec<&ResourceInstance> = unit
        .of_type(WORKSPACE)
        .filter(|w| all_clouds || aws_rules_apply(unit, w))
        .collect();
    if all_clouds {
        workspaces.extend(unit.of_type(AZURE_WORKSPACE));
    }
    for w in workspaces {
        let wid = w.attr("workspace_id").and_then(|v| v.as_str());
        let mut bound = false;
        let mut maybe: Option<&ResourceInstance> = None;
        let mut to_default: Option<(&ResourceInstance, &Value)> = None;
        let mut undecided: Option<(&ResourceInstance, &str, &Value)> = None;
        for &o in options {
            let Some(v) = o.attr("workspace_id") else {
                continue;
            };
            match refers_to(v, w, wid) {
                Some(true) => match binds_default_policy(o, policies) {
                    // A binding whose count/for_each is unknown may not exist.
                    Some(false) if o.existence_unknown.is_some() => maybe = maybe.or(Some(o)),
                    Some(false) => bound = true,
                    Some(true) => {
                        if let Some(pv) = o.attr("network_policy_id") {
                            to_default = to_default.or(Some((o, pv)));
                        }
                    }
                    None => {
                        if let Some(pv) = o.attr("network_policy_id") {
                            undecided = undecided.or(Some((o, "network_policy_id", pv)));
                        }
                    }
                },
                Some(false) => {}
                None => undecided = undecided.or(Some((o, "workspace_id", v))),
            }
        }
        if bound {
            continue;
        }
        if let Some(o) = maybe {
            ctx.push(unresolved_existence("NET007", o));
            continue;
        }
        if let Some((o, path, v)) = undecided {
            ctx.push(unresolved("NET007", o, path, v));
            continue;
        }
        if let Some((o, v)) = to_default {
            ctx.push(
                at_value("NET007", o, "network_policy_id", Some(v), format!(
                    "`{}` binds workspace `{}` to `{DEFAULT_POLICY}`, the account's default network policy: the workspace still runs under the default, whose egress this configuration does not control",
                    o.full_address(),
                    w.full_address()
                ))
                .with_related(w.loc, "the workspace")
                .with_help("set `network_policy_id` to the `network_policy_id` of a reviewed `databricks_account_network_policy`, e.g. `databricks_account_network_policy.<name>.network_policy_id`"),
            );
            continue;
        }
        ctx.push(
            at_value("NET007", w, "", None, format!(
                "workspace `{}` has no `databricks_workspace_network_option`: it runs under the account's `{DEFAULT_POLICY}`, whose egress this configuration does not control",
                w.full_address()
            ))
            .with_help(bind_help(w)),
        );
    }
}

/// How to bind workspace `w`: a reference its own module can make (a root cannot refer to a
/// resource inside a module).
fn bind_help(w: &ResourceInstance) -> String {
    let mut local = format!("{}.{}", w.rtype(), w.name());
    if let Some(k) = &w.key {
        local = format!("{local}[{k}]");
    }
    let add = format!(
        "resource \"databricks_workspace_network_option\" \"x\" {{ workspace_id = {local}.workspace_id, network_policy_id = <a reviewed policy's network_policy_id> }}"
    );
    if w.module().is_empty() {
        format!("add {add}")
    } else {
        format!(
            "in `{}`, where the workspace is declared, add {add}; or output its `workspace_id` from the module and bind it where the policy is",
            w.module()
        )
    }
}

/// EVAL001: whether binding `o` exists depends on its unknown `count`/`for_each`.
fn unresolved_existence(code: &str, o: &ResourceInstance) -> crate::finding::Finding {
    let u = o
        .existence_unknown
        .as_ref()
        .expect("called for a binding whose existence is unknown");
    let mut v = Value::unknown((**u).clone());
    if let Some(l) = u.loc {
        v = v.at(l);
    }
    unresolved(code, o, "count/for_each", &v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(malformed_host("pypi.org"), None);
        assert!(malformed_host("https://pypi.org").is_some());
        assert!(malformed_host("pypi.org/simple").is_some());
        assert!(malformed_host("pypi.org:443").is_some());
        assert!(malformed_host("PyPI.org").is_some());
        assert!(malformed_host("pypi.org.").is_some());
        assert!(malformed_host("a..b").is_some());
        assert_eq!(
            bare_host("https://PyPI.org:443/simple"),
            Some("pypi.org".into())
        );
        assert!(classify_ip("10.0.0.0/8"));
        assert!(classify_ip("1.2.3.4"));
        assert!(!classify_ip("pypi.org"));
    }
}
