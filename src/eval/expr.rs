//! Expressions: what each HCL expression evaluates to in a module instance.

use super::module::{CallResult, ModuleInst};
use super::{limits, Segment, TextMap};
use crate::source::{FileId, Location, SpanFile};
use crate::value::{HopPath, Kind, ObjMap, Origin, Part, Reason, ResourceRef, Unknown, Value};
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::Span;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

/// The label of the hop a `for` expression's result gets: where its collection was written.
pub const FOR_COLLECTION: &str = "the collection this `for` iterates over is written here";

/// An error Terraform itself would report (undeclared reference, wrong type). Callers turn it
/// into an unknown value with the message as reason.
#[derive(Debug, Clone)]
pub struct EvalError {
    pub loc: Location,
    pub message: String,
}

impl EvalError {
    pub fn new(loc: Location, message: impl Into<String>) -> Self {
        EvalError {
            loc,
            message: message.into(),
        }
    }
    /// The error as an unknown value located where it happened (what a rule then reports as
    /// EVAL001 if it needs the value).
    pub fn into_unknown(self) -> Value {
        let loc = self.loc;
        self.into_bare_unknown().at(loc)
    }
    /// The error as an unknown value without an origin of its own (hops added by the caller
    /// give it one).
    pub fn into_bare_unknown(self) -> Value {
        Value::unknown(Unknown {
            reason: Reason::Other(self.message),
            loc: Some(self.loc),
            reference: None,
        })
    }
}

/// What names mean where an expression is evaluated.
#[derive(Clone)]
pub(crate) struct Scope<'a> {
    pub module: &'a ModuleInst,
    /// File the expression is written in, and where the spans of its tree start in it.
    pub file: SpanFile,
    /// Only local names (templatefile, tfvars): no `var.`, `local.`, resources or modules.
    pub restricted: bool,
    vars: Rc<Vec<(String, Value)>>,
    count: Option<Value>,
    each: Option<(Value, Value)>,
}

impl<'a> Scope<'a> {
    pub fn module(m: &'a ModuleInst, file: SpanFile) -> Self {
        Scope {
            module: m,
            file,
            restricted: false,
            vars: Rc::new(Vec::new()),
            count: None,
            each: None,
        }
    }
    /// The scope of one instance of a block with `count`/`for_each`.
    pub fn instance(
        m: &'a ModuleInst,
        file: SpanFile,
        count: Option<Value>,
        each: Option<(Value, Value)>,
    ) -> Self {
        Scope {
            count,
            each,
            ..Scope::module(m, file)
        }
    }
    pub fn template(m: &'a ModuleInst, file: SpanFile) -> Self {
        Scope {
            restricted: true,
            ..Scope::module(m, file)
        }
    }
    pub fn with_count(&self, index: Value) -> Self {
        let mut s = self.clone();
        s.count = Some(index);
        s
    }
    pub fn with_each(&self, key: Value, value: Value) -> Self {
        self.clone().with_each_owned(key, value)
    }
    pub fn with_each_owned(mut self, key: Value, value: Value) -> Self {
        self.each = Some((key, value));
        self
    }
    pub fn with_var(&self, name: &str, v: Value) -> Self {
        let mut s = self.clone();
        let mut vars = (*s.vars).clone();
        vars.push((name.to_string(), v));
        s.vars = Rc::new(vars);
        s
    }
    fn lookup(&self, name: &str) -> Option<&Value> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
    fn loc(&self, span: Option<std::ops::Range<usize>>) -> Location {
        self.file.loc(span)
    }
    /// A reference at `loc` up to the end of one of its operators (`span`; all of `loc` when
    /// the operator has none).
    fn up_to(&self, loc: Location, span: Option<std::ops::Range<usize>>) -> Location {
        let end = span.map_or(loc.end as usize, |s| self.file.pos(s.end));
        Location::new(self.file.file, loc.start as usize..end)
    }
}

fn unknown_at(reason: Reason, loc: Location) -> Value {
    Value::unknown(Unknown {
        reason,
        loc: Some(loc),
        reference: None,
    })
    .at(loc)
}

fn unknown_ref(reference: ResourceRef, loc: Location) -> Value {
    Value::unknown(Unknown {
        reason: Reason::AfterApply(reference.clone()),
        loc: Some(loc),
        reference: Some(reference),
    })
    .at(loc)
}

/// Pieces of a template result while it is built.
#[derive(Default)]
struct TemplateOut {
    parts: Vec<Part>,
    /// (byte range in the literal text so far, source location, linear)
    segments: Vec<Segment>,
    len: usize,
    /// Where interpolated values were written (for the value chain of findings).
    from: Vec<Origin>,
    /// Number of interpolations.
    interps: usize,
    /// The interpolated values in `from` are all known.
    from_known: bool,
    /// Unknown parts so far (counting them in `parts` on every push was quadratic).
    unknowns: usize,
}

impl TemplateOut {
    fn push_lit(&mut self, s: &str, seg: Option<(Location, bool)>) {
        if s.is_empty() {
            return;
        }
        if let Some((loc, linear)) = seg {
            self.segments.push(Segment {
                start: self.len,
                end: self.len + s.len(),
                loc,
                linear,
            });
        }
        self.len += s.len();
        if let Some(Part::Lit(last)) = self.parts.last_mut() {
            last.push_str(s);
        } else {
            self.parts.push(Part::Lit(s.to_string()));
        }
    }
    fn push_unknown(&mut self, u: Arc<Unknown>, loc: Location) {
        // A placeholder in the placeholder text takes a few bytes; segments use the placeholder
        // form, so count them as placeholder_text does.
        let idx = self.unknowns;
        self.unknowns += 1;
        let ph_len = crate::json::PLACEHOLDER_START.len_utf8()
            + idx.to_string().len()
            + crate::json::PLACEHOLDER_END.len_utf8();
        self.segments.push(Segment {
            start: self.len,
            end: self.len + ph_len,
            loc,
            linear: false,
        });
        self.len += ph_len;
        self.parts.push(Part::Unknown(u));
    }
    fn push_value(&mut self, v: &Value, loc: Location) -> Result<(), String> {
        self.interps += 1;
        if v.loc().is_some() && v.loc() != Some(loc) && self.from.len() < 4 {
            if self.from.is_empty() {
                self.from_known = true;
            }
            self.from_known &= v.is_known();
            self.from.push(v.origin.clone());
        }
        match &v.kind {
            Kind::String(s) => {
                let seg = v.loc().map(|l| (l, false)).unwrap_or((loc, false));
                self.push_lit(s, Some(seg));
            }
            Kind::Number(_) | Kind::Bool(_) => {
                let s = v.to_tf_string().unwrap_or_default();
                self.push_lit(&s, Some((v.loc().unwrap_or(loc), false)));
            }
            Kind::Partial(parts) => {
                for p in parts {
                    match p {
                        Part::Lit(s) => self.push_lit(s, Some((v.loc().unwrap_or(loc), false))),
                        Part::Unknown(u) => self.push_unknown(u.clone(), v.loc().unwrap_or(loc)),
                    }
                }
            }
            Kind::Unknown(u) => self.push_unknown(u.clone(), loc),
            Kind::Null => return Err("cannot include a null value in a string template".into()),
            Kind::List(_) | Kind::Object(_) => {
                return Err(format!(
                    "cannot include a {} value in a string template: only strings, numbers and bools can be interpolated",
                    v.type_name()
                ))
            }
        }
        if self.len > limits::MAX_STRING {
            return Err("__limit__".into());
        }
        Ok(())
    }
    /// Whether the one interpolated value (written at `at`) is a whole field of the result:
    /// between the string's ends, `:` or `/` (an ARN's account, a path segment).
    fn is_field(&self, at: Location) -> bool {
        let Some(seg) = self.segments.iter().find(|s| s.loc == at) else {
            return false;
        };
        let text: String = self
            .parts
            .iter()
            .map(|p| match p {
                Part::Lit(s) => s.as_str(),
                Part::Unknown(_) => "\u{0}",
            })
            .collect();
        let (Some(before), Some(after)) = (text.get(..seg.start), text.get(seg.end..)) else {
            return false;
        };
        let sep = |c: Option<char>| matches!(c, None | Some(':') | Some('/'));
        sep(before.chars().next_back()) && sep(after.chars().next())
    }

    fn finish(self, mut origin: Origin, promote: &dyn Fn(Location) -> bool) -> (Value, TextMap) {
        if self.interps == 1
            && self.from.len() == 1
            && self.from_known
            && self.from[0].loc().map(promote).unwrap_or(false)
            && self.from[0]
                .loc()
                .map(|l| self.is_field(l))
                .unwrap_or(false)
        {
            // `"arn:aws:iam::${var.account}:root"`: the one value that came from elsewhere (a
            // tfvars line, a variable default, a module input) is a whole field of the string and
            // the place to change, so it becomes the primary location; the string that used it is
            // a hop. A string composed around it (`"${local.prefix}-egress"`) stays at the
            // template, with the parts as related locations.
            if let (Some(here), Some(_)) = (origin.loc(), self.from[0].loc()) {
                let o = self.from[0].with_hop(here, "interpolated into this string");
                let map = TextMap {
                    segments: self.segments,
                };
                return (Self::value_of(self.parts, o), map);
            }
        }
        for o in &self.from {
            if let Some(l) = o.loc() {
                origin = origin.with_hop(l, "an interpolated value was written here");
            }
            for h in o.hops() {
                origin = origin.with_hop(h.loc, h.label.clone());
            }
        }
        let map = TextMap {
            segments: self.segments,
        };
        (Self::value_of(self.parts, origin), map)
    }

    fn value_of(parts: Vec<Part>, origin: Origin) -> Value {
        let kind = if parts.iter().all(|p| matches!(p, Part::Lit(_))) {
            Kind::String(
                parts
                    .into_iter()
                    .map(|p| match p {
                        Part::Lit(s) => s,
                        Part::Unknown(_) => String::new(),
                    })
                    .collect(),
            )
        } else {
            Kind::Partial(parts)
        };
        Value::new(kind, origin)
    }
}

/// Splits a literal of a template into segments that map one-to-one onto the source text where
/// the literal's lines can be found there (heredocs after dedent, strings without escapes).
fn literal_segments(
    src: &str,
    span: std::ops::Range<usize>,
    lit: &str,
    file: FileId,
) -> Vec<(usize, usize, Location, bool)> {
    let mut out = Vec::new();
    let Some(region) = src.get(span.clone()) else {
        out.push((0, lit.len(), Location::new(file, span), false));
        return out;
    };
    let mut pos = 0usize; // in region
    let mut start = 0usize; // in lit
    for line in lit.split_inclusive('\n') {
        let end = start + line.len();
        match region.get(pos..).and_then(|r| find_line(r, line)) {
            Some(i) if !line.is_empty() => {
                let abs = span.start + pos + i;
                out.push((start, end, Location::new(file, abs..abs + line.len()), true));
                pos += i + line.len();
            }
            _ => out.push((start, end, Location::new(file, span.clone()), false)),
        }
        start = end;
    }
    out
}

/// `r.find(line)`, without building a searcher when `line` starts right after the indentation
/// of `r` (every line of a heredoc). A line that does not start with a space or tab cannot occur
/// inside that indentation, so the first occurrence is the one after it.
fn find_line(r: &str, line: &str) -> Option<usize> {
    if !line.starts_with([' ', '\t']) {
        let indent = r.len() - r.trim_start_matches([' ', '\t']).len();
        if r[indent..].starts_with(line) {
            return Some(indent);
        }
    }
    r.find(line)
}

impl<'l> super::module::Ev<'l> {
    /// Evaluates an expression.
    pub fn eval(&self, expr: &Expression, scope: &Scope) -> Result<Value, EvalError> {
        let loc = scope.loc(expr.span());
        if !self.step() {
            return Ok(unknown_at(
                Reason::Limit("the evaluation step budget of this module is spent".into()),
                loc,
            ));
        }
        let d = self.depth.get();
        if d >= limits::MAX_EVAL_DEPTH {
            return Ok(unknown_at(
                Reason::Limit(format!(
                    "expressions nest deeper than {} levels",
                    limits::MAX_EVAL_DEPTH
                )),
                loc,
            ));
        }
        self.depth.set(d + 1);
        let r = self.eval_inner(expr, scope, loc);
        self.depth.set(d);
        r
    }

    fn eval_inner(
        &self,
        expr: &Expression,
        scope: &Scope,
        loc: Location,
    ) -> Result<Value, EvalError> {
        Ok(match expr {
            Expression::Null(_) => Value::null().at(loc),
            Expression::Bool(b) => Value::bool(*b.value()).at(loc),
            Expression::Number(n) => match n.as_f64() {
                Some(f) => Value::number(f).at(loc),
                None => return Err(EvalError::new(loc, "invalid number")),
            },
            Expression::String(s) => Value::string(s.value().clone()).at(loc),
            Expression::Array(a) => {
                let mut items = Vec::with_capacity(a.len());
                for e in a.iter() {
                    items.push(self.eval(e, scope)?);
                }
                Value::list(items).at(loc)
            }
            Expression::Object(o) => {
                let mut map = ObjMap::new();
                for (k, v) in o.iter() {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(e) => {
                            let kv = self.eval(e, scope)?;
                            match kv.to_tf_string() {
                                Some(s) => s,
                                None if kv.is_unknown() || matches!(kv.kind, Kind::Partial(_)) => {
                                    let u = kv.first_unknown().cloned().unwrap_or(Unknown::new(
                                        Reason::Other("object key is unknown".into()),
                                    ));
                                    return Ok(Value::unknown(u).at(loc));
                                }
                                None => {
                                    return Err(EvalError::new(
                                        scope.loc(e.span()),
                                        format!(
                                            "object key must be a string, not {}",
                                            kv.type_name()
                                        ),
                                    ))
                                }
                            }
                        }
                    };
                    let val = self.eval(v.expr(), scope)?;
                    map.insert(key, val);
                }
                Value::object(map).at(loc)
            }
            Expression::StringTemplate(t) => self.eval_template(t, scope, loc, false)?,
            Expression::HeredocTemplate(h) => self.eval_template(&h.template, scope, loc, true)?,
            Expression::Parenthesis(p) => self.eval(p.inner(), scope)?,
            Expression::Variable(v) => {
                let name = v.as_str();
                match scope.lookup(name) {
                    Some(val) => val.clone(),
                    None => match name {
                        "count" | "each" | "var" | "local" | "module" | "data" | "path"
                        | "terraform" | "self" => {
                            return Err(EvalError::new(
                                loc,
                                format!(
                                    "`{name}` cannot be used on its own; it needs an attribute"
                                ),
                            ))
                        }
                        _ => return Err(EvalError::new(loc, format!("unknown variable `{name}`"))),
                    },
                }
            }
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr, scope)?;
                // An unknown condition bound to one branch in this evaluation (the engine decides
                // over both branches: see `Unit::finite_inputs`).
                let choice = if cond.first_unknown().is_some() && truthy(&cond).is_none() {
                    let at = scope.loc(c.cond_expr.span());
                    let text = self.source_text(at);
                    let branches = [
                        scope.loc(c.true_expr.span()),
                        scope.loc(c.false_expr.span()),
                    ];
                    let key = super::choice_key(at, branches, &text);
                    let bound = self.opts.world.iter().find(|(k, _)| *k == key);
                    match bound {
                        Some((_, v)) => truthy(v),
                        None => {
                            let mut unit = self.unit.borrow_mut();
                            if !unit.finite_inputs.iter().any(|(k, _)| *k == key) {
                                unit.finite_inputs
                                    .push((key, vec![Value::bool(true), Value::bool(false)]));
                            }
                            None
                        }
                    }
                } else {
                    None
                };
                match truthy(&cond).or(choice) {
                    Some(true) => self.eval(&c.true_expr, scope)?,
                    Some(false) => self.eval(&c.false_expr, scope)?,
                    None => {
                        // Both branches known and equal: the value whatever the condition.
                        let mut refs = Vec::new();
                        if cond.first_unknown().is_some() {
                            let t = self.eval(&c.true_expr, scope);
                            let f = self.eval(&c.false_expr, scope);
                            if let (Ok(t), Ok(f)) = (&t, &f) {
                                if t.is_known() && values_equal(t, f) == Some(true) {
                                    return Ok(t.clone());
                                }
                                // Which resources the value may stand for: every branch is a
                                // resource attribute or null.
                                let branch = |v: &Value| v.reference().cloned().ok_or(v.is_null());
                                refs = match (branch(t), branch(f)) {
                                    (Ok(a), Ok(b)) => vec![a, b],
                                    (Ok(a), Err(true)) | (Err(true), Ok(a)) => vec![a],
                                    _ => vec![],
                                };
                            }
                        }
                        if let Some(u) = cond.first_unknown() {
                            Value::unknown(Unknown {
                                reason: Reason::Choice {
                                    condition: Box::new(u.reason.clone()),
                                    refs,
                                },
                                loc: u.loc.or(Some(scope.loc(c.cond_expr.span()))),
                                reference: None,
                            })
                            .at(loc)
                        } else {
                            return Err(EvalError::new(
                                scope.loc(c.cond_expr.span()),
                                format!("the condition must be a bool, not {}", cond.type_name()),
                            ));
                        }
                    }
                }
            }
            Expression::FuncCall(f) => self.eval_call(f, scope, loc)?,
            Expression::Traversal(t) => self.eval_traversal(&t.expr, &t.operators, scope, loc)?,
            Expression::UnaryOp(u) => {
                let v = self.eval(&u.expr, scope)?;
                if let Some(uk) = v.first_unknown() {
                    if !v.is_known() {
                        return Ok(Value::unknown(uk.clone()).at(loc));
                    }
                }
                match u.operator.value() {
                    UnaryOperator::Neg => match to_number(&v) {
                        Some(n) => Value::number(-n).at(loc),
                        None => return Err(EvalError::new(loc, "`-` needs a number")),
                    },
                    UnaryOperator::Not => match truthy(&v) {
                        Some(b) => Value::bool(!b).at(loc),
                        None => return Err(EvalError::new(loc, "`!` needs a bool")),
                    },
                }
            }
            Expression::BinaryOp(b) => self.eval_binary(b, scope, loc)?,
            Expression::ForExpr(f) => self.eval_for(f, scope, loc)?,
        })
    }

    /// The source text at `at`, on one line (runs of whitespace as one space), for messages.
    fn source_text(&self, at: Location) -> String {
        let file = self.loader.sources.get(at.file);
        let text = file.text.get(at.range()).unwrap_or("");
        let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if one.chars().count() > 80 {
            format!("{}…", one.chars().take(79).collect::<String>())
        } else {
            one
        }
    }

    fn eval_binary(
        &self,
        b: &hcl_edit::expr::BinaryOp,
        scope: &Scope,
        loc: Location,
    ) -> Result<Value, EvalError> {
        let op = *b.operator.value();
        let l = self.eval(&b.lhs_expr, scope)?;
        // Short-circuit logic keeps a known answer when one side decides it.
        if matches!(op, BinaryOperator::And | BinaryOperator::Or) {
            let lb = truthy(&l);
            if op == BinaryOperator::And && lb == Some(false) {
                return Ok(Value::bool(false).at(loc));
            }
            if op == BinaryOperator::Or && lb == Some(true) {
                return Ok(Value::bool(true).at(loc));
            }
            let r = self.eval(&b.rhs_expr, scope)?;
            let rb = truthy(&r);
            return Ok(match (lb, rb) {
                (Some(x), Some(y)) => Value::bool(if op == BinaryOperator::And {
                    x && y
                } else {
                    x || y
                })
                .at(loc),
                (_, Some(false)) if op == BinaryOperator::And => Value::bool(false).at(loc),
                (_, Some(true)) if op == BinaryOperator::Or => Value::bool(true).at(loc),
                _ => {
                    let u = l.first_unknown().or(r.first_unknown()).cloned();
                    match u {
                        Some(u) => Value::unknown(u).at(loc),
                        None => return Err(EvalError::new(loc, "logical operators need bools")),
                    }
                }
            });
        }
        let r = self.eval(&b.rhs_expr, scope)?;
        if matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq) {
            return Ok(match values_equal(&l, &r) {
                Some(eq) => Value::bool(if op == BinaryOperator::Eq { eq } else { !eq }).at(loc),
                None => {
                    let u = l.first_unknown().or(r.first_unknown()).cloned();
                    Value::unknown(u.unwrap_or(Unknown::new(Reason::Other(
                        "comparison of unknown values".into(),
                    ))))
                    .at(loc)
                }
            });
        }
        if !l.is_known() || !r.is_known() {
            let u = l.first_unknown().or(r.first_unknown()).cloned();
            return Ok(Value::unknown(
                u.unwrap_or(Unknown::new(Reason::Other("unknown operand".into()))),
            )
            .at(loc));
        }
        let (Some(x), Some(y)) = (to_number(&l), to_number(&r)) else {
            return Err(EvalError::new(
                loc,
                format!(
                    "`{}` needs numbers, found {} and {}",
                    op.as_str(),
                    l.type_name(),
                    r.type_name()
                ),
            ));
        };
        Ok(match op {
            BinaryOperator::Plus => Value::number(x + y),
            BinaryOperator::Minus => Value::number(x - y),
            BinaryOperator::Mul => Value::number(x * y),
            BinaryOperator::Div => {
                if y == 0.0 {
                    return Err(EvalError::new(loc, "division by zero"));
                }
                Value::number(x / y)
            }
            BinaryOperator::Mod => {
                if y == 0.0 {
                    return Err(EvalError::new(loc, "modulo by zero"));
                }
                Value::number(x % y)
            }
            BinaryOperator::Less => Value::bool(x < y),
            BinaryOperator::LessEq => Value::bool(x <= y),
            BinaryOperator::Greater => Value::bool(x > y),
            BinaryOperator::GreaterEq => Value::bool(x >= y),
            _ => unreachable!("handled above"),
        }
        .at(loc))
    }

    fn eval_for(
        &self,
        f: &hcl_edit::expr::ForExpr,
        scope: &Scope,
        loc: Location,
    ) -> Result<Value, EvalError> {
        let coll = self.eval(&f.intro.collection_expr, scope)?;
        let items: Vec<(Value, Value)> = match &coll.kind {
            Kind::List(_) | Kind::Object(_) => iteration_items(&coll).unwrap_or_default(),
            Kind::Unknown(u) => return Ok(Value::unknown((**u).clone()).at(loc)),
            Kind::Null => {
                return Err(EvalError::new(
                    loc,
                    "a for expression cannot iterate over null",
                ))
            }
            _ => {
                return Err(EvalError::new(
                    loc,
                    format!(
                        "a for expression needs a list, set, map or object, not {}",
                        coll.type_name()
                    ),
                ))
            }
        };
        if items.len() > limits::MAX_ITERATIONS {
            return Ok(unknown_at(
                Reason::Limit("a for expression over too many elements".into()),
                loc,
            ));
        }
        let kname = f.intro.key_var.as_ref().map(|k| k.as_str().to_string());
        let vname = f.intro.value_var.as_str().to_string();
        let mut list = Vec::new();
        let mut obj: ObjMap = ObjMap::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (k, v) in items {
            let mut s = scope.with_var(&vname, v);
            if let Some(kn) = &kname {
                s = s.with_var(kn, k);
            }
            if let Some(c) = &f.cond {
                let cv = self.eval(&c.expr, &s)?;
                match truthy(&cv) {
                    Some(true) => {}
                    Some(false) => continue,
                    None => {
                        let u = cv
                            .first_unknown()
                            .cloned()
                            .unwrap_or(Unknown::new(Reason::Other(
                                "the `if` clause of a for expression must be a bool".into(),
                            )));
                        return Ok(Value::unknown(u).at(loc));
                    }
                }
            }
            let val = self.eval(&f.value_expr, &s)?;
            match &f.key_expr {
                None => list.push(val),
                Some(ke) => {
                    let kv = self.eval(ke, &s)?;
                    let Some(key) = kv.to_tf_string() else {
                        let u = kv
                            .first_unknown()
                            .cloned()
                            .unwrap_or(Unknown::new(Reason::Other(
                                "for expression key must be a string".into(),
                            )));
                        return Ok(Value::unknown(u).at(loc));
                    };
                    if f.grouping {
                        groups.entry(key).or_default().push(val);
                    } else {
                        if obj.contains_key(&key) {
                            return Err(EvalError::new(
                                loc,
                                format!("duplicate object key {key:?} in for expression; use `...` to group"),
                            ));
                        }
                        obj.insert(key, val);
                    }
                }
            }
        }
        // The result remembers where the collection it iterated over was written (a tfvars
        // list, a variable default), so tools that edit the configuration can find the list
        // that feeds it even when it is empty.
        let iterated = |v: Value| -> Value {
            match coll.loc() {
                Some(cl) if cl != loc => {
                    let origin = v.origin.with_hop(cl, FOR_COLLECTION);
                    v.with_origin(origin)
                }
                _ => v,
            }
        };
        Ok(iterated(if f.key_expr.is_none() {
            Value::list(list).at(loc)
        } else if f.grouping {
            Value::object(
                groups
                    .into_iter()
                    .map(|(k, v)| (k, Value::list(v)))
                    .collect(),
            )
            .at(loc)
        } else {
            Value::object(obj).at(loc)
        }))
    }

    /// Evaluates a template (quoted string or heredoc). A template that is a single
    /// interpolation returns the interpolated value itself, as HCL does.
    fn eval_template(
        &self,
        t: &Template,
        scope: &Scope,
        loc: Location,
        record_map: bool,
    ) -> Result<Value, EvalError> {
        let elems: Vec<&Element> = t.iter().collect();
        if elems.len() == 1 {
            if let Element::Interpolation(i) = elems[0] {
                return self.eval(&i.expr, scope);
            }
        }
        let mut out = TemplateOut::default();
        let src: Arc<str> = match self.loader.sources.try_get(scope.file.file) {
            Some(f) => f.text.clone(),
            None => Arc::from(""),
        };
        if let Err(e) = self.render_template(t, scope, &src, &mut out) {
            if e.message == "__limit__" {
                return Ok(unknown_at(
                    Reason::Limit("a string grew beyond 16 MiB".into()),
                    loc,
                ));
            }
            return Err(e);
        }
        // Values from the command line (`--var`) have no file to point at: keep the string.
        let sources = &self.loader.sources;
        let in_a_file = |l: Location| {
            !record_map
                && sources
                    .try_get(l.file)
                    .map(|f| !f.path.to_string_lossy().starts_with('<'))
                    .unwrap_or(false)
        };
        let (v, map) = out.finish(Origin::at(loc), &in_a_file);
        if record_map {
            self.record_text_map(&v, map);
        }
        Ok(v)
    }

    pub(crate) fn record_text_map(&self, v: &Value, map: TextMap) {
        if let Some((text, _)) = super::placeholder_text(v) {
            let t = text.trim_start();
            if t.starts_with('{') || t.starts_with('[') || t.starts_with('"') {
                self.unit.borrow_mut().text_maps.insert(text, map);
            }
        }
    }

    fn render_template(
        &self,
        t: &Template,
        scope: &Scope,
        src: &str,
        out: &mut TemplateOut,
    ) -> Result<(), EvalError> {
        for e in t.iter() {
            match e {
                Element::Literal(l) => match l.span() {
                    Some(span) => {
                        for (a, b, loc, linear) in literal_segments(
                            src,
                            scope.file.shift(span),
                            l.value(),
                            scope.file.file,
                        ) {
                            out.push_lit(&l.value()[a..b], Some((loc, linear)));
                        }
                    }
                    None => out.push_lit(l.value(), None),
                },
                Element::Interpolation(i) => {
                    let v = self.eval(&i.expr, scope)?;
                    let iloc = scope.loc(i.expr.span());
                    out.push_value(&v, iloc)
                        .map_err(|m| EvalError::new(iloc, m))?;
                }
                Element::Directive(d) => match &**d {
                    Directive::If(ifd) => {
                        let c = self.eval(&ifd.if_expr.cond_expr, scope)?;
                        match truthy(&c) {
                            Some(true) => {
                                self.render_template(&ifd.if_expr.template, scope, src, out)?
                            }
                            Some(false) => {
                                if let Some(e) = &ifd.else_expr {
                                    self.render_template(&e.template, scope, src, out)?;
                                }
                            }
                            None => {
                                let u = c.first_unknown().cloned().unwrap_or(Unknown::new(
                                    Reason::Other("the %{if} condition must be a bool".into()),
                                ));
                                out.push_unknown(
                                    Arc::new(u),
                                    scope.loc(ifd.if_expr.cond_expr.span()),
                                );
                            }
                        }
                    }
                    Directive::For(fd) => {
                        let fe = &fd.for_expr;
                        let coll = self.eval(&fe.collection_expr, scope)?;
                        let items: Vec<(Value, Value)> = match iteration_items(&coll) {
                            Some(items) => items,
                            None => {
                                let u = coll.first_unknown().cloned().unwrap_or(Unknown::new(
                                    Reason::Other(format!(
                                        "%{{for}} needs a collection, not {}",
                                        coll.type_name()
                                    )),
                                ));
                                out.push_unknown(Arc::new(u), scope.loc(fe.collection_expr.span()));
                                continue;
                            }
                        };
                        for (k, v) in items.into_iter().take(limits::MAX_ITERATIONS) {
                            let mut s = scope.with_var(fe.value_var.as_str(), v);
                            if let Some(kv) = &fe.key_var {
                                s = s.with_var(kv.as_str(), k);
                            }
                            self.render_template(&fe.template, &s, src, out)?;
                            if out.len > limits::MAX_STRING {
                                return Err(EvalError::new(
                                    scope.loc(fe.collection_expr.span()),
                                    "__limit__",
                                ));
                            }
                        }
                    }
                },
            }
        }
        Ok(())
    }

    // ---------------------------------------------------------------- functions

    fn eval_call(
        &self,
        f: &hcl_edit::expr::FuncCall,
        scope: &Scope,
        loc: Location,
    ) -> Result<Value, EvalError> {
        let name = f.name.name.as_str().to_string();
        if f.name.is_namespaced() {
            let full = f
                .name
                .namespace
                .iter()
                .map(|n| n.as_str())
                .chain(std::iter::once(name.as_str()))
                .collect::<Vec<_>>()
                .join("::");
            return Ok(unknown_at(Reason::Function(full), loc));
        }
        let exprs: Vec<&Expression> = f.args.iter().collect();
        match name.as_str() {
            "try" => {
                let mut last = None;
                for e in &exprs {
                    match self.eval(e, scope) {
                        Ok(v) => return Ok(v),
                        Err(err) => last = Some(err),
                    }
                }
                return Err(
                    last.unwrap_or_else(|| EvalError::new(loc, "try needs at least one argument"))
                );
            }
            "can" => {
                let Some(e) = exprs.first() else {
                    return Err(EvalError::new(loc, "can needs one argument"));
                };
                return Ok(match self.eval(e, scope) {
                    Ok(v) if !v.is_known() => match v.first_unknown() {
                        Some(u) => Value::unknown(u.clone()).at(loc),
                        None => Value::bool(true).at(loc),
                    },
                    Ok(_) => Value::bool(true).at(loc),
                    Err(_) => Value::bool(false).at(loc),
                });
            }
            _ => {}
        }
        let mut args = Vec::with_capacity(exprs.len());
        for e in &exprs {
            args.push(self.eval(e, scope)?);
        }
        if f.args.expand_final() {
            if let Some(last) = args.pop() {
                match &last.kind {
                    Kind::List(items) => args.extend(items.iter().cloned()),
                    Kind::Unknown(u) => return Ok(Value::unknown((**u).clone()).at(loc)),
                    _ => return Err(EvalError::new(loc, "`...` expands only a list")),
                }
            }
        }
        match name.as_str() {
            "file" | "templatefile" | "fileexists" => {
                return self.eval_file_fn(&name, args, scope, loc)
            }
            "jsondecode" => {
                let Some(a) = args.first() else {
                    return Err(EvalError::new(loc, "jsondecode needs one argument"));
                };
                if let Kind::Unknown(u) = &a.kind {
                    return Ok(Value::unknown((**u).clone()).at(loc));
                }
                let unit = self.unit.borrow();
                return match unit.decode_json(a) {
                    Ok(v) => Ok(v),
                    Err(e) => Err(EvalError::new(
                        e.loc.unwrap_or(loc),
                        format!("jsondecode: invalid JSON: {}", e.message),
                    )),
                };
            }
            _ => {}
        }
        let structured = if name == "jsonencode" {
            args.first().cloned()
        } else {
            None
        };
        let ctx = super::funcs::CallCtx { loc };
        match super::funcs::call(&name, args, &ctx) {
            None => Ok(unknown_at(Reason::Function(name), loc)),
            Some(Err(m)) => Err(EvalError::new(loc, format!("{name}: {m}"))),
            Some(Ok(v)) => {
                let v = if v.loc().is_none() { v.at(loc) } else { v };
                if let Some(doc) = structured {
                    if let Some((text, _)) = super::placeholder_text(&v) {
                        self.unit.borrow_mut().add_json_doc(text, v.loc(), doc);
                    }
                }
                Ok(v)
            }
        }
    }

    /// `file`, `fileexists`, `templatefile`: read only inside the scanned tree.
    fn eval_file_fn(
        &self,
        name: &str,
        args: Vec<Value>,
        scope: &Scope,
        loc: Location,
    ) -> Result<Value, EvalError> {
        let Some(pv) = args.first() else {
            return Err(EvalError::new(loc, format!("{name} needs a path")));
        };
        let Some(p) = pv.as_str() else {
            return Ok(match pv.first_unknown() {
                Some(u) => Value::unknown(u.clone()).at(loc),
                None => unknown_at(
                    Reason::File(format!("{name}: the path is not a known string")),
                    loc,
                ),
            });
        };
        let path = std::path::Path::new(p);
        let full = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.root_dir.join(path)
        };
        if name == "fileexists" {
            return Ok(match std::fs::canonicalize(&full) {
                Ok(c) if self.loader.allowed(&c) => Value::bool(c.is_file()).at(loc),
                Ok(_) => unknown_at(
                    Reason::File(format!("fileexists(\"{p}\"): the path is outside the scanned tree; policy-lint does not look at it")),
                    loc,
                ),
                Err(_) => Value::bool(false).at(loc),
            });
        }
        let (id, text) = match self.loader.read_text(&full) {
            Ok(x) => x,
            Err(m) => {
                return Ok(unknown_at(
                    Reason::File(format!("{name}(\"{p}\"): {m}")),
                    loc,
                ))
            }
        };
        if name == "file" {
            let v = Value::string(text.to_string())
                .at(Location::new(id, 0..text.len()))
                .with_hop(loc, &format!("read by `file(\"{p}\")`"));
            let map = TextMap {
                segments: vec![Segment {
                    start: 0,
                    end: text.len(),
                    loc: Location::new(id, 0..text.len()),
                    linear: true,
                }],
            };
            self.record_text_map(&v, map);
            return Ok(v);
        }
        // templatefile
        let vars = args
            .get(1)
            .cloned()
            .unwrap_or_else(|| Value::object(ObjMap::new()));
        let Kind::Object(vmap) = &vars.kind else {
            return Ok(match vars.first_unknown() {
                Some(u) => Value::unknown(u.clone()).at(loc),
                None => {
                    return Err(EvalError::new(
                        loc,
                        "templatefile: the second argument must be an object",
                    ))
                }
            });
        };
        let tmpl = match hcl_edit::parser::parse_template(&text) {
            Ok(t) => t,
            Err(e) => {
                return Err(EvalError::new(
                    loc,
                    format!(
                        "templatefile(\"{p}\"): the template does not parse: {}",
                        e.message()
                    ),
                ))
            }
        };
        let mut s = Scope::template(scope.module, SpanFile::whole(id));
        for (k, v) in vmap.iter() {
            s = s.with_var(k, v.clone());
        }
        let mut out = TemplateOut::default();
        match self.render_template(&tmpl, &s, &text, &mut out) {
            Ok(()) => {}
            Err(e) if e.message == "__limit__" => {
                return Ok(unknown_at(
                    Reason::Limit("a string grew beyond 16 MiB".into()),
                    loc,
                ))
            }
            Err(e) => return Err(e),
        }
        let (v, map) = out.finish(Origin::at(Location::new(id, 0..text.len())), &|_| false);
        let v = v.with_hop(loc, &format!("rendered by `templatefile(\"{p}\")`"));
        self.record_text_map(&v, map);
        Ok(v)
    }

    // ---------------------------------------------------------------- references

    fn eval_traversal(
        &self,
        base: &Expression,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        scope: &Scope,
        loc: Location,
    ) -> Result<Value, EvalError> {
        let attr = |i: usize| -> Option<&str> {
            match ops.get(i).map(|o| o.value()) {
                Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
                _ => None,
            }
        };
        // The location of the reference up to operator i (inclusive).
        let ref_loc =
            |i: usize| -> Location { scope.up_to(loc, ops.get(i).and_then(|o| o.span())) };
        if let Expression::Variable(v) = base {
            let name = v.as_str();
            if scope.lookup(name).is_none() {
                let m = scope.module;
                let restricted = |what: &str| {
                    Err(EvalError::new(
                        loc,
                        format!("`{what}` cannot be referred to here (only literal values and template variables are allowed)"),
                    ))
                };
                match name {
                    "var" | "local" if scope.restricted => return restricted(name),
                    "var" => {
                        let Some(n) = attr(0) else {
                            return Err(EvalError::new(loc, "`var` needs a variable name"));
                        };
                        let r = self.var(m, n, ref_loc(0))?;
                        return self.apply_ops_read(r, &ops[1..], scope, loc);
                    }
                    "local" => {
                        let Some(n) = attr(0) else {
                            return Err(EvalError::new(loc, "`local` needs a name"));
                        };
                        let r = self.local(m, n, ref_loc(0))?;
                        return self.apply_ops_read(r, &ops[1..], scope, loc);
                    }
                    "count" => {
                        if attr(0) == Some("index") {
                            return match &scope.count {
                                Some(c) => {
                                    self.apply_ops(c.clone().at(ref_loc(0)), &ops[1..], scope, loc)
                                }
                                None => Err(EvalError::new(
                                    loc,
                                    "`count.index` is used where `count` is not set",
                                )),
                            };
                        }
                        return Err(EvalError::new(
                            loc,
                            "`count` has only the attribute `index`",
                        ));
                    }
                    "each" => {
                        let Some((k, v)) = &scope.each else {
                            return Err(EvalError::new(
                                loc,
                                "`each` is used where `for_each` is not set",
                            ));
                        };
                        return match attr(0) {
                            Some("key") => self.apply_ops(k.clone(), &ops[1..], scope, loc),
                            Some("value") => self.apply_ops(v.clone(), &ops[1..], scope, loc),
                            _ => Err(EvalError::new(loc, "`each` has only `key` and `value`")),
                        };
                    }
                    "path" => {
                        let v = match attr(0) {
                            Some("module") => Value::string(m.place.path_module.clone()),
                            Some("root") => Value::string("."),
                            Some("cwd") => {
                                Value::string(self.root_dir.to_string_lossy().to_string())
                            }
                            _ => {
                                return Err(EvalError::new(
                                    loc,
                                    "`path` has `module`, `root` and `cwd`",
                                ))
                            }
                        };
                        return self.apply_ops(v.at(ref_loc(0)), &ops[1..], scope, loc);
                    }
                    "terraform" => {
                        if attr(0) == Some("workspace") {
                            let w = if self.opts.workspace.is_empty() {
                                "default".to_string()
                            } else {
                                self.opts.workspace.clone()
                            };
                            return self.apply_ops(
                                Value::string(w).at(ref_loc(0)),
                                &ops[1..],
                                scope,
                                loc,
                            );
                        }
                        return Err(EvalError::new(loc, "unsupported `terraform` attribute"));
                    }
                    "self" => {
                        return Ok(unknown_at(Reason::Other("`self` refers to the resource being created; known only after apply".into()), loc));
                    }
                    _ if scope.restricted => return restricted(name),
                    "module" => return self.eval_module_ref(ops, scope, loc),
                    "data" => {
                        let (Some(t), Some(n)) = (attr(0), attr(1)) else {
                            return Err(EvalError::new(
                                loc,
                                "a data source reference needs a type and a name",
                            ));
                        };
                        return self.eval_resource_ref(
                            &format!("data.{t}.{n}"),
                            &ops[2..],
                            scope,
                            loc,
                        );
                    }
                    _ => {
                        if let Some(n) = attr(0) {
                            let key = format!("{name}.{n}");
                            if m.def.resources.contains_key(&key) {
                                return self.eval_resource_ref(&key, &ops[1..], scope, loc);
                            }
                            return Err(EvalError::new(
                                loc,
                                format!("reference to undeclared resource `{key}`"),
                            ));
                        }
                        return Err(EvalError::new(loc, format!("unknown variable `{name}`")));
                    }
                }
            }
        }
        let v = self.eval(base, scope)?;
        self.apply_ops(v, ops, scope, loc)
    }

    fn eval_module_ref(
        &self,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        scope: &Scope,
        loc: Location,
    ) -> Result<Value, EvalError> {
        let m = scope.module;
        let Some(TraversalOperator::GetAttr(name)) = ops.first().map(|o| o.value()) else {
            return Err(EvalError::new(loc, "`module` needs a module name"));
        };
        let name = name.as_str();
        let Some(res) = self.call(m, name) else {
            return Err(EvalError::new(
                loc,
                format!("reference to undeclared module `module.{name}`"),
            ));
        };
        let rest = &ops[1..];
        match &*res {
            CallResult::Unknown(u) => Ok(Value::unknown(Unknown {
                loc: Some(loc),
                ..(**u).clone()
            })
            .at(loc)),
            CallResult::Local(insts) => {
                let single = insts.len() == 1 && insts[0].0.is_none();
                if single {
                    let child = insts[0].1.clone();
                    return match rest.first().map(|o| o.value()) {
                        Some(TraversalOperator::GetAttr(out)) => {
                            let v = self.output(&child, out.as_str(), loc);
                            self.apply_ops(v, &rest[1..], scope, loc)
                        }
                        _ => {
                            let v = self.outputs_object(&child, loc);
                            self.apply_ops(v, rest, scope, loc)
                        }
                    };
                }
                // count/for_each: a collection of instances.
                let is_count = insts
                    .iter()
                    .all(|(k, _)| matches!(k.as_ref().map(|k| &k.kind), Some(Kind::Number(_))));
                let objs: Vec<(String, Value)> = insts
                    .iter()
                    .map(|(k, c)| {
                        let key = k
                            .as_ref()
                            .and_then(|k| k.to_tf_string())
                            .unwrap_or_default();
                        (key, self.outputs_object(c, loc))
                    })
                    .collect();
                self.apply_ops(keyed_collection(objs, is_count).at(loc), rest, scope, loc)
            }
        }
    }

    fn eval_resource_ref(
        &self,
        key: &str,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        scope: &Scope,
        loc: Location,
    ) -> Result<Value, EvalError> {
        let m = scope.module;
        let address = if m.addr.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", m.addr)
        };
        // A computed attribute (`arn`, `id`...) needs the resource's instances, not its
        // arguments: Terraform knows it only after apply, whatever the arguments are.
        let group: Vec<(Option<String>, Option<Value>)> = if self.needs_arguments(m, key, ops) {
            match self.resource_group(m, key) {
                None => {
                    return Err(EvalError::new(
                        loc,
                        format!("reference to undeclared resource `{key}`"),
                    ))
                }
                Some(Err(u)) => {
                    return Ok(Value::unknown(Unknown {
                        loc: Some(loc),
                        ..(*u).clone()
                    })
                    .at(loc))
                }
                Some(Ok(g)) => g
                    .iter()
                    .map(|i| (i.key.clone(), Some(i.body.clone())))
                    .collect(),
            }
        } else {
            match self.resource_expansion(m, key).as_deref() {
                None => {
                    return Err(EvalError::new(
                        loc,
                        format!("reference to undeclared resource `{key}`"),
                    ))
                }
                Some(super::module::Expansion::Single)
                | Some(super::module::Expansion::Unknown(_)) => vec![(None, None)],
                Some(super::module::Expansion::Count(n)) => {
                    (0..*n).map(|i| (Some(i.to_string()), None)).collect()
                }
                Some(super::module::Expansion::ForEach(items)) => items
                    .iter()
                    .map(|(k, _)| (Some(format!("{k:?}")), None))
                    .collect(),
            }
        };
        let as_value = |body: Option<&Value>, ikey: Option<String>| -> Value {
            // The object of a resource instance: known arguments, and every other attribute
            // unknown-after-apply with a reference back to the resource.
            let body = body
                .cloned()
                .unwrap_or_else(|| Value::object(ObjMap::new()));
            let r = ResourceRef {
                address: address.clone(),
                key: ikey,
                attr: String::new(),
            };
            ResourceObj { body, reference: r }.into_value(loc)
        };
        // One instance followed by `ops`: an attribute Terraform knows at plan time (a data
        // source's, an IAM role's ARN) is that value; others come from the arguments or are
        // unknown after apply.
        let instance = |body: Option<&Value>,
                        ikey: Option<String>,
                        ops: &[hcl_edit::Decorated<TraversalOperator>]|
         -> Result<Value, EvalError> {
            if let Some(TraversalOperator::GetAttr(a)) = ops.first().map(|o| o.value()) {
                let written = body.and_then(|b| b.get(a.as_str())).is_some();
                if !written {
                    let at = scope.up_to(loc, ops[0].span());
                    let planned = self
                        .planned_attr(m, key, ikey.as_deref(), a.as_str(), at)
                        .or_else(|| self.plan_time_attr(m, key, ikey.as_deref(), a.as_str(), at));
                    if let Some(v) = planned {
                        return self.apply_ops(v, &ops[1..], scope, loc);
                    }
                }
            }
            self.apply_ops(as_value(body, ikey), ops, scope, loc)
        };
        let keyed = group.iter().any(|(k, _)| k.is_some());
        if !keyed {
            let body = group.first().and_then(|(_, b)| b.as_ref());
            return instance(body, None, ops);
        }
        // count / for_each: the next operator selects an instance, or the whole collection.
        let want: Option<String> = match ops.first().map(|o| o.value()) {
            Some(TraversalOperator::Index(ie)) => {
                let idx = self.eval(ie, scope)?;
                match &idx.kind {
                    Kind::String(s) => Some(format!("{s:?}")),
                    Kind::Number(n) => Some(crate::value::format_number(*n)),
                    // An unknown instance key: still a reference to the resource.
                    _ => {
                        let r = ResourceRef {
                            address: address.clone(),
                            key: None,
                            attr: String::new(),
                        };
                        return Ok(unknown_ref(r, loc));
                    }
                }
            }
            Some(TraversalOperator::LegacyIndex(n)) => Some(n.value().to_string()),
            _ => None,
        };
        match want {
            Some(want) => match group
                .iter()
                .find(|(k, _)| k.as_deref() == Some(want.as_str()))
            {
                Some((_, body)) => instance(body.as_ref(), Some(want), &ops[1..]),
                None => Err(EvalError::new(
                    loc,
                    format!("`{address}` has no instance [{want}]"),
                )),
            },
            None => {
                let is_count = group
                    .iter()
                    .all(|(k, _)| k.as_deref().map(|k| !k.starts_with('"')).unwrap_or(false));
                let items: Vec<(String, Value)> = group
                    .iter()
                    .map(|(key, body)| {
                        let k = key.clone().unwrap_or_default();
                        (
                            k.trim_matches('"').to_string(),
                            as_value(body.as_ref(), key.clone()),
                        )
                    })
                    .collect();
                self.apply_ops(keyed_collection(items, is_count).at(loc), ops, scope, loc)
            }
        }
    }

    /// Whether a reference to resource `key` followed by `ops` reads the resource's arguments:
    /// the whole object, or an attribute (or nested block) written in its body. A computed
    /// attribute needs only the instances.
    fn needs_arguments(
        &self,
        m: &ModuleInst,
        key: &str,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
    ) -> bool {
        let Some((_, r)) = m.def.resources.get(key) else {
            return true;
        };
        let Some(block) = m.def.block(*r) else {
            return true;
        };
        // Skip one instance selector; the next operator names the attribute.
        let mut it = ops.iter().map(|o| o.value());
        let mut op = it.next();
        if matches!(
            op,
            Some(TraversalOperator::Index(_)) | Some(TraversalOperator::LegacyIndex(_))
        ) {
            op = it.next();
        }
        let Some(TraversalOperator::GetAttr(a)) = op else {
            return true;
        };
        let a = a.as_str();
        // Attributes policy-lint computes from the arguments (a policy document's JSON).
        if key.starts_with("data.aws_iam_policy_document.") && matches!(a, "json" | "minified_json")
        {
            return true;
        }
        let set = block
            .body
            .iter()
            .any(|s| match (s.as_attribute(), s.as_block()) {
                (Some(attr), _) => attr.key.as_str() == a,
                (_, Some(b)) => {
                    b.ident.as_str() == a
                        || (b.ident.as_str() == "dynamic"
                            && b.labels.first().map(|l| l.as_str()) == Some(a))
                }
                _ => false,
            });
        set
    }

    /// Applies attribute access, indexing and splats to a value.
    /// [`Self::apply_ops`] on a variable or local read with its hop (`with_hop` of it), without
    /// copying the value: attribute and index steps that select an element walk into it, and
    /// only what they reach gets the hop. Any other step (a splat, an unknown, a missing key)
    /// continues from that node with the hop added, as `apply_ops` would have seen it.
    fn apply_ops_read(
        &self,
        r: super::module::Read,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        scope: &Scope,
        loc: Location,
    ) -> Result<Value, EvalError> {
        let Some((hop_loc, label)) = &r.hop else {
            return self.apply_ops(r.value, ops, scope, loc);
        };
        let mut at = HopPath::root(&r.value);
        for (i, op) in ops.iter().enumerate() {
            let oploc = scope.up_to(loc, op.span());
            // What the step gives when it does not select an element: computed from the node
            // itself, which differs from the node with its hop only in origins, and only an
            // unknown's origin passes into the result.
            let node = || {
                if at.node.is_unknown() {
                    at.finish(*hop_loc, label)
                } else {
                    at.node.clone()
                }
            };
            let next = match op.value() {
                TraversalOperator::GetAttr(a) => match at.field(a.as_str()) {
                    Some(n) => n,
                    None => {
                        let v = get_attr(&node(), a.as_str(), oploc)?;
                        return self.apply_ops(v, &ops[i + 1..], scope, loc);
                    }
                },
                TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_) => {
                    let idx = match op.value() {
                        TraversalOperator::Index(e) => self.eval(e, scope)?,
                        TraversalOperator::LegacyIndex(n) => Value::number(*n.value() as f64),
                        _ => unreachable!("matched as an index step"),
                    };
                    match element(&at, &idx) {
                        Some(n) => n,
                        None => {
                            let v = index(&node(), &idx, oploc)?;
                            return self.apply_ops(v, &ops[i + 1..], scope, loc);
                        }
                    }
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    return self.apply_ops(at.finish(*hop_loc, label), &ops[i..], scope, loc);
                }
            };
            at = next;
        }
        Ok(at.finish(*hop_loc, label))
    }

    fn apply_ops(
        &self,
        mut v: Value,
        ops: &[hcl_edit::Decorated<TraversalOperator>],
        scope: &Scope,
        loc: Location,
    ) -> Result<Value, EvalError> {
        for (i, op) in ops.iter().enumerate() {
            let oploc = scope.up_to(loc, op.span());
            match op.value() {
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let rest = &ops[i + 1..];
                    return match &v.kind {
                        Kind::Unknown(_) => Ok(v),
                        Kind::Null => Ok(Value::list(vec![]).at(loc)),
                        Kind::List(items) => {
                            let mut out = Vec::with_capacity(items.len());
                            for it in items.iter() {
                                out.push(self.apply_ops(it.clone(), rest, scope, loc)?);
                            }
                            Ok(Value::list(out).at(loc))
                        }
                        _ => Ok(
                            Value::list(vec![self.apply_ops(v.clone(), rest, scope, loc)?]).at(loc),
                        ),
                    };
                }
                TraversalOperator::GetAttr(a) => {
                    v = get_attr(&v, a.as_str(), oploc)?;
                }
                TraversalOperator::Index(e) => {
                    let idx = self.eval(e, scope)?;
                    v = index(&v, &idx, oploc)?;
                }
                TraversalOperator::LegacyIndex(n) => {
                    v = index(&v, &Value::number(*n.value() as f64), oploc)?;
                }
            }
        }
        Ok(v)
    }
}

/// A resource instance as a value: its known arguments plus unknown computed attributes.
struct ResourceObj {
    body: Value,
    reference: ResourceRef,
}

impl ResourceObj {
    fn into_value(self, loc: Location) -> Value {
        // Encoded as an object whose missing attributes resolve to unknown references: we mark it
        // with a hidden key holding the reference.
        let mut map = match self.body.kind {
            Kind::Object(m) => Arc::unwrap_or_clone(m),
            _ => ObjMap::new(),
        };
        map.insert(RES_MARK.to_string(), unknown_ref(self.reference, loc));
        let map: Arc<ObjMap> = Arc::new(map);
        Value::new(Kind::Object(map), self.body.origin)
    }
}

/// Hidden key of resource objects: the unknown reference for attributes not in the body.
pub(crate) const RES_MARK: &str = "\u{E002}resource";

fn get_attr(v: &Value, name: &str, loc: Location) -> Result<Value, EvalError> {
    match &v.kind {
        Kind::Object(map) => {
            if let Some(x) = map.get(name) {
                return Ok(x.clone());
            }
            if let Some(mark) = map.get(RES_MARK) {
                // A computed attribute of a resource: unknown after apply, referring to it.
                if let Some(u) = mark.as_unknown() {
                    let mut r = u.reference.clone().unwrap_or(ResourceRef {
                        address: String::new(),
                        key: None,
                        attr: String::new(),
                    });
                    r.attr = name.to_string();
                    return Ok(unknown_ref(r, loc));
                }
            }
            Err(EvalError::new(
                loc,
                format!("this object has no attribute `{name}`"),
            ))
        }
        Kind::Unknown(u) => {
            let mut u2 = (**u).clone();
            if let Some(r) = &mut u2.reference {
                if r.attr.is_empty() {
                    r.attr = name.to_string();
                } else {
                    r.attr = format!("{}.{name}", r.attr);
                }
                u2.reason = Reason::AfterApply(r.clone());
            }
            Ok(Value::new(Kind::Unknown(Arc::new(u2)), v.origin.clone()))
        }
        Kind::Null => Err(EvalError::new(
            loc,
            format!("attempt to get attribute `{name}` from a null value"),
        )),
        Kind::List(items) if items.len() == 1 && items[0].as_object().is_some() => {
            Err(EvalError::new(
                loc,
                format!("`{name}` is in a block that is a list; index it with [0] first"),
            ))
        }
        _ => Err(EvalError::new(
            loc,
            format!("cannot get attribute `{name}` of a {} value", v.type_name()),
        )),
    }
}

fn index(v: &Value, idx: &Value, loc: Location) -> Result<Value, EvalError> {
    if let Kind::Unknown(u) = &v.kind {
        return Ok(Value::new(Kind::Unknown(u.clone()), v.origin.clone()));
    }
    if !idx.is_known() {
        let u = idx
            .first_unknown()
            .cloned()
            .unwrap_or(Unknown::new(Reason::Other("unknown index".into())));
        return Ok(Value::unknown(u).at(loc));
    }
    match &v.kind {
        Kind::List(items) => {
            let n = to_number(idx)
                .ok_or_else(|| EvalError::new(loc, "a list index must be a number"))?;
            if n < 0.0 || n.fract() != 0.0 || n as usize >= items.len() {
                return Err(EvalError::new(
                    loc,
                    format!(
                        "index {} is out of range for a list of {} elements",
                        crate::value::format_number(n),
                        items.len()
                    ),
                ));
            }
            Ok(items[n as usize].clone())
        }
        Kind::Object(map) => {
            let k = idx
                .to_tf_string()
                .ok_or_else(|| EvalError::new(loc, "a map key must be a string"))?;
            if let Some(x) = map.get(&k) {
                return Ok(x.clone());
            }
            get_attr(v, &k, loc)
        }
        Kind::Null => Err(EvalError::new(loc, "cannot index a null value")),
        _ => Err(EvalError::new(
            loc,
            format!("cannot index a {} value", v.type_name()),
        )),
    }
}

/// The element [`index`] selects (a list item or an object member), when it selects one.
fn element<'v>(at: &HopPath<'v>, idx: &Value) -> Option<HopPath<'v>> {
    if !idx.is_known() {
        return None;
    }
    match &at.node.kind {
        Kind::List(_) => {
            let n = to_number(idx)?;
            if n < 0.0 || n.fract() != 0.0 {
                return None;
            }
            at.item(n as usize)
        }
        Kind::Object(_) => at.field(&idx.to_tf_string()?),
        _ => None,
    }
}

/// Instances of a `count` (a list) or `for_each` (an object by key) as one value.
fn keyed_collection(items: Vec<(String, Value)>, is_count: bool) -> Value {
    if is_count {
        Value::list(items.into_iter().map(|(_, v)| v).collect())
    } else {
        Value::object(items.into_iter().collect())
    }
}

/// The (key, value) pairs a `for` expression, `%{for}` or `dynamic` block iterates over: list
/// indices or object keys. None for anything else.
pub(crate) fn iteration_items(coll: &Value) -> Option<Vec<(Value, Value)>> {
    match &coll.kind {
        Kind::List(items) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::number(i as f64), v.clone()))
                .collect(),
        ),
        Kind::Object(m) => Some(
            m.iter()
                .map(|(k, v)| (Value::string(k.clone()), v.clone()))
                .collect(),
        ),
        _ => None,
    }
}

/// A bool as Terraform converts it (`"true"`/`"false"` strings too); None when unknown or not a
/// bool.
pub fn truthy(v: &Value) -> Option<bool> {
    match &v.kind {
        Kind::Bool(b) => Some(*b),
        Kind::String(s) if s == "true" => Some(true),
        Kind::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

fn to_number(v: &Value) -> Option<f64> {
    match &v.kind {
        Kind::Number(n) => Some(*n),
        Kind::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

/// Deep equality; None when unknown parts make it undecidable.
pub fn values_equal(a: &Value, b: &Value) -> Option<bool> {
    match (&a.kind, &b.kind) {
        (Kind::Unknown(_), _)
        | (_, Kind::Unknown(_))
        | (Kind::Partial(_), _)
        | (_, Kind::Partial(_)) => None,
        (Kind::Null, Kind::Null) => Some(true),
        (Kind::Bool(x), Kind::Bool(y)) => Some(x == y),
        (Kind::Number(x), Kind::Number(y)) => Some(x == y),
        (Kind::String(x), Kind::String(y)) => Some(x == y),
        (Kind::List(x), Kind::List(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            let mut all = Some(true);
            for (p, q) in x.iter().zip(y.iter()) {
                match values_equal(p, q) {
                    Some(false) => return Some(false),
                    None => all = None,
                    _ => {}
                }
            }
            all
        }
        (Kind::Object(x), Kind::Object(y)) => {
            let xk: Vec<_> = x.keys().filter(|k| *k != RES_MARK).collect();
            let yk: Vec<_> = y.keys().filter(|k| *k != RES_MARK).collect();
            if xk != yk {
                return Some(false);
            }
            let mut all = Some(true);
            for k in xk {
                match values_equal(&x[k], &y[k]) {
                    Some(false) => return Some(false),
                    None => all = None,
                    _ => {}
                }
            }
            all
        }
        _ => Some(false),
    }
}

#[cfg(test)]
mod tests {
    use super::find_line;

    #[test]
    fn find_line_is_find() {
        let pieces = [
            "", " ", "\t", "  ", "a", "ab", "\n", " a", "a\n", "b a\n", "\t\n",
        ];
        let mut texts = vec![String::new()];
        for _ in 0..3 {
            let mut next = Vec::new();
            for t in &texts {
                for p in pieces {
                    next.push(format!("{t}{p}"));
                }
            }
            texts = next;
        }
        texts.sort();
        texts.dedup();
        for r in &texts {
            for line in pieces.iter().filter(|p| !p.is_empty()) {
                assert_eq!(find_line(r, line), r.find(line), "{r:?} {line:?}");
            }
        }
    }
}
