//! KMS003: a Databricks CMK's policy lets the Databricks principal do what the key's use cases
//! need. What Databricks documents as required for each use case is reported as missing; the
//! grants statement of the documented storage policy is required only while the organisation's
//! `require_grants_statement` parameter is true (Databricks' security reference architecture
//! omits it), and its message says so. Operations that an `aws_kms_grant` gives the Databricks
//! principal count like statements ([`PolicyTarget::databricks_grants`]).

use super::*;

/// Whether the statement's actions cover the (possibly wildcard) `required` action.
fn stmt_covers(stmt: &Statement, required: &str) -> Tri {
    if let Some(a) = stmt.action {
        Tri::any(a.as_items().into_iter().map(|v| match &v.kind {
            Kind::String(s) => Tri::from_bool(glob_covers(s, required)),
            _ => action_matches(v, required),
        }))
    } else if let Some(na) = stmt.not_action {
        action_list_matches(na, required).not()
    } else {
        Tri::No
    }
}

/// What counts as allowing an action in [`db_allowed`].
#[derive(Clone, Copy, PartialEq)]
enum Source {
    /// An Allow statement for the Databricks principal, or a grant to it.
    StatementOrGrant,
    /// An Allow statement for the Databricks principal.
    Statement,
    /// An Allow statement for the Databricks principal with the grants condition.
    GrantsStatement,
}

/// Whether a grant gives the Databricks principal `required`: its grantee is the Databricks
/// principal and its `operations` include the action (operation names have no `kms:` prefix). A
/// grant with `constraints` (encryption context) allows only matching requests: it is not counted.
fn grant_gives(g: &DatabricksGrant, required: &str) -> Tri {
    let ops = Tri::any(
        g.operations
            .as_items()
            .into_iter()
            .map(|op| match &op.kind {
                Kind::String(o) => Tri::from_bool(glob_covers(&format!("kms:{o}"), required)),
                Kind::Unknown(_) | Kind::Partial(_) => Tri::Unknown,
                _ => Tri::No,
            }),
    );
    g.to_databricks.and(g.constrained().not()).and(ops)
}

/// Whether the Databricks principal is allowed `required` (by what `source` says counts). A
/// wildcard action also counts when every concrete action of the allowed-actions table it stands
/// for is allowed.
fn db_allowed(cx: &Ctx, infos: &[StmtInfo], required: &str, source: Source) -> Tri {
    let one = |action: &str| {
        let by_statement = Tri::any(infos.iter().map(|i| {
            let mut t = i
                .stmt
                .is_allow()
                .and(i.databricks().0)
                .and(stmt_covers(i.stmt, action));
            if source == Source::GrantsStatement {
                t = t.and(grant_is_for_aws_resource(i.stmt));
            }
            t
        }));
        if source == Source::StatementOrGrant {
            by_statement.or(Tri::any(
                cx.target
                    .databricks_grants
                    .iter()
                    .map(|g| grant_gives(g, action)),
            ))
        } else {
            by_statement
        }
    };
    let direct = one(required);
    if direct != Tri::No || !required.contains(['*', '?']) {
        return direct;
    }
    let expansions: Vec<&String> = cx
        .data
        .allowed_actions
        .iter()
        .filter(|a| !a.contains(['*', '?']) && glob_match(required, a))
        .collect();
    if expansions.is_empty() {
        return direct;
    }
    Tri::all(expansions.into_iter().map(|a| one(a)))
}

fn infer_use_cases(cx: &Ctx, infos: &[StmtInfo]) -> Vec<String> {
    let ms = cx.data.actions_for(USE_CASE_MANAGED_SERVICES);
    let storage_only: Vec<&String> = cx
        .data
        .actions_for(USE_CASE_STORAGE)
        .iter()
        .chain(cx.data.actions_for(USE_CASE_GRANTS))
        .filter(|a| !ms.iter().any(|m| m.eq_ignore_ascii_case(a)))
        .collect();
    let storage = infos.iter().any(|i| {
        i.stmt.is_allow() == Tri::Yes
            && i.databricks().0 == Tri::Yes
            && storage_only
                .iter()
                .any(|a| covers_action(i.stmt, a) == Tri::Yes || stmt_covers(i.stmt, a) == Tri::Yes)
    }) || cx
        .target
        .databricks_grants
        .iter()
        .any(|g| storage_only.iter().any(|a| grant_gives(g, a) == Tri::Yes));
    if storage {
        vec![USE_CASE_STORAGE.to_string()]
    } else {
        vec![USE_CASE_MANAGED_SERVICES.to_string()]
    }
}

fn expected_principal(cx: &Ctx, policy: &Policy, infos: &[StmtInfo]) -> String {
    for i in infos {
        for (_, c) in &i.classes {
            match c {
                PrincipalClass::Databricks(e) | PrincipalClass::NearMiss { expected: e, .. } => {
                    return format!("`{}`", cx.data.principals[*e].arn);
                }
                _ => {}
            }
        }
    }
    // The grantee of a grant to the Databricks principal.
    for g in &cx.target.databricks_grants {
        if g.to_databricks == Tri::Yes {
            if let PrincipalClass::Databricks(e) = classify_aws(&g.grantee, cx.data, 0) {
                return format!("`{}`", cx.data.principals[e].arn);
            }
        }
    }
    // The partition of some ARN in the policy, if any.
    let mut partition = None;
    walk_strings(policy.doc, &mut |s, _| {
        if partition.is_none() {
            if let Some(rest) = s.strip_prefix("arn:") {
                partition = rest.split(':').next().map(str::to_string);
            }
        }
    });
    let of: Vec<String> = cx
        .data
        .principals
        .iter()
        .filter(|p| partition.as_deref().is_none_or(|x| x == p.partition))
        .map(|p| format!("`{}` ({})", p.arn, p.name))
        .collect();
    if of.is_empty() {
        cx.data
            .principals
            .iter()
            .map(|p| format!("`{}` ({})", p.arn, p.name))
            .collect::<Vec<_>>()
            .join(" or ")
    } else {
        of.join(" or ")
    }
}

pub(super) fn missing_statement(cx: &mut Ctx, policy: &Policy, infos: &[StmtInfo]) {
    let (use_cases, inferred) = match &cx.target.use_cases {
        Some(u) => (u.clone(), false),
        None => (infer_use_cases(cx, infos), true),
    };
    let mut required: Vec<String> = Vec::new();
    for uc in &use_cases {
        for a in cx.data.actions_for(uc) {
            if !required.iter().any(|r| r.eq_ignore_ascii_case(a)) {
                required.push(a.clone());
            }
        }
    }
    let storage = use_cases.iter().any(|u| u == USE_CASE_STORAGE);
    let grants_needed = storage && cx.params.require_grants_statement;

    let mut missing = Vec::new();
    let mut unknown = false;
    for a in &required {
        match db_allowed(cx, infos, a, Source::StatementOrGrant) {
            Tri::No => missing.push(a.clone()),
            Tri::Unknown => unknown = true,
            Tri::Yes => {}
        }
    }
    let mut missing_grants = Vec::new();
    let mut grants_without_condition = false;
    if grants_needed {
        for a in grant_actions(cx.data) {
            match db_allowed(cx, infos, a, Source::GrantsStatement) {
                Tri::No => {
                    missing_grants.push(a.clone());
                    if db_allowed(cx, infos, a, Source::Statement) == Tri::Yes {
                        grants_without_condition = true;
                    }
                }
                Tri::Unknown => unknown = true,
                Tri::Yes => {}
            }
        }
    }
    // A statement that is not known may be the one that looks missing.
    if !missing.is_empty() || !missing_grants.is_empty() {
        if let Some(u) = unknown_statement(policy) {
            cx.unknown("KMS003", u, None, "a statement");
            return;
        }
    }
    let where_ = policy.statement.or(Some(policy.doc));
    if missing.is_empty() && missing_grants.is_empty() {
        if unknown {
            let mut any = false;
            for i in infos {
                if i.stmt.is_allow() == Tri::No {
                    continue;
                }
                let parts = [
                    (Tri::Unknown, i.effect_unknowns(), "the Effect"),
                    (Tri::Unknown, i.unknown_principals(true), "the principal"),
                    (Tri::Unknown, i.action_unknowns(), "the action"),
                    (Tri::Unknown, i.condition_unknowns(), "the condition"),
                ];
                for (_, vals, what) in &parts {
                    if !vals.is_empty() {
                        cx.unknowns("KMS003", vals, Some(i.stmt), what);
                        any = true;
                    }
                }
            }
            let grants = cx.target.databricks_grants.clone();
            for g in &grants {
                for (v, what) in g.unknowns() {
                    cx.unknown("KMS003", v, None, &what);
                    any = true;
                }
            }
            if !any {
                if let Some(w) = where_ {
                    cx.unknown("KMS003", w, None, "a statement");
                }
            }
        }
        return;
    }
    let principal = expected_principal(cx, policy, infos);
    let uc_text = if inferred && !cx.target.databricks_grants.is_empty() {
        format!(
            "{} (inferred from the statements and grants)",
            use_cases.join(", ")
        )
    } else if inferred {
        format!("{} (inferred from the statements)", use_cases.join(", "))
    } else {
        use_cases.join(", ")
    };
    let mut parts = Vec::new();
    if !missing.is_empty() {
        let by = if cx.target.databricks_grants.is_empty() {
            "no Allow statement"
        } else {
            "neither an Allow statement nor an unconstrained grant"
        };
        parts.push(format!(
            "{by} gives the Databricks principal {principal} {}, which Databricks documents as required for {}",
            list(&missing),
            use_cases.join(", ")
        ));
    }
    if !missing_grants.is_empty() {
        let what = if grants_without_condition {
            format!(
                "the grants statement for the Databricks principal {principal} ({}) lacks {GRANT_CONDITION}",
                list(&missing_grants)
            )
        } else {
            format!(
                "there is no grants statement for the Databricks principal {principal} ({} with {GRANT_CONDITION})",
                list(&missing_grants)
            )
        };
        parts.push(format!(
            "{what}: Databricks' documented key policy for workspace storage has it, and this organisation requires it (KMS003 parameter `require_grants_statement`)"
        ));
    }
    let mut help_parts = Vec::new();
    if !missing.is_empty() {
        help_parts.push(format!(
            "an Allow statement for {principal} with \"Action\": [{}]",
            missing
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !missing_grants.is_empty() {
        help_parts.push(format!(
            "an Allow statement for {principal} with \"Action\": [{}] and {GRANT_CONDITION} (or set `require_grants_statement = false` under [rules.KMS003] if your organisation does not require it)",
            missing_grants
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut f = cx.finding(
        "KMS003",
        where_,
        None,
        format!("Databricks CMK for {uc_text}: {}", parts.join("; ")),
        format!("Add {}.", help_parts.join(", and ")),
    );
    for i in infos {
        if i.databricks().0 == Tri::Yes {
            if let Some(l) = i.stmt.value.loc() {
                f = f.with_related(l, "statement for the Databricks principal");
            }
        }
    }
    for g in &cx.target.databricks_grants {
        let label = match g.to_databricks {
            Tri::Yes => "gives the Databricks principal operations on the key",
            _ => {
                "may give the Databricks principal operations on the key (its grantee is not known)"
            }
        };
        f = f.with_related(g.loc, format!("`{}` {label}", g.address));
    }
    cx.push(f);
}
