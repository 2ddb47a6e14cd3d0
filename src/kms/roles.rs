//! What a key-policy statement is for, judged from the statement itself: a key-administrator
//! statement (it can change the policy or delete the key), the EBS statement of a cross-account
//! role, or a statement whose principal is a whole account. The rules use these roles to decide
//! which statements they are about (KMS004 is about the EBS statement, never the administrators').
//!
//! Every answer is tri-state: a statement whose actions are not known may or may not be an
//! administrator statement, and the rules report that (EVAL001) instead of guessing.

use super::{covers_action, PrincipalClass, PrincipalRef, PrincipalType, Statement, Tri};
use crate::value::{Kind, Part, Value};

/// Whether the statement's actions (`Action`, or everything `NotAction` does not name) cover one
/// of `admin_actions` (`kms:PutKeyPolicy`, `kms:ScheduleKeyDeletion`): `kms:*`, `*`, the
/// console's administrator set with `kms:Put*`. Its effect is not considered (callers combine it
/// with [`Statement::is_allow`]).
pub fn administers(stmt: &Statement, admin_actions: &[String]) -> Tri {
    Tri::any(admin_actions.iter().map(|a| covers_action(stmt, a)))
}

/// Whether the statement is an `Allow` that makes its principals key administrators.
pub fn is_administrator_statement(stmt: &Statement, admin_actions: &[String]) -> Tri {
    stmt.is_allow().and(administers(stmt, admin_actions))
}

/// The first administrator action the statement covers for certain, for messages.
pub fn first_administered<'a>(stmt: &Statement, admin_actions: &'a [String]) -> Option<&'a str> {
    admin_actions
        .iter()
        .find(|a| covers_action(stmt, a) == Tri::Yes)
        .map(String::as_str)
}

/// `arn:...:root` whose `:root` end is known (the account may be unknown): a whole account, never
/// a role, whatever the unknown parts turn out to be.
pub fn is_account_root_form(v: &Value) -> bool {
    match &v.kind {
        Kind::Partial(parts) => {
            matches!(parts.last(), Some(Part::Lit(s)) if s.ends_with(":root"))
                && matches!(parts.first(), Some(Part::Lit(s)) if s.starts_with("arn:"))
        }
        _ => false,
    }
}

/// Whether the statement names an IAM role or user that is neither a Databricks principal nor a
/// whole account (the cross-account role of the EBS statement, say), and the first such value.
/// `Unknown` when a principal is not known and could turn out to be one.
pub fn names_role<'a>(
    classes: &[(&'a PrincipalRef<'a>, PrincipalClass)],
) -> (Tri, Option<&'a Value>) {
    if let Some(v) = classes.iter().find_map(|(p, c)| {
        (p.ptype == PrincipalType::Aws && *c == PrincipalClass::Other).then_some(p.value)
    }) {
        return (Tri::Yes, Some(v));
    }
    if unknown_role_principals(classes).next().is_some() {
        (Tri::Unknown, None)
    } else {
        (Tri::No, None)
    }
}

/// The principals that are not known and could be a role ([`names_role`]).
pub fn unknown_role_principals<'a, 'b>(
    classes: &'b [(&'a PrincipalRef<'a>, PrincipalClass)],
) -> impl Iterator<Item = &'a Value> + 'b {
    classes.iter().filter_map(|(p, c)| {
        let could_be_role = matches!(p.ptype, PrincipalType::Aws | PrincipalType::Unknown)
            && matches!(c, PrincipalClass::Unknown { .. })
            && !is_account_root_form(p.value);
        could_be_role.then_some(p.value)
    })
}

/// The input a null value comes from, named as its value chain names it (`variable
/// `cmk_admin_arn``, `output `admin_arn` of `module.iam``, `` `local.admin` ``): the first
/// variable, module output or local it went through. None when the null was written where it is
/// used.
pub fn null_input(v: &Value) -> Option<String> {
    v.origin.hops().iter().find_map(|h| {
        if h.label.starts_with("variable `") || h.label.starts_with("output `") {
            Some(h.label.clone())
        } else {
            // `via `local.x``: a local whose expression gave null.
            h.label
                .strip_prefix("via ")
                .filter(|l| l.starts_with("`local."))
                .map(str::to_string)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kms::Policy;
    use crate::source::{FileId, Location};
    use crate::value::Origin;

    fn policy(actions: &str) -> Value {
        let text = format!(
            r#"{{"Statement": [{{"Effect": "Allow", "Principal": {{"AWS": "arn:aws:iam::111122223333:role/admin"}}, "Action": {actions}, "Resource": "*"}}]}}"#
        );
        crate::json::parse_file(&text, FileId(0)).expect("valid JSON")
    }

    fn admin() -> Vec<String> {
        vec!["kms:PutKeyPolicy".into(), "kms:ScheduleKeyDeletion".into()]
    }

    #[test]
    fn administrator_statements() {
        for (actions, want) in [
            (r#""kms:*""#, Tri::Yes),
            (r#""*""#, Tri::Yes),
            (r#"["kms:Create*", "kms:Put*", "kms:Describe*"]"#, Tri::Yes),
            (r#"["kms:Create*", "kms:ScheduleKeyDeletion"]"#, Tri::Yes),
            (r#"["kms:Create*", "kms:Describe*"]"#, Tri::No),
            (
                r#"["kms:Decrypt", "kms:GenerateDataKey*", "kms:CreateGrant"]"#,
                Tri::No,
            ),
        ] {
            let doc = policy(actions);
            let p = Policy::from_value(&doc);
            assert_eq!(
                is_administrator_statement(&p.statements[0], &admin()),
                want,
                "{actions}"
            );
        }
    }

    #[test]
    fn unknown_action_may_administer() {
        let doc = policy(r#"["kms:CreateGrant", "kms:Put*"]"#);
        let p = Policy::from_value(&doc);
        assert_eq!(
            first_administered(&p.statements[0], &admin()),
            Some("kms:PutKeyPolicy")
        );
        // An element that is not known may be an administrator action.
        let unknown = Value::unknown_reason(crate::value::Reason::Variable {
            name: "actions".into(),
        });
        let stmt: crate::value::ObjMap = [
            ("Effect".to_string(), Value::string("Allow")),
            (
                "Action".to_string(),
                Value::list(vec![Value::string("kms:CreateGrant"), unknown]),
            ),
        ]
        .into_iter()
        .collect();
        let doc = Value::object(
            [(
                "Statement".to_string(),
                Value::list(vec![Value::object(stmt)]),
            )]
            .into_iter()
            .collect(),
        );
        let p = Policy::from_value(&doc);
        assert_eq!(administers(&p.statements[0], &admin()), Tri::Unknown);
        assert_eq!(first_administered(&p.statements[0], &admin()), None);
    }

    #[test]
    fn null_input_names_the_variable() {
        let loc = Location::new(FileId(0), 0..4);
        let v = Value::null()
            .with_origin(Origin::at(loc))
            .with_hop(Location::new(FileId(0), 5..9), "variable `cmk_admin_arn`")
            .with_hop(Location::new(FileId(0), 10..20), "via `local.admin`");
        assert_eq!(null_input(&v).as_deref(), Some("variable `cmk_admin_arn`"));
        assert_eq!(
            null_input(&Value::null().with_origin(Origin::at(loc))),
            None
        );
    }
}
