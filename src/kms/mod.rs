//! KMS key policies: the policy model, the data the KMS rules use, and (in [`checks`]) the rules
//! KMS001–KMS008 and KMS011.
//!
//! A key policy reaches this module as a [`Value`] (decoded JSON, `jsonencode(...)`, a rendered
//! `aws_iam_policy_document`...). [`Policy::from_value`] normalises it without losing anything:
//! every element keeps its `Value` (and so its origin), scalars and lists are both accepted, and
//! unknown or partially known values stay as they are so that checks can answer [`Tri::Unknown`]
//! instead of guessing.

pub mod checks;
pub mod roles;

pub use checks::{check_policy, names_databricks, names_databricks_with, PolicyTarget};

use crate::value::{Kind, Part, Value};
use regex::Regex;
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------------
// Tri-state
// ---------------------------------------------------------------------------------------------

/// A verdict that may depend on a value not known statically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    Yes,
    No,
    Unknown,
}

impl Tri {
    pub fn from_bool(b: bool) -> Tri {
        if b {
            Tri::Yes
        } else {
            Tri::No
        }
    }
    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Yes, Tri::Yes) => Tri::Yes,
            _ => Tri::Unknown,
        }
    }
    pub fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
            (Tri::No, Tri::No) => Tri::No,
            _ => Tri::Unknown,
        }
    }
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Tri {
        match self {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            Tri::Unknown => Tri::Unknown,
        }
    }
    /// `Yes` if any is `Yes`, `No` if all are `No` (or there are none).
    pub fn any(items: impl IntoIterator<Item = Tri>) -> Tri {
        items.into_iter().fold(Tri::No, Tri::or)
    }
    /// `No` if any is `No`, `Yes` if all are `Yes` (or there are none).
    pub fn all(items: impl IntoIterator<Item = Tri>) -> Tri {
        items.into_iter().fold(Tri::Yes, Tri::and)
    }
}

// ---------------------------------------------------------------------------------------------
// Data tables and parameters
// ---------------------------------------------------------------------------------------------

/// One row of `rules/data/databricks-principals.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabricksPrincipal {
    /// Row name (`commercial`, `govcloud-civilian`, ...).
    pub name: String,
    pub partition: String,
    pub account_id: String,
    pub arn: String,
}

/// Use case names: the keys of `rules/data/kms-use-case-actions.toml` (the Terraform enum of
/// `use_cases`, plus `GRANTS`, the grants statement of the storage use case).
pub const USE_CASE_MANAGED_SERVICES: &str = "MANAGED_SERVICES";
pub const USE_CASE_STORAGE: &str = "STORAGE";
pub const USE_CASE_GRANTS: &str = "GRANTS";

/// The data the KMS rules use, all of it from the tables in `rules/data/`.
#[derive(Debug, Clone)]
pub struct KmsData {
    /// `databricks-principals`.
    pub principals: Vec<DatabricksPrincipal>,
    /// `kms-use-case-actions`: use case -> actions the Databricks principal needs.
    pub use_case_actions: BTreeMap<String, Vec<String>>,
    /// `kms-databricks-allowed-actions`.
    pub allowed_actions: Vec<String>,
    /// `kms-placeholders`, compiled (pattern text kept for messages).
    pub placeholders: Vec<(String, Regex)>,
    /// The same patterns as one set: most strings match none, and one pass over them says so.
    pub placeholder_set: regex::RegexSet,
    /// `kms-restricting-condition-keys`, as written.
    pub restricting_keys: Vec<String>,
    /// `kms-administrator-actions`: an Allow covering one of these is a key-administrator statement.
    pub administrator_actions: Vec<String>,
}

fn table(
    get: &dyn Fn(&str) -> Option<serde_json::Value>,
    name: &str,
) -> Result<serde_json::Value, String> {
    get(name).ok_or_else(|| format!("data table `{name}` is missing"))
}

fn string_list(v: &serde_json::Value, table: &str, field: &str) -> Result<Vec<String>, String> {
    let arr = v
        .get(field)
        .and_then(|x| x.as_array())
        .ok_or_else(|| format!("data table `{table}`: `{field}` must be a list of strings"))?;
    arr.iter()
        .map(|x| {
            x.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("data table `{table}`: `{field}` must hold strings only"))
        })
        .collect()
}

impl KmsData {
    /// Builds the data from the tables; `get(name)` returns a whole table file (TOML converted to
    /// JSON), e.g. `get("databricks-principals")`.
    pub fn from_tables(get: &dyn Fn(&str) -> Option<serde_json::Value>) -> Result<KmsData, String> {
        let t = table(get, "databricks-principals")?;
        let entries = t
            .get("entries")
            .and_then(|e| e.as_object())
            .ok_or("data table `databricks-principals`: `entries` must be a table")?;
        let mut principals = Vec::new();
        for (name, e) in entries {
            let field = |f: &str| -> Result<String, String> {
                e.get(f).and_then(|x| x.as_str()).map(str::to_string).ok_or_else(|| {
                    format!("data table `databricks-principals`: entry `{name}` has no string `{f}`")
                })
            };
            let p = DatabricksPrincipal {
                name: name.clone(),
                partition: field("partition")?,
                account_id: field("account_id")?,
                arn: field("arn")?,
            };
            if p.account_id.len() != 12 || !p.account_id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "data table `databricks-principals`: entry `{name}`: account_id must be 12 digits"
                ));
            }
            principals.push(p);
        }
        if principals.is_empty() {
            return Err("data table `databricks-principals` has no entries".into());
        }

        let t = table(get, "kms-use-case-actions")?;
        let entries = t
            .get("entries")
            .and_then(|e| e.as_object())
            .ok_or("data table `kms-use-case-actions`: `entries` must be a table")?;
        let mut use_case_actions = BTreeMap::new();
        for (name, e) in entries {
            use_case_actions.insert(
                name.clone(),
                string_list(e, "kms-use-case-actions", "actions")?,
            );
        }
        for uc in [USE_CASE_MANAGED_SERVICES, USE_CASE_STORAGE, USE_CASE_GRANTS] {
            if !use_case_actions.contains_key(uc) {
                return Err(format!(
                    "data table `kms-use-case-actions` has no entry `{uc}`"
                ));
            }
        }

        let t = table(get, "kms-databricks-allowed-actions")?;
        let allowed_actions = string_list(&t, "kms-databricks-allowed-actions", "values")?;

        let t = table(get, "kms-placeholders")?;
        let mut placeholders = Vec::new();
        for p in string_list(&t, "kms-placeholders", "values")? {
            let re = Regex::new(&p)
                .map_err(|e| format!("data table `kms-placeholders`: invalid regex `{p}`: {e}"))?;
            placeholders.push((p, re));
        }

        let placeholder_set = regex::RegexSet::new(placeholders.iter().map(|(p, _)| p))
            .map_err(|e| format!("data table `kms-placeholders`: {e}"))?;

        let t = table(get, "kms-restricting-condition-keys")?;
        let restricting_keys = string_list(&t, "kms-restricting-condition-keys", "values")?;

        let t = table(get, "kms-administrator-actions")?;
        let administrator_actions = string_list(&t, "kms-administrator-actions", "values")?;
        if administrator_actions.is_empty() {
            return Err("data table `kms-administrator-actions` has no values".into());
        }

        Ok(KmsData {
            principals,
            use_case_actions,
            allowed_actions,
            placeholders,
            placeholder_set,
            restricting_keys,
            administrator_actions,
        })
    }

    /// Actions the Databricks principal needs for a use case (empty for an unknown use case).
    pub fn actions_for(&self, use_case: &str) -> &[String] {
        self.use_case_actions
            .get(use_case)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// Rule parameters, with the defaults of `rules/kms/*.toml`.
#[derive(Debug, Clone, PartialEq)]
pub struct KmsParams {
    /// KMS001 `max_edit_distance`.
    pub max_edit_distance: usize,
    /// KMS003 `require_grants_statement`.
    pub require_grants_statement: bool,
    /// KMS004 `administrator_actions`; None: the `kms-administrator-actions` table.
    pub administrator_actions: Option<Vec<String>>,
}

impl Default for KmsParams {
    fn default() -> Self {
        KmsParams {
            max_edit_distance: 2,
            require_grants_statement: true,
            administrator_actions: None,
        }
    }
}

impl KmsParams {
    /// The actions that make an Allow a key-administrator statement (KMS004's parameter, else the
    /// data table).
    pub fn administrator_actions<'a>(&'a self, data: &'a KmsData) -> &'a [String] {
        self.administrator_actions
            .as_deref()
            .unwrap_or(&data.administrator_actions)
    }
}

// ---------------------------------------------------------------------------------------------
// Policy model
// ---------------------------------------------------------------------------------------------

/// The type of a principal entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalType {
    /// `"Principal": "*"`.
    Any,
    Aws,
    Service,
    Federated,
    CanonicalUser,
    /// A key other than the four above.
    Other,
    /// The principal (or its type map) is unknown.
    Unknown,
}

/// One principal named by `Principal`/`NotPrincipal`.
#[derive(Debug, Clone)]
pub struct PrincipalRef<'a> {
    pub ptype: PrincipalType,
    pub value: &'a Value,
}

/// A `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone)]
pub struct Principals<'a> {
    pub value: &'a Value,
    pub entries: Vec<PrincipalRef<'a>>,
}

impl<'a> Principals<'a> {
    fn from_value(value: &'a Value) -> Principals<'a> {
        let mut entries = Vec::new();
        match &value.kind {
            Kind::String(s) if s == "*" => entries.push(PrincipalRef {
                ptype: PrincipalType::Any,
                value,
            }),
            Kind::Unknown(_) => entries.push(PrincipalRef {
                ptype: PrincipalType::Unknown,
                value,
            }),
            Kind::Object(map) => {
                for (k, v) in map.iter() {
                    let ptype = match k.as_str() {
                        "AWS" => PrincipalType::Aws,
                        "Service" => PrincipalType::Service,
                        "Federated" => PrincipalType::Federated,
                        "CanonicalUser" => PrincipalType::CanonicalUser,
                        _ => PrincipalType::Other,
                    };
                    // `"AWS": null` names a principal that is null (an input without a value),
                    // not no principal: keep it so that the checks can say so.
                    let items = if v.is_null() { vec![v] } else { v.as_items() };
                    for item in items {
                        entries.push(PrincipalRef { ptype, value: item });
                    }
                }
            }
            // Not valid in a key policy, but read as AWS principals.
            _ => {
                for item in value.as_items() {
                    entries.push(PrincipalRef {
                        ptype: PrincipalType::Aws,
                        value: item,
                    });
                }
            }
        }
        Principals { value, entries }
    }
}

/// One `operator: { key: values }` pair of a `Condition`.
#[derive(Debug, Clone)]
pub struct ConditionEntry<'a> {
    /// The operator as written (case-sensitive).
    pub operator: &'a str,
    /// The operator's `{ key: values }` object (its location stands for the operator).
    pub op_value: &'a Value,
    /// The condition key as written.
    pub key: &'a str,
    /// The condition key lower-cased, for comparison.
    pub key_lc: String,
    /// The values element (scalar or list).
    pub value: &'a Value,
    /// The individual values.
    pub values: Vec<&'a Value>,
}

/// One statement.
#[derive(Debug, Clone)]
pub struct Statement<'a> {
    pub index: usize,
    pub value: &'a Value,
    pub sid: Option<&'a Value>,
    pub effect: Option<&'a Value>,
    pub principal: Option<Principals<'a>>,
    pub not_principal: Option<Principals<'a>>,
    pub action: Option<&'a Value>,
    pub not_action: Option<&'a Value>,
    pub resource: Option<&'a Value>,
    pub not_resource: Option<&'a Value>,
    pub condition: Option<&'a Value>,
    pub conditions: Vec<ConditionEntry<'a>>,
    /// Parts of `Condition` that are unknown (the whole element or one operator's block): any
    /// condition-based verdict that would otherwise be "no" is unknown.
    pub unknown_conditions: Vec<&'a Value>,
    /// Parts of `Condition` that are not objects where IAM needs one.
    pub malformed_conditions: Vec<&'a Value>,
}

fn non_null(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

impl<'a> Statement<'a> {
    fn from_value(index: usize, value: &'a Value) -> Statement<'a> {
        let get = |k: &str| non_null(value.as_object().and_then(|m| m.get(k)));
        let condition = get("Condition");
        let mut conditions = Vec::new();
        let mut unknown_conditions = Vec::new();
        let mut malformed_conditions = Vec::new();
        if let Some(c) = condition {
            match &c.kind {
                Kind::Object(ops) => {
                    for (op, block) in ops.iter() {
                        match &block.kind {
                            Kind::Object(keys) => {
                                for (key, v) in keys.iter() {
                                    conditions.push(ConditionEntry {
                                        operator: op,
                                        op_value: block,
                                        key,
                                        key_lc: key.to_ascii_lowercase(),
                                        value: v,
                                        values: v.as_items(),
                                    });
                                }
                            }
                            Kind::Unknown(_) => unknown_conditions.push(block),
                            _ => malformed_conditions.push(block),
                        }
                    }
                }
                Kind::Unknown(_) => unknown_conditions.push(c),
                _ => malformed_conditions.push(c),
            }
        }
        Statement {
            index,
            value,
            sid: get("Sid"),
            effect: get("Effect"),
            principal: get("Principal").map(Principals::from_value),
            not_principal: get("NotPrincipal").map(Principals::from_value),
            action: get("Action"),
            not_action: get("NotAction"),
            resource: get("Resource"),
            not_resource: get("NotResource"),
            condition,
            conditions,
            unknown_conditions,
            malformed_conditions,
        }
    }

    /// Whether the statement is an `Allow`. `Effect` is compared case-insensitively here (KMS008
    /// reports the wrong case) so that the other rules still check what was meant; a missing
    /// `Effect` is not an Allow (KMS008 reports it).
    pub fn is_allow(&self) -> Tri {
        match self.effect.map(|e| &e.kind) {
            Some(Kind::String(s)) => Tri::from_bool(s.eq_ignore_ascii_case("allow")),
            Some(Kind::Unknown(_)) | Some(Kind::Partial(_)) => Tri::Unknown,
            _ => Tri::No,
        }
    }

    /// Every principal of `Principal`.
    pub fn principals(&self) -> &[PrincipalRef<'a>] {
        self.principal
            .as_ref()
            .map(|p| p.entries.as_slice())
            .unwrap_or(&[])
    }
}

/// A normalised key policy.
#[derive(Debug, Clone)]
pub struct Policy<'a> {
    pub doc: &'a Value,
    pub version: Option<&'a Value>,
    /// The `Statement` element as written (object, list or unknown).
    pub statement: Option<&'a Value>,
    pub statements: Vec<Statement<'a>>,
    /// Elements of `Statement` that are not objects (unknown ones included).
    pub other_statements: Vec<&'a Value>,
}

/// The normalised model of a policy (same type as [`Policy`]).
pub type PolicyModel<'a> = Policy<'a>;

impl<'a> Policy<'a> {
    /// Normalises any decoded policy value. Never fails: what is missing or malformed is simply
    /// absent from the model (KMS008 reports it from the same model).
    pub fn from_value(doc: &'a Value) -> Policy<'a> {
        let get = |k: &str| non_null(doc.as_object().and_then(|m| m.get(k)));
        let statement = get("Statement");
        let mut statements = Vec::new();
        let mut other_statements = Vec::new();
        if let Some(st) = statement {
            let items: Vec<&Value> = match &st.kind {
                Kind::Object(_) => vec![st],
                Kind::List(items) => items.iter().collect(),
                _ => vec![st],
            };
            for (i, item) in items.into_iter().enumerate() {
                if item.as_object().is_some() {
                    statements.push(Statement::from_value(i, item));
                } else {
                    other_statements.push(item);
                }
            }
        }
        Policy {
            doc,
            version: get("Version"),
            statement,
            statements,
            other_statements,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Action matching
// ---------------------------------------------------------------------------------------------

/// Longest pattern or action folded on the stack; longer ones use the heap.
const FOLD_STACK: usize = 128;

/// A case-folded character: ASCII bytes or `char`s.
trait Folded: Copy + Eq {
    const STAR: Self;
    const QUESTION: Self;
}
impl Folded for u8 {
    const STAR: u8 = b'*';
    const QUESTION: u8 = b'?';
}
impl Folded for char {
    const STAR: char = '*';
    const QUESTION: char = '?';
}

/// Runs `ascii` on both strings lower-cased into stack buffers when they are short ASCII (every
/// real action and pattern), `unicode` on their `char::to_lowercase` forms otherwise.
fn with_folded2<R>(
    a: &str,
    b: &str,
    ascii: impl FnOnce(&[u8], &[u8]) -> R,
    unicode: impl FnOnce(&[char], &[char]) -> R,
) -> R {
    if a.len() <= FOLD_STACK && b.len() <= FOLD_STACK && a.is_ascii() && b.is_ascii() {
        let (mut x, mut y) = ([0u8; FOLD_STACK], [0u8; FOLD_STACK]);
        for (d, c) in x.iter_mut().zip(a.bytes()) {
            *d = c.to_ascii_lowercase();
        }
        for (d, c) in y.iter_mut().zip(b.bytes()) {
            *d = c.to_ascii_lowercase();
        }
        ascii(&x[..a.len()], &y[..b.len()])
    } else {
        let x: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
        let y: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
        unicode(&x, &y)
    }
}

fn has_wildcard(s: &str) -> bool {
    s.bytes().any(|b| b == b'*' || b == b'?')
}

/// IAM wildcard match (`*` any run, `?` one character), case-insensitive.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    if !has_wildcard(pattern) {
        if pattern.is_ascii() && text.is_ascii() {
            return pattern.eq_ignore_ascii_case(text);
        }
        return with_folded2(pattern, text, |p, t| p == t, |p, t| p == t);
    }
    if pattern == "*" {
        return true;
    }
    with_folded2(pattern, text, match_folded::<u8>, match_folded::<char>)
}

fn match_folded<T: Folded>(p: &[T], t: &[T]) -> bool {
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == T::QUESTION || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == T::STAR {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == T::STAR {
        pi += 1;
    }
    pi == p.len()
}

/// Whether the pattern `general` covers every action the pattern `specific` covers
/// (`kms:*` covers `kms:Create*`; `kms:ReEncrypt*` covers `kms:ReEncryptFrom`), case-insensitive.
pub fn glob_covers(general: &str, specific: &str) -> bool {
    if general == "*" {
        return true;
    }
    if !has_wildcard(specific) {
        // A single action: covering is matching.
        return glob_match(general, specific);
    }
    if !has_wildcard(general) {
        // A single action never covers a pattern.
        return false;
    }
    // The common shape, `prefix*`: covering is the specific pattern starting with the prefix.
    if let Some(prefix) = general.strip_suffix('*') {
        if !has_wildcard(prefix) && prefix.is_ascii() && specific.is_ascii() {
            return specific.len() >= prefix.len()
                && specific.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes());
        }
    }
    with_folded2(
        general,
        specific,
        covers_folded::<u8>,
        covers_folded::<char>,
    )
}

fn covers_folded<T: Folded>(g: &[T], s: &[T]) -> bool {
    // next[j]: g[i+1..] covers s[j..]; cur[j]: g[i..] covers s[j..]. One row each, on the stack
    // for every real pattern.
    let n = s.len() + 1;
    let mut stack = [false; 2 * (FOLD_STACK + 1)];
    let mut heap = Vec::new();
    let rows: &mut [bool] = if 2 * n <= stack.len() {
        &mut stack[..2 * n]
    } else {
        heap.resize(2 * n, false);
        &mut heap
    };
    let (mut next, mut cur) = rows.split_at_mut(n);
    next[s.len()] = true;
    for i in (0..g.len()).rev() {
        for j in (0..=s.len()).rev() {
            cur[j] = if g[i] == T::STAR {
                next[j] || (j < s.len() && cur[j + 1])
            } else if g[i] == T::QUESTION {
                j < s.len() && s[j] != T::STAR && next[j + 1]
            } else {
                j < s.len() && s[j] == g[i] && next[j + 1]
            };
        }
        std::mem::swap(&mut next, &mut cur);
    }
    next[0]
}

/// Text of a string value with each unknown part replaced by `marker`; None if not a string.
pub(crate) fn text_with_marker(v: &Value, marker: &str) -> Option<String> {
    match &v.kind {
        Kind::String(s) => Some(s.clone()),
        Kind::Partial(parts) => Some(
            parts
                .iter()
                .map(|p| match p {
                    Part::Lit(s) => s.as_str(),
                    Part::Unknown(_) => marker,
                })
                .collect(),
        ),
        _ => None,
    }
}

/// Whether one `Action`/`NotAction` element matches `action`: unknown when the element is unknown,
/// or partially known and its known parts do not rule the action out.
pub fn action_matches(elem: &Value, action: &str) -> Tri {
    match &elem.kind {
        Kind::String(s) => Tri::from_bool(glob_match(s, action)),
        Kind::Partial(parts) => {
            let mut re = String::from("(?is)^");
            for p in parts {
                match p {
                    Part::Lit(s) => {
                        for c in s.chars() {
                            match c {
                                '*' => re.push_str(".*"),
                                '?' => re.push('.'),
                                c => re.push_str(&regex::escape(&c.to_string())),
                            }
                        }
                    }
                    Part::Unknown(_) => re.push_str(".*"),
                }
            }
            re.push('$');
            match Regex::new(&re) {
                Ok(r) if !r.is_match(action) => Tri::No,
                _ => Tri::Unknown,
            }
        }
        Kind::Unknown(_) => Tri::Unknown,
        _ => Tri::No,
    }
}

/// Whether any element of an `Action`/`NotAction` element (scalar or list) matches `action`.
pub fn action_list_matches(list: &Value, action: &str) -> Tri {
    Tri::any(
        list.as_items()
            .into_iter()
            .map(|a| action_matches(a, action)),
    )
}

/// Whether the statement (an Allow) covers `action`, regardless of principal and conditions.
/// `Deny` statements grant nothing; `NotAction` in an Allow grants every action it does not name.
pub fn grants(stmt: &Statement, action: &str) -> Tri {
    stmt.is_allow().and(covers_action(stmt, action))
}

/// Whether the statement's `Action`/`NotAction` covers `action`, whatever its effect.
pub fn covers_action(stmt: &Statement, action: &str) -> Tri {
    if let Some(a) = stmt.action {
        action_list_matches(a, action)
    } else if let Some(na) = stmt.not_action {
        action_list_matches(na, action).not()
    } else {
        Tri::No
    }
}

// ---------------------------------------------------------------------------------------------
// Principal classification
// ---------------------------------------------------------------------------------------------

/// Why a principal is a near miss of a Databricks principal.
#[derive(Debug, Clone, PartialEq)]
pub enum NearMissKind {
    /// A 12-digit account within the edit distance of a Databricks account.
    Typo { account: String, distance: usize },
    /// A Databricks account under the partition of another.
    WrongPartition { partition: String },
    /// A Databricks account with an ARN other than `:root` (a role, a user).
    NotRoot { resource: String },
}

/// What a principal is, relative to the Databricks principals.
#[derive(Debug, Clone, PartialEq)]
pub enum PrincipalClass {
    /// Exactly a Databricks principal (index into [`KmsData::principals`]); a bare account ID is
    /// its `:root` ARN; an ARN whose partition is unknown but whose account is a Databricks
    /// account's counts too.
    Databricks(usize),
    /// Almost a Databricks principal (KMS001); `expected` indexes the principal probably meant.
    NearMiss { expected: usize, kind: NearMissKind },
    /// `"*"` or `{"AWS": "*"}`.
    Wildcard,
    /// The root of another account (its ARN or bare ID).
    Account(String),
    /// Anything else: a role, a user, a service...
    Other,
    /// Not known statically; `maybe_databricks` says whether it could be a Databricks principal.
    Unknown { maybe_databricks: bool },
}

const MARK: &str = "\u{0}";

/// Classifies one principal entry.
pub fn classify_principal(
    p: &PrincipalRef,
    data: &KmsData,
    max_edit_distance: usize,
) -> PrincipalClass {
    match p.ptype {
        PrincipalType::Any => PrincipalClass::Wildcard,
        PrincipalType::Unknown => PrincipalClass::Unknown {
            maybe_databricks: true,
        },
        PrincipalType::Aws => classify_aws(p.value, data, max_edit_distance),
        _ => PrincipalClass::Other,
    }
}

/// Classifies an AWS principal value (ARN or account ID; possibly partial or unknown).
pub fn classify_aws(v: &Value, data: &KmsData, max_edit_distance: usize) -> PrincipalClass {
    if is_own_account(v) {
        // `data.aws_caller_identity.X.account_id` is the account that applies the configuration:
        // the customer's, never Databricks'.
        return PrincipalClass::Account("the deploying account (aws_caller_identity)".to_string());
    }
    let text = match &v.kind {
        // A null principal is an input that was given no value: it could become anything.
        Kind::Unknown(_) | Kind::Null => {
            return PrincipalClass::Unknown {
                maybe_databricks: true,
            }
        }
        Kind::Number(_) => v.to_tf_string(),
        Kind::Partial(parts) => Some(
            parts
                .iter()
                .map(|p| match p {
                    Part::Lit(s) => s.as_str(),
                    Part::Unknown(u) if is_caller_account(u) => CALLER,
                    Part::Unknown(_) => MARK,
                })
                .collect(),
        ),
        _ => text_with_marker(v, MARK),
    };
    let Some(text) = text else {
        return PrincipalClass::Other;
    };
    let text = text.trim();
    if text == "*" {
        return PrincipalClass::Wildcard;
    }
    if text.chars().all(|c| c == '\u{0}') {
        return PrincipalClass::Unknown {
            maybe_databricks: true,
        };
    }
    if is_account_id(text) {
        return classify_account(text, None, Some("root"), data, max_edit_distance);
    }
    if text.starts_with("arn:") {
        let fields: Vec<&str> = text.splitn(6, ':').collect();
        if fields.len() < 6 {
            return unknown_or_other(text, true);
        }
        let (partition, service, account, resource) = (fields[1], fields[2], fields[4], fields[5]);
        if account == CALLER {
            // An IAM principal of the account that deploys the configuration (a role created
            // here, `arn:aws:iam::${data.aws_caller_identity.x.account_id}:role/...`): the
            // customer's own account, never a Databricks account.
            return if resource == "root" {
                PrincipalClass::Account("the deploying account (aws_caller_identity)".to_string())
            } else {
                PrincipalClass::Other
            };
        }
        if account.contains(MARK) || account.contains(CALLER) {
            return PrincipalClass::Unknown {
                maybe_databricks: true,
            };
        }
        if service.contains(MARK) && is_account_id(account) {
            // "arn:aws:${x}::414351767826:root": which service is unknown.
            let databricks = data.principals.iter().any(|p| p.account_id == account);
            return PrincipalClass::Unknown {
                maybe_databricks: databricks,
            };
        }
        if !service.eq_ignore_ascii_case("iam") && !service.eq_ignore_ascii_case("sts") {
            return PrincipalClass::Other;
        }
        if !is_account_id(account) {
            return PrincipalClass::Other;
        }
        let partition = (!partition.contains(MARK)).then_some(partition);
        let resource = (!resource.contains(MARK)).then_some(resource);
        return classify_account(account, partition, resource, data, max_edit_distance);
    }
    // A string with unknown parts that is not recognisably an ARN: could be anything.
    unknown_or_other(text, true)
}

/// True when every unknown part of `v` is the `account_id` of `data.aws_caller_identity`.
fn is_own_account(v: &Value) -> bool {
    fn caller(u: &crate::value::Unknown) -> bool {
        is_caller_account(u)
    }
    match &v.kind {
        Kind::Unknown(u) => caller(u),
        Kind::Partial(parts) => {
            let mut any = false;
            for p in parts {
                if let crate::value::Part::Unknown(u) = p {
                    if !caller(u) {
                        return false;
                    }
                    any = true;
                }
            }
            any
        }
        _ => false,
    }
}

/// Whether an unknown is the account that deploys the configuration
/// (`data.aws_caller_identity.X.account_id`).
fn is_caller_account(u: &crate::value::Unknown) -> bool {
    matches!(u.reason, crate::value::Reason::CallerAccount(_))
        || u.reference
            .as_ref()
            .map(|r| r.address.contains("data.aws_caller_identity.") && r.attr == "account_id")
            .unwrap_or(false)
}

/// Marks the deploying account's unknown number in [`classify_aws`] texts.
const CALLER: &str = "\u{1}";

fn unknown_or_other(text: &str, maybe_databricks: bool) -> PrincipalClass {
    if text.contains(MARK) {
        PrincipalClass::Unknown { maybe_databricks }
    } else {
        PrincipalClass::Other
    }
}

/// A 12-digit AWS account ID.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `partition` / `resource` None: unknown. A bare account ID has no partition and resource `root`.
fn classify_account(
    account: &str,
    partition: Option<&str>,
    resource: Option<&str>,
    data: &KmsData,
    max_edit_distance: usize,
) -> PrincipalClass {
    if let Some(i) = data.principals.iter().position(|p| p.account_id == account) {
        let entry = &data.principals[i];
        let Some(resource) = resource else {
            return PrincipalClass::Unknown {
                maybe_databricks: true,
            };
        };
        if resource != "root" {
            return PrincipalClass::NearMiss {
                expected: i,
                kind: NearMissKind::NotRoot {
                    resource: resource.to_string(),
                },
            };
        }
        if let Some(p) = partition {
            if p != entry.partition {
                return PrincipalClass::NearMiss {
                    expected: i,
                    kind: NearMissKind::WrongPartition {
                        partition: p.to_string(),
                    },
                };
            }
        }
        return PrincipalClass::Databricks(i);
    }
    // Nearest Databricks account within the distance; same partition first on a tie.
    let mut best: Option<(usize, bool, usize)> = None; // (distance, other partition, index)
    for (i, p) in data.principals.iter().enumerate() {
        let d = strsim::levenshtein(account, &p.account_id);
        if d == 0 || d > max_edit_distance {
            continue;
        }
        let key = (d, partition.is_some_and(|x| x != p.partition), i);
        if best.is_none_or(|b| key < b) {
            best = Some(key);
        }
    }
    if let Some((distance, _, i)) = best {
        return PrincipalClass::NearMiss {
            expected: i,
            kind: NearMissKind::Typo {
                account: account.to_string(),
                distance,
            },
        };
    }
    match resource {
        Some("root") => PrincipalClass::Account(account.to_string()),
        Some(_) => PrincipalClass::Other,
        None => PrincipalClass::Unknown {
            maybe_databricks: false,
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------

/// The IAM condition operators (case-sensitive), without the `IfExists` suffix and set prefixes.
pub const BASE_CONDITION_OPERATORS: &[&str] = &[
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
];

/// Every valid condition operator: the base operators, each with `IfExists`, each of those with
/// `ForAnyValue:`/`ForAllValues:`, and `Null`.
/// Built once per process.
pub fn condition_operators() -> &'static [String] {
    static OPERATORS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    OPERATORS.get_or_init(|| {
        let mut out = vec!["Null".to_string()];
        for base in BASE_CONDITION_OPERATORS {
            for suffix in ["", "IfExists"] {
                for prefix in ["", "ForAnyValue:", "ForAllValues:"] {
                    out.push(format!("{prefix}{base}{suffix}"));
                }
            }
        }
        out
    })
}

/// Whether a condition value is true (`true` and `"true"` alike).
pub fn value_is_true(v: &Value) -> Tri {
    match &v.kind {
        Kind::Bool(b) => Tri::from_bool(*b),
        Kind::String(s) => Tri::from_bool(s.eq_ignore_ascii_case("true")),
        Kind::Unknown(_) | Kind::Partial(_) => Tri::Unknown,
        _ => Tri::No,
    }
}

/// Yes if some condition entry satisfies `pred`; unknown if none does but one is unknown (or a
/// part of `Condition` is unknown).
fn some_condition(stmt: &Statement, pred: impl Fn(&ConditionEntry) -> Tri) -> Tri {
    let t = Tri::any(stmt.conditions.iter().map(pred));
    if t == Tri::No && !stmt.unknown_conditions.is_empty() {
        Tri::Unknown
    } else {
        t
    }
}

/// `"Bool": {"kms:GrantIsForAWSResource": "true"}` (every value true; `true` == `"true"`).
pub fn grant_is_for_aws_resource(stmt: &Statement) -> Tri {
    some_condition(stmt, |c| {
        if c.operator != "Bool" || c.key_lc != "kms:grantisforawsresource" || c.values.is_empty() {
            return Tri::No;
        }
        Tri::all(c.values.iter().map(|v| value_is_true(v)))
    })
}

/// A `kms:ViaService` value that names one service (`ec2.*.amazonaws.com`,
/// `ec2.us-east-1.amazonaws.com`): no wildcard in the service name, an AWS service domain.
pub fn via_service_value_limits(v: &Value) -> Tri {
    match &v.kind {
        Kind::String(s) => {
            let s = s.to_ascii_lowercase();
            let service = s.split('.').next().unwrap_or("");
            let ok = !service.is_empty()
                && !service.contains(['*', '?'])
                && (s.ends_with(".amazonaws.com") || s.ends_with(".amazonaws.com.cn"));
            Tri::from_bool(ok)
        }
        Kind::Unknown(_) | Kind::Partial(_) => Tri::Unknown,
        _ => Tri::No,
    }
}

/// `kms:ViaService` limited to a service under `StringLike`/`StringEquals` or their
/// `ForAnyValue:` forms (which, on the single-valued key, behave the same in an Allow).
/// `ForAllValues:` and `...IfExists` do not limit (true when the key is absent).
pub fn via_service_limited(stmt: &Statement) -> Tri {
    some_condition(stmt, |c| {
        let op_ok = matches!(
            c.operator,
            "StringLike" | "StringEquals" | "ForAnyValue:StringLike" | "ForAnyValue:StringEquals"
        );
        if !op_ok || c.key_lc != "kms:viaservice" || c.values.is_empty() {
            return Tri::No;
        }
        Tri::all(c.values.iter().map(|v| via_service_value_limits(v)))
    })
}

/// Whether an operator is a positive `String*`/`Arn*` match (optionally `ForAnyValue:`), not
/// negated and not `IfExists`.
pub fn is_positive_match_operator(op: &str) -> bool {
    let base = op.strip_prefix("ForAnyValue:").unwrap_or(op);
    matches!(
        base,
        "StringEquals" | "StringEqualsIgnoreCase" | "StringLike" | "ArnEquals" | "ArnLike"
    )
}

/// A restricting condition (KMS006): a positive `String*`/`Arn*` operator on one of `keys`
/// (compared case-insensitively) whose values are all known and contain no wildcard.
pub fn restricting_condition(stmt: &Statement, keys: &[String]) -> Tri {
    some_condition(stmt, |c| {
        if !is_positive_match_operator(c.operator)
            || !keys.iter().any(|k| k.eq_ignore_ascii_case(c.key))
            || c.values.is_empty()
        {
            return Tri::No;
        }
        Tri::all(c.values.iter().map(|v| match &v.kind {
            Kind::String(s) => Tri::from_bool(!s.is_empty() && !s.contains(['*', '?'])),
            Kind::Number(_) => Tri::Yes,
            Kind::Partial(parts) => {
                // A known wildcard already defeats it; otherwise it depends on the unknown part.
                let lit_wild = parts
                    .iter()
                    .any(|p| matches!(p, Part::Lit(s) if s.contains(['*', '?'])));
                if lit_wild {
                    Tri::No
                } else {
                    Tri::Unknown
                }
            }
            Kind::Unknown(_) => Tri::Unknown,
            _ => Tri::No,
        }))
    })
}

#[cfg(test)]
mod tests;
