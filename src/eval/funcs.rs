//! Terraform's built-in functions over [`Value`]s.
//!
//! [`call`] evaluates one function call. Unknown arguments make unknown results that carry the
//! same [`Unknown`] (never an error, never a guess); partially known strings stay partially known
//! through `format`, `formatlist`, `join`, `jsonencode`, `lower` and `upper`. Results that are one
//! of the arguments' elements keep that element unchanged (origin included); computed values take
//! the origin of the first argument that has one, else the call's location. Results larger than the
//! evaluation limits become unknown values with [`Reason::Limit`], checked before allocating.

use crate::source::Location;
use crate::value::{Kind, ObjMap, Origin, Part, Reason, Unknown, Value};
use std::sync::Arc;

/// Bytes in one string value (as `crate::eval::limits::MAX_STRING`).
const MAX_STRING: usize = 16 * 1024 * 1024;
/// Elements in one collection produced by a function.
const MAX_ITEMS: usize = 1_000_000;
/// Nesting depth walked by recursive functions (jsonencode, flatten).
const MAX_DEPTH: usize = 512;

/// The context of one function call.
pub struct CallCtx {
    /// The call expression.
    pub loc: Location,
}

/// Calls Terraform function `name`. None when the function is not modelled here (the caller then
/// makes an unknown value naming the function). Err(message) for a call Terraform would reject
/// (wrong argument count/type), message in Terraform's words.
pub fn call(name: &str, args: Vec<Value>, ctx: &CallCtx) -> Option<Result<Value, String>> {
    let origin = args
        .iter()
        .find(|a| a.origin.is_some())
        .map(|a| a.origin.clone())
        .unwrap_or_else(|| Origin::at(ctx.loc));
    let cx = Cx {
        name,
        origin,
        loc: ctx.loc,
    };
    let a = &args;
    let r = match name {
        "jsonencode" => cx.arity(a, 1, 1).and_then(|_| jsonencode(&cx, &a[0])),
        "jsondecode" => cx.arity(a, 1, 1).and_then(|_| jsondecode(&cx, &a[0])),
        "format" => cx.arity(a, 1, usize::MAX).and_then(|_| format(&cx, a)),
        "formatlist" => cx.arity(a, 1, usize::MAX).and_then(|_| formatlist(&cx, a)),
        "join" => cx.arity(a, 2, usize::MAX).and_then(|_| join(&cx, a)),
        "split" => cx.arity(a, 2, 2).and_then(|_| split(&cx, a)),
        "replace" => cx.arity(a, 3, 3).and_then(|_| replace(&cx, a)),
        "lower" => cx.arity(a, 1, 1).and_then(|_| map_case(&cx, &a[0], false)),
        "upper" => cx.arity(a, 1, 1).and_then(|_| map_case(&cx, &a[0], true)),
        "title" => cx.arity(a, 1, 1).and_then(|_| {
            let s = cx.str_arg(&a[0], "str")?;
            Ok(cx.string(title(&s)))
        }),
        "trimspace" => cx.arity(a, 1, 1).and_then(|_| {
            let s = cx.str_arg(&a[0], "str")?;
            Ok(cx.string(s.trim().to_string()))
        }),
        "trim" => cx.arity(a, 2, 2).and_then(|_| {
            let s = cx.str_arg(&a[0], "str")?;
            let cut = cx.str_arg(&a[1], "cutset")?;
            Ok(cx.string(s.trim_matches(|c: char| cut.contains(c)).to_string()))
        }),
        "trimprefix" => cx.arity(a, 2, 2).and_then(|_| {
            let s = cx.str_arg(&a[0], "str")?;
            let p = cx.str_arg(&a[1], "prefix")?;
            Ok(cx.string(s.strip_prefix(p.as_str()).unwrap_or(&s).to_string()))
        }),
        "trimsuffix" => cx.arity(a, 2, 2).and_then(|_| {
            let s = cx.str_arg(&a[0], "str")?;
            let p = cx.str_arg(&a[1], "suffix")?;
            Ok(cx.string(s.strip_suffix(p.as_str()).unwrap_or(&s).to_string()))
        }),
        "startswith" => cx.arity(a, 2, 2).and_then(|_| {
            let s = cx.str_arg(&a[0], "str")?;
            let p = cx.str_arg(&a[1], "prefix")?;
            Ok(cx.scalar(Kind::Bool(s.starts_with(p.as_str()))))
        }),
        "endswith" => cx.arity(a, 2, 2).and_then(|_| {
            let s = cx.str_arg(&a[0], "str")?;
            let p = cx.str_arg(&a[1], "suffix")?;
            Ok(cx.scalar(Kind::Bool(s.ends_with(p.as_str()))))
        }),
        "strcontains" => cx.arity(a, 2, 2).and_then(|_| {
            let s = cx.str_arg(&a[0], "str")?;
            let p = cx.str_arg(&a[1], "substr")?;
            Ok(cx.scalar(Kind::Bool(s.contains(p.as_str()))))
        }),
        "substr" => cx.arity(a, 3, 3).and_then(|_| substr(&cx, a)),
        "concat" => concat(&cx, a),
        "merge" => merge(&cx, a),
        "flatten" => cx.arity(a, 1, 1).and_then(|_| flatten(&cx, &a[0])),
        "distinct" => cx.arity(a, 1, 1).and_then(|_| distinct(&cx, &a[0])),
        "compact" => cx.arity(a, 1, 1).and_then(|_| compact(&cx, &a[0])),
        "contains" => cx.arity(a, 2, 2).and_then(|_| contains(&cx, a)),
        "length" => cx.arity(a, 1, 1).and_then(|_| length(&cx, &a[0])),
        "lookup" => cx.arity(a, 2, 3).and_then(|_| lookup(&cx, a)),
        "element" => cx.arity(a, 2, 2).and_then(|_| element(&cx, a)),
        "index" => cx.arity(a, 2, 2).and_then(|_| index(&cx, a)),
        "keys" => cx.arity(a, 1, 1).and_then(|_| {
            let m = cx.map_arg(&a[0], "inputMap")?;
            Ok(cx.list(m.keys().map(|k| cx.string(k.clone())).collect()))
        }),
        "values" => cx.arity(a, 1, 1).and_then(|_| {
            let m = cx.map_arg(&a[0], "mapping")?;
            Ok(cx.list(m.values().cloned().collect()))
        }),
        "slice" => cx.arity(a, 3, 3).and_then(|_| slice(&cx, a)),
        "sort" => cx.arity(a, 1, 1).and_then(|_| sort(&cx, &a[0])),
        "reverse" => cx.arity(a, 1, 1).and_then(|_| {
            let l = cx.list_arg(&a[0], "list")?;
            Ok(cx.list(l.iter().rev().cloned().collect()))
        }),
        "setunion" | "setintersection" | "setsubtract" | "toset" => set_op(&cx, a),
        "tolist" => cx.arity(a, 1, 1).and_then(|_| tolist(&cx, &a[0])),
        "tomap" => cx.arity(a, 1, 1).and_then(|_| tomap(&cx, &a[0])),
        "tostring" => cx.arity(a, 1, 1).and_then(|_| tostring(&cx, &a[0])),
        "tonumber" => cx.arity(a, 1, 1).and_then(|_| tonumber(&cx, &a[0])),
        "tobool" => cx.arity(a, 1, 1).and_then(|_| tobool(&cx, &a[0])),
        "coalesce" => coalesce(&cx, a),
        "coalescelist" => coalescelist(&cx, a),
        "one" => cx.arity(a, 1, 1).and_then(|_| one(&cx, &a[0])),
        "range" => range(&cx, a),
        "zipmap" => cx.arity(a, 2, 2).and_then(|_| zipmap(&cx, a)),
        "regex" => cx.arity(a, 2, 2).and_then(|_| regex_fn(&cx, a, false)),
        "regexall" => cx.arity(a, 2, 2).and_then(|_| regex_fn(&cx, a, true)),
        "abs" => cx.arity(a, 1, 1).and_then(|_| num1(&cx, &a[0], f64::abs)),
        "ceil" => cx.arity(a, 1, 1).and_then(|_| num1(&cx, &a[0], f64::ceil)),
        "floor" => cx.arity(a, 1, 1).and_then(|_| num1(&cx, &a[0], f64::floor)),
        "max" | "min" => minmax(&cx, a, name == "max"),
        "sum" => cx.arity(a, 1, 1).and_then(|_| sum(&cx, &a[0])),
        "alltrue" => cx.arity(a, 1, 1).and_then(|_| all_any(&cx, &a[0], true)),
        "anytrue" => cx.arity(a, 1, 1).and_then(|_| all_any(&cx, &a[0], false)),
        "chunklist" => cx.arity(a, 2, 2).and_then(|_| chunklist(&cx, a)),
        "base64encode" => cx.arity(a, 1, 1).and_then(|_| {
            use base64::Engine;
            let s = cx.str_arg(&a[0], "str")?;
            cx.check_len(s.len().div_ceil(3).saturating_mul(4))?;
            Ok(cx.string(base64::engine::general_purpose::STANDARD.encode(s.as_bytes())))
        }),
        "base64decode" => cx.arity(a, 1, 1).and_then(|_| base64decode(&cx, &a[0])),
        _ => return None,
    };
    Some(match r {
        Ok(v) => Ok(v),
        Err(Fail::Err(m)) => Err(m),
        Err(Fail::Unknown(u)) => Ok(Value::new(Kind::Unknown(u), cx.origin.clone())),
        Err(Fail::Limit(why)) => {
            let mut u = Unknown::new(Reason::Limit(why));
            u.loc = Some(ctx.loc);
            Ok(Value::new(Kind::Unknown(Arc::new(u)), cx.origin.clone()))
        }
    })
}

/// Why a function did not produce a value: an error, an unknown input, or a limit.
enum Fail {
    Err(String),
    Unknown(Arc<Unknown>),
    Limit(String),
}

impl From<String> for Fail {
    fn from(s: String) -> Self {
        Fail::Err(s)
    }
}

type R<T = Value> = Result<T, Fail>;

fn err<T>(msg: impl Into<String>) -> R<T> {
    Err(Fail::Err(msg.into()))
}

/// The first unknown in a value, shared.
fn unknown_of(v: &Value) -> Option<Arc<Unknown>> {
    match &v.kind {
        Kind::Unknown(u) => Some(u.clone()),
        Kind::Partial(parts) => parts.iter().find_map(|p| match p {
            Part::Unknown(u) => Some(u.clone()),
            Part::Lit(_) => None,
        }),
        Kind::List(items) => items.iter().find_map(unknown_of),
        Kind::Object(map) => map.values().find_map(unknown_of),
        _ => None,
    }
}

fn fail_unknown(v: &Value) -> Fail {
    match unknown_of(v) {
        Some(u) => Fail::Unknown(u),
        None => Fail::Unknown(Arc::new(Unknown::new(Reason::Other(
            "value is not known".into(),
        )))),
    }
}

/// Fails with the value's unknown unless it is wholly known.
fn need_known(v: &Value) -> R<()> {
    match unknown_of(v) {
        Some(u) => Err(Fail::Unknown(u)),
        None => Ok(()),
    }
}

struct Cx<'a> {
    name: &'a str,
    origin: Origin,
    loc: Location,
}

impl Cx<'_> {
    fn arity(&self, args: &[Value], min: usize, max: usize) -> R<()> {
        if args.len() < min {
            return err(format!(
                "Not enough function arguments; Function \"{}\" expects {}{} argument(s).",
                self.name,
                if max > min { "at least " } else { "" },
                min
            ));
        }
        if args.len() > max {
            return err(format!(
                "Too many function arguments; Function \"{}\" expects only {} argument(s).",
                self.name, max
            ));
        }
        Ok(())
    }

    fn scalar(&self, kind: Kind) -> Value {
        Value::new(kind, self.origin.clone())
    }
    fn string(&self, s: String) -> Value {
        self.scalar(Kind::String(s))
    }
    fn number(&self, n: f64) -> Value {
        self.scalar(Kind::Number(n))
    }
    fn list(&self, items: Vec<Value>) -> Value {
        self.scalar(Kind::List(items.into()))
    }

    fn check_len(&self, n: usize) -> R<()> {
        if n > MAX_STRING {
            return Err(Fail::Limit(format!(
                "`{}` would produce a string of {} bytes (the limit is {} MiB)",
                self.name,
                n,
                MAX_STRING / 1024 / 1024
            )));
        }
        Ok(())
    }
    fn check_items(&self, n: usize) -> R<()> {
        if n > MAX_ITEMS {
            return Err(Fail::Limit(format!(
                "`{}` would produce a collection of {} elements (the limit is {})",
                self.name, n, MAX_ITEMS
            )));
        }
        Ok(())
    }

    fn bad(&self, param: &str, what: &str) -> Fail {
        Fail::Err(format!("Invalid value for \"{param}\" parameter: {what}."))
    }

    /// A known string argument (numbers and bools convert, as Terraform converts them).
    fn str_arg(&self, v: &Value, param: &str) -> R<String> {
        match &v.kind {
            Kind::String(s) => Ok(s.clone()),
            Kind::Number(_) | Kind::Bool(_) => Ok(v.to_tf_string().unwrap_or_default()),
            Kind::Unknown(_) | Kind::Partial(_) => Err(fail_unknown(v)),
            Kind::Null => Err(self.bad(param, "argument must not be null")),
            Kind::List(_) | Kind::Object(_) => Err(self.bad(param, "string required")),
        }
    }

    fn num_arg(&self, v: &Value, param: &str) -> R<f64> {
        match &v.kind {
            Kind::Number(n) => Ok(*n),
            Kind::String(s) => parse_number(s).ok_or_else(|| {
                self.bad(
                    param,
                    &format!(
                        "a number is required (cannot convert {} to number)",
                        json_quote(s)
                    ),
                )
            }),
            Kind::Unknown(_) | Kind::Partial(_) => Err(fail_unknown(v)),
            Kind::Null => Err(self.bad(param, "argument must not be null")),
            _ => Err(self.bad(param, "number required")),
        }
    }

    /// A whole number argument.
    fn int_arg(&self, v: &Value, param: &str) -> R<f64> {
        let n = self.num_arg(v, param)?;
        if !n.is_finite() || n.fract() != 0.0 {
            return Err(self.bad(param, "value must be a whole number"));
        }
        Ok(n)
    }

    fn bool_arg(&self, v: &Value, param: &str) -> R<bool> {
        match &v.kind {
            Kind::Bool(b) => Ok(*b),
            Kind::String(s) if s == "true" => Ok(true),
            Kind::String(s) if s == "false" => Ok(false),
            Kind::Unknown(_) | Kind::Partial(_) => Err(fail_unknown(v)),
            Kind::Null => Err(self.bad(param, "argument must not be null")),
            _ => Err(self.bad(param, "bool required")),
        }
    }

    fn list_arg<'v>(&self, v: &'v Value, param: &str) -> R<&'v [Value]> {
        match &v.kind {
            Kind::List(items) => Ok(items),
            Kind::Unknown(u) => Err(Fail::Unknown(u.clone())),
            Kind::Null => Err(self.bad(param, "argument must not be null")),
            _ => Err(self.bad(param, "list of any single type required")),
        }
    }

    fn map_arg<'v>(&self, v: &'v Value, param: &str) -> R<&'v ObjMap> {
        match &v.kind {
            Kind::Object(m) => Ok(m),
            Kind::Unknown(u) => Err(Fail::Unknown(u.clone())),
            Kind::Null => Err(self.bad(param, "argument must not be null")),
            _ => Err(self.bad(param, "map of any single type required")),
        }
    }
}

/// Parses a decimal number as Terraform converts strings to numbers.
fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

// ---------------------------------------------------------------------------------------------
// Partial string building

/// Builds a possibly partial string, enforcing the string limit as it grows.
struct Sb {
    parts: Vec<Part>,
    cur: String,
    len: usize,
}

impl Sb {
    fn new() -> Self {
        Sb {
            parts: Vec::new(),
            cur: String::new(),
            len: 0,
        }
    }
    fn push(&mut self, s: &str) -> R<()> {
        self.len += s.len();
        if self.len > MAX_STRING {
            return Err(Fail::Limit(format!(
                "string longer than {} MiB",
                MAX_STRING / 1024 / 1024
            )));
        }
        self.cur.push_str(s);
        Ok(())
    }
    fn unknown(&mut self, u: Arc<Unknown>) {
        if !self.cur.is_empty() {
            self.parts.push(Part::Lit(std::mem::take(&mut self.cur)));
        }
        self.parts.push(Part::Unknown(u));
    }
    /// Appends a string value: known text, or a partial string's parts, or one unknown part.
    fn push_value(&mut self, v: &Value) -> R<()> {
        match &v.kind {
            Kind::Partial(parts) => {
                for p in parts {
                    match p {
                        Part::Lit(s) => self.push(s)?,
                        Part::Unknown(u) => self.unknown(u.clone()),
                    }
                }
                Ok(())
            }
            _ => match v.to_tf_string() {
                Some(s) => self.push(&s),
                None => {
                    if let Some(u) = unknown_of(v) {
                        self.unknown(u);
                    }
                    Ok(())
                }
            },
        }
    }
    fn finish(mut self) -> Kind {
        if self.parts.is_empty() {
            return Kind::String(self.cur);
        }
        if !self.cur.is_empty() {
            self.parts.push(Part::Lit(self.cur));
        }
        Kind::Partial(self.parts)
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

/// Escapes a string's characters as Go's encoding/json does (without quotes).
fn json_escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

fn json_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    json_escape_into(s, &mut out);
    out.push('"');
    out
}

/// A number as Terraform writes it in JSON: no exponent, integers without a fraction.
fn json_number(n: f64) -> String {
    if !n.is_finite() {
        return "null".into();
    }
    if n == 0.0 {
        return "0".into();
    }
    format!("{n}")
}

/// Appends the JSON encoding of a value; unknowns become unknown parts inside JSON strings.
fn json_encode_into(v: &Value, sb: &mut Sb, depth: usize) -> R<()> {
    if depth > MAX_DEPTH {
        return Err(Fail::Limit(format!(
            "value nested more than {MAX_DEPTH} levels deep"
        )));
    }
    match &v.kind {
        Kind::Null => sb.push("null"),
        Kind::Bool(b) => sb.push(if *b { "true" } else { "false" }),
        Kind::Number(n) => sb.push(&json_number(*n)),
        Kind::String(s) => {
            sb.push("\"")?;
            let mut e = String::with_capacity(s.len());
            json_escape_into(s, &mut e);
            sb.push(&e)?;
            sb.push("\"")
        }
        Kind::Partial(parts) => {
            sb.push("\"")?;
            for p in parts {
                match p {
                    Part::Lit(s) => {
                        let mut e = String::with_capacity(s.len());
                        json_escape_into(s, &mut e);
                        sb.push(&e)?;
                    }
                    Part::Unknown(u) => sb.unknown(u.clone()),
                }
            }
            sb.push("\"")
        }
        Kind::Unknown(u) => {
            sb.push("\"")?;
            sb.unknown(u.clone());
            sb.push("\"")
        }
        Kind::List(items) => {
            sb.push("[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    sb.push(",")?;
                }
                json_encode_into(item, sb, depth + 1)?;
            }
            sb.push("]")
        }
        Kind::Object(map) => {
            sb.push("{")?;
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    sb.push(",")?;
                }
                sb.push(&json_quote(k))?;
                sb.push(":")?;
                json_encode_into(item, sb, depth + 1)?;
            }
            sb.push("}")
        }
    }
}

fn jsonencode(cx: &Cx, v: &Value) -> R {
    if let Kind::Unknown(u) = &v.kind {
        return Err(Fail::Unknown(u.clone()));
    }
    let mut sb = Sb::new();
    json_encode_into(v, &mut sb, 0)?;
    Ok(cx.scalar(sb.finish()))
}

fn jsondecode(cx: &Cx, v: &Value) -> R {
    let loc = cx.loc;
    let origin = |_r: std::ops::Range<usize>| Origin::at(loc);
    match &v.kind {
        Kind::String(s) => crate::json::parse(s, &origin, &[])
            .map_err(|e| Fail::Err(format!("invalid JSON: {}", e.message))),
        Kind::Partial(_) => {
            let (text, unknowns) = crate::json::placeholder_text(v).unwrap_or_default();
            crate::json::parse(&text, &origin, &unknowns).map_err(|_| fail_unknown(v))
        }
        _ => cx.str_arg(v, "str").and_then(|s| {
            crate::json::parse(&s, &origin, &[])
                .map_err(|e| Fail::Err(format!("invalid JSON: {}", e.message)))
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// format / formatlist

#[derive(Default, Clone)]
struct Verb {
    raw: String,
    offset: usize,
    arg: usize,
    mode: char,
    zero: bool,
    sharp: bool,
    plus: bool,
    minus: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Formats `fmt` with `args` into a possibly partial string.
fn format_str(fmt: &str, args: &[&Value]) -> R<Kind> {
    let mut sb = Sb::new();
    let b = fmt.as_bytes();
    let mut i = 0;
    let mut next_arg = 1usize;
    let mut highest = 0usize;
    while i < b.len() {
        let start = i;
        if b[i] != b'%' {
            // copy a run of literal text
            let end = fmt[i..].find('%').map(|j| i + j).unwrap_or(b.len());
            sb.push(&fmt[i..end])?;
            i = end;
            continue;
        }
        i += 1;
        if i < b.len() && b[i] == b'%' {
            sb.push("%")?;
            i += 1;
            continue;
        }
        let mut v = Verb {
            offset: start,
            arg: next_arg,
            ..Verb::default()
        };
        let bad_char = |i: usize| -> Fail {
            match fmt[i..].chars().next() {
                Some(c) => Fail::Err(format!(
                    "unrecognized format character {} at offset {}",
                    go_quote_char(c),
                    i
                )),
                None => Fail::Err(format!("invalid format string starting at offset {start}")),
            }
        };
        while i < b.len() {
            match b[i] {
                b'0' => v.zero = true,
                b'#' => v.sharp = true,
                b'-' => v.minus = true,
                b'+' => v.plus = true,
                b' ' => v.space = true,
                _ => break,
            }
            i += 1;
        }
        if i < b.len() && b[i] == b'[' {
            i += 1;
            if i >= b.len() || !(b'1'..=b'9').contains(&b[i]) {
                return Err(bad_char(i));
            }
            let mut n = 0usize;
            while i < b.len() && b[i].is_ascii_digit() {
                n = n.saturating_mul(10).saturating_add((b[i] - b'0') as usize);
                i += 1;
            }
            if i >= b.len() || b[i] != b']' {
                return Err(bad_char(i));
            }
            i += 1;
            v.arg = n;
        }
        if i < b.len() && (b'1'..=b'9').contains(&b[i]) {
            let mut n = 0usize;
            while i < b.len() && b[i].is_ascii_digit() {
                n = n.saturating_mul(10).saturating_add((b[i] - b'0') as usize);
                i += 1;
            }
            v.width = Some(n);
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            let mut n = 0usize;
            while i < b.len() && b[i].is_ascii_digit() {
                n = n.saturating_mul(10).saturating_add((b[i] - b'0') as usize);
                i += 1;
            }
            v.prec = Some(n);
        }
        if i >= b.len() || !b[i].is_ascii_alphabetic() {
            return Err(bad_char(i));
        }
        v.mode = b[i] as char;
        i += 1;
        v.raw = fmt[start..i].to_string();
        if v.width.unwrap_or(0) > MAX_STRING || v.prec.unwrap_or(0) > MAX_STRING {
            return Err(Fail::Limit(format!(
                "format width or precision over {} MiB",
                MAX_STRING / 1024 / 1024
            )));
        }
        if v.arg > args.len() {
            return err(format!(
                "not enough arguments for {} at {}: need index {} but have {} total",
                json_quote(&v.raw),
                v.offset,
                v.arg,
                args.len()
            ));
        }
        highest = highest.max(v.arg);
        next_arg = v.arg + 1;
        format_one(&v, args[v.arg - 1], &mut sb)?;
    }
    if highest < args.len() {
        return err(format!(
            "too many arguments; only {highest} used by format string"
        ));
    }
    Ok(sb.finish())
}

/// Go's %q of a rune, as cty's error messages print characters.
fn go_quote_char(c: char) -> String {
    match c {
        '\'' => "'\\''".into(),
        '\\' => "'\\\\'".into(),
        c if c.is_control() => format!("'\\x{:02x}'", c as u32),
        c => format!("'{c}'"),
    }
}

fn pad(v: &Verb, s: String) -> String {
    let Some(w) = v.width else { return s };
    let n = s.chars().count();
    if n >= w {
        return s;
    }
    let padc = if v.zero { "0" } else { " " };
    let pads = padc.repeat(w - n);
    if v.minus {
        s + &pads
    } else {
        pads + &s
    }
}

fn format_one(v: &Verb, arg: &Value, sb: &mut Sb) -> R<()> {
    let unsupported = |what: &str| -> Fail {
        Fail::Err(format!(
            "unsupported value for {} at {}: {}",
            json_quote(&v.raw),
            v.offset,
            what
        ))
    };
    if !matches!(
        v.mode,
        'v' | 't' | 'b' | 'd' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'g' | 'G' | 's' | 'q'
    ) {
        return err(format!(
            "unsupported format verb {} in {} at offset {}",
            go_quote_char(v.mode),
            json_quote(&v.raw),
            v.offset
        ));
    }
    if v.mode != 'v' && arg.is_null() {
        return Err(unsupported("null value cannot be formatted"));
    }
    // Unknown and partial arguments.
    if !arg.is_known() {
        let plain = v.width.is_none() && v.prec.is_none();
        match (&arg.kind, v.mode) {
            (Kind::Partial(_), 's') | (Kind::Partial(_), 'v') if plain && !v.sharp => {
                return sb.push_value(arg);
            }
            (Kind::Partial(parts), 'q') | (Kind::Partial(parts), 'v') if plain => {
                sb.push("\"")?;
                for p in parts {
                    match p {
                        Part::Lit(s) => {
                            let mut e = String::new();
                            json_escape_into(s, &mut e);
                            sb.push(&e)?;
                        }
                        Part::Unknown(u) => sb.unknown(u.clone()),
                    }
                }
                return sb.push("\"");
            }
            (Kind::List(_) | Kind::Object(_), 'v') if plain => {
                return json_encode_into(arg, sb, 0);
            }
            _ => {
                if let Some(u) = unknown_of(arg) {
                    sb.unknown(u);
                }
                return Ok(());
            }
        }
    }
    let out = match v.mode {
        'v' => match &arg.kind {
            Kind::String(s) if !v.sharp => pad(v, s.clone()),
            Kind::Number(n) if !v.sharp => pad(v, go_g(*n, None, false)),
            _ => {
                let mut inner = Sb::new();
                json_encode_into(arg, &mut inner, 0)?;
                match inner.finish() {
                    Kind::String(s) => pad(v, s),
                    _ => String::new(),
                }
            }
        },
        't' => match &arg.kind {
            Kind::Bool(b) => b.to_string(),
            Kind::String(s) if s == "true" || s == "false" => s.clone(),
            _ => return Err(unsupported("bool required")),
        },
        'b' | 'd' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'g' | 'G' => {
            let n = match &arg.kind {
                Kind::Number(n) => *n,
                Kind::String(s) => match parse_number(s) {
                    Some(n) => n,
                    None => {
                        return Err(unsupported(&format!(
                            "a number is required (cannot convert {} to number)",
                            json_quote(s)
                        )))
                    }
                },
                _ => return Err(unsupported("number required")),
            };
            if matches!(v.mode, 'b' | 'd' | 'o' | 'x' | 'X') {
                if !n.is_finite() || n.fract() != 0.0 {
                    return Err(unsupported("an integer is required"));
                }
                fmt_int(v, n)
            } else {
                fmt_float(v, n)
            }
        }
        's' | 'q' => {
            let s = match &arg.kind {
                Kind::String(_) | Kind::Number(_) | Kind::Bool(_) => {
                    arg.to_tf_string().unwrap_or_default()
                }
                _ => return Err(unsupported("string required")),
            };
            let s = match v.prec {
                Some(p) if p > 0 => s.chars().take(p).collect(),
                _ => s,
            };
            if v.mode == 'q' {
                pad(v, json_quote(&s))
            } else {
                pad(v, s)
            }
        }
        _ => unreachable!("verbs checked above"),
    };
    sb.push(&out)
}

/// Pads a formatted number: sign, zero padding after the sign, or spaces.
fn pad_number(v: &Verb, neg: bool, prefix: &str, digits: String, zero_ok: bool) -> String {
    let sign = if neg {
        "-"
    } else if v.plus {
        "+"
    } else if v.space {
        " "
    } else {
        ""
    };
    let body_len = sign.len() + prefix.len() + digits.chars().count();
    let w = v.width.unwrap_or(0);
    if body_len >= w {
        return format!("{sign}{prefix}{digits}");
    }
    let n = w - body_len;
    if v.minus {
        format!("{sign}{prefix}{digits}{}", " ".repeat(n))
    } else if v.zero && zero_ok {
        format!("{sign}{prefix}{}{digits}", "0".repeat(n))
    } else {
        format!("{}{sign}{prefix}{digits}", " ".repeat(n))
    }
}

fn fmt_int(v: &Verb, n: f64) -> String {
    let neg = n < 0.0;
    let a = n.abs();
    let mut digits = if a < 1.0e38 {
        let i = a as u128;
        match v.mode {
            'b' => format!("{i:b}"),
            'o' => format!("{i:o}"),
            'x' => format!("{i:x}"),
            'X' => format!("{i:X}"),
            _ => format!("{i}"),
        }
    } else {
        format!("{a:.0}")
    };
    if let Some(p) = v.prec {
        if p == 0 && a == 0.0 {
            digits.clear();
        } else if digits.len() < p {
            digits = "0".repeat(p - digits.len()) + &digits;
        }
    }
    let prefix = if v.sharp {
        match v.mode {
            'b' => "0b",
            'o' if !digits.starts_with('0') => "0",
            'x' => "0x",
            'X' => "0X",
            _ => "",
        }
    } else {
        ""
    };
    pad_number(v, neg, prefix, digits, v.prec.is_none())
}

/// Decimal digits of |n| rounded to `sig` significant digits (shortest when None), trailing
/// zeros removed, and the decimal exponent: value = 0.d1d2... * 10^dp.
fn decimal_digits(n: f64, sig: Option<usize>) -> (String, i32) {
    let a = n.abs();
    if a == 0.0 {
        return ("0".into(), 1);
    }
    let s = match sig {
        None => format!("{a:e}"),
        Some(p) => format!("{:.*e}", p.max(1) - 1, a),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    (digits, exp + 1)
}

/// Go's %e body: d.ddddde±XX with `prec` fractional digits.
fn go_e(a: f64, prec: usize, upper: bool) -> String {
    let s = format!("{:.*e}", prec, a);
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let e = if upper { 'E' } else { 'e' };
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mant}{e}{sign}{:02}", exp.abs())
}

/// Go's %g (strconv 'g') of |n| with the given precision, or the shortest representation.
fn go_g(n: f64, prec: Option<usize>, upper: bool) -> String {
    if !n.is_finite() {
        return if n.is_nan() {
            "NaN".into()
        } else if n > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let neg = n < 0.0;
    let prec = prec.map(|p| p.max(1));
    let (digits, dp) = decimal_digits(n, prec);
    let nd = digits.len() as i32;
    // Go (strconv and math/big): %e when the exponent is < -4 or >= the precision; the
    // shortest form decides with precision 6.
    let mut eprec = match prec {
        Some(p) => p as i32,
        None => 6,
    };
    if prec.is_some() && eprec > nd && nd >= dp {
        eprec = nd;
    }
    let exp = dp - 1;
    let body = if exp < -4 || exp >= eprec {
        // %e with nd-1 fractional digits
        let mut s = String::new();
        s.push_str(&digits[..1]);
        if nd > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        let e = if upper { 'E' } else { 'e' };
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{s}{e}{sign}{:02}", exp.abs())
    } else {
        // %f with max(nd-dp, 0) fractional digits
        let mut s = String::new();
        if dp <= 0 {
            s.push_str("0.");
            s.push_str(&"0".repeat((-dp) as usize));
            s.push_str(&digits);
        } else if dp >= nd {
            s.push_str(&digits);
            s.push_str(&"0".repeat((dp - nd) as usize));
        } else {
            s.push_str(&digits[..dp as usize]);
            s.push('.');
            s.push_str(&digits[dp as usize..]);
        }
        s
    };
    if neg {
        format!("-{body}")
    } else {
        body
    }
}

fn fmt_float(v: &Verb, n: f64) -> String {
    if !n.is_finite() {
        let s = if n.is_nan() {
            "NaN"
        } else if n > 0.0 {
            if v.plus {
                "+Inf"
            } else {
                "Inf"
            }
        } else {
            "-Inf"
        };
        return pad(
            &Verb {
                zero: false,
                ..v.clone()
            },
            s.into(),
        );
    }
    let neg = n.is_sign_negative() && n != 0.0;
    let a = n.abs();
    let body = match v.mode {
        'f' => format!("{:.*}", v.prec.unwrap_or(6), a),
        'e' | 'E' => go_e(a, v.prec.unwrap_or(6), v.mode == 'E'),
        _ => go_g(a, v.prec, v.mode == 'G'),
    };
    pad_number(v, neg, "", body, true)
}

fn format(cx: &Cx, args: &[Value]) -> R {
    let f = cx.str_arg(&args[0], "format")?;
    let rest: Vec<&Value> = args[1..].iter().collect();
    Ok(cx.scalar(format_str(&f, &rest)?))
}

fn formatlist(cx: &Cx, args: &[Value]) -> R {
    let f = cx.str_arg(&args[0], "format")?;
    let rest = &args[1..];
    let mut len: Option<(usize, usize)> = None;
    for (i, a) in rest.iter().enumerate() {
        match &a.kind {
            Kind::List(items) => match len {
                None => len = Some((items.len(), i)),
                Some((l, j)) if l != items.len() => {
                    return err(format!(
                        "argument {} has length {}, which is inconsistent with argument {} of length {}",
                        i + 1,
                        items.len(),
                        j + 1,
                        l
                    ))
                }
                _ => {}
            },
            Kind::Unknown(u) => return Err(Fail::Unknown(u.clone())),
            _ => {}
        }
    }
    let n = match len {
        None => 1,
        Some((l, _)) => l,
    };
    let mut out = Vec::with_capacity(n);
    for it in 0..n {
        let call_args: Vec<&Value> = rest
            .iter()
            .map(|a| match &a.kind {
                Kind::List(items) => &items[it],
                _ => a,
            })
            .collect();
        let k = format_str(&f, &call_args).map_err(|e| match e {
            Fail::Err(m) => Fail::Err(format!("error on format iteration {it}: {m}")),
            other => other,
        })?;
        out.push(cx.scalar(k));
    }
    Ok(cx.list(out))
}

// ---------------------------------------------------------------------------------------------
// strings

fn join(cx: &Cx, args: &[Value]) -> R {
    let sep = &args[0];
    match &sep.kind {
        Kind::String(_) | Kind::Partial(_) | Kind::Number(_) | Kind::Bool(_) => {}
        Kind::Unknown(u) => return Err(Fail::Unknown(u.clone())),
        _ => {
            cx.str_arg(sep, "separator")?;
        }
    }
    let mut lists = Vec::new();
    for (i, a) in args[1..].iter().enumerate() {
        let l = cx.list_arg(a, "lists")?;
        lists.push((i, l));
    }
    let mut sb = Sb::new();
    let mut first = true;
    for (li, l) in lists {
        for (ei, e) in l.iter().enumerate() {
            match &e.kind {
                Kind::Null => {
                    return err(format!(
                        "element {ei} of list {} is null; cannot concatenate null values",
                        li + 1
                    ))
                }
                Kind::List(_) | Kind::Object(_) => {
                    return Err(cx.bad("lists", "list of string required"))
                }
                _ => {}
            }
            if !first {
                sb.push_value(sep)?;
            }
            first = false;
            sb.push_value(e)?;
        }
    }
    Ok(cx.scalar(sb.finish()))
}

fn split(cx: &Cx, args: &[Value]) -> R {
    let sep = cx.str_arg(&args[0], "separator")?;
    let s = cx.str_arg(&args[1], "str")?;
    let parts: Vec<Value> = if sep.is_empty() {
        if s.is_empty() {
            vec![]
        } else {
            cx.check_items(s.len())?;
            s.chars().map(|c| cx.string(c.to_string())).collect()
        }
    } else {
        cx.check_items(s.matches(sep.as_str()).count().saturating_add(1))?;
        s.split(sep.as_str()).map(|p| cx.string(p.into())).collect()
    };
    Ok(cx.list(parts))
}

fn compile_regex(pattern: &str) -> R<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .size_limit(16 * 1024 * 1024)
        .build()
        .map_err(|e| Fail::Err(format!("invalid regular expression pattern: {e}")))
}

fn replace(cx: &Cx, args: &[Value]) -> R {
    let s = cx.str_arg(&args[0], "str")?;
    let sub = cx.str_arg(&args[1], "substr")?;
    let rep = cx.str_arg(&args[2], "replace")?;
    if sub.len() > 1 && sub.starts_with('/') && sub.ends_with('/') {
        let re = compile_regex(&sub[1..sub.len() - 1])?;
        let mut out = String::new();
        let mut last = 0;
        for caps in re.captures_iter(&s) {
            let m = caps.get(0).expect("group 0 always matches");
            out.push_str(&s[last..m.start()]);
            caps.expand(&rep, &mut out);
            last = m.end();
            cx.check_len(out.len() + (s.len() - last))?;
        }
        out.push_str(&s[last..]);
        return Ok(cx.string(out));
    }
    let count = if sub.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(sub.as_str()).count()
    };
    let new_len =
        (s.len() - count.min(s.len()) * sub.len()).saturating_add(count.saturating_mul(rep.len()));
    cx.check_len(new_len)?;
    Ok(cx.string(s.replace(sub.as_str(), &rep)))
}

fn map_case(cx: &Cx, v: &Value, upper: bool) -> R {
    let f = |s: &str| {
        if upper {
            s.to_uppercase()
        } else {
            s.to_lowercase()
        }
    };
    match &v.kind {
        Kind::Partial(parts) => Ok(cx.scalar(Kind::Partial(
            parts
                .iter()
                .map(|p| match p {
                    Part::Lit(s) => Part::Lit(f(s)),
                    Part::Unknown(u) => Part::Unknown(u.clone()),
                })
                .collect(),
        ))),
        _ => {
            let s = cx.str_arg(v, "str")?;
            let out = f(&s);
            cx.check_len(out.len())?;
            Ok(cx.string(out))
        }
    }
}

/// Go's strings.Title: the first letter of each word upper-cased.
fn title(s: &str) -> String {
    fn is_sep(c: char) -> bool {
        if c.is_ascii() {
            return !(c.is_ascii_alphanumeric() || c == '_');
        }
        if c.is_alphanumeric() {
            return false;
        }
        c.is_whitespace()
    }
    let mut out = String::with_capacity(s.len());
    let mut prev = ' ';
    for c in s.chars() {
        if is_sep(prev) {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

fn substr(cx: &Cx, args: &[Value]) -> R {
    let s = cx.str_arg(&args[0], "str")?;
    let offset = cx.int_arg(&args[1], "offset")?;
    let length = cx.int_arg(&args[2], "length")?;
    let total = s.chars().count() as f64;
    let mut offset = offset;
    if offset < 0.0 {
        if total == 0.0 {
            return Ok(cx.string(String::new()));
        }
        offset += total;
        if offset < 0.0 {
            offset = 0.0;
        }
    } else if length == 0.0 {
        return Ok(cx.string(String::new()));
    }
    if offset >= total {
        return Ok(cx.string(String::new()));
    }
    let chars = s.chars().skip(offset as usize);
    let out: String = if length < 0.0 {
        chars.collect()
    } else {
        chars.take(length.min(total) as usize).collect()
    };
    Ok(cx.string(out))
}

// ---------------------------------------------------------------------------------------------
// collections

/// Equality as Terraform compares values after type unification: origins ignored, primitives of
/// different types compared by their string forms.
fn loose_eq(a: &Value, b: &Value) -> bool {
    match (&a.kind, &b.kind) {
        (Kind::Null, Kind::Null) => true,
        (Kind::Bool(x), Kind::Bool(y)) => x == y,
        (Kind::Number(x), Kind::Number(y)) => x == y,
        (Kind::String(x), Kind::String(y)) => x == y,
        (
            Kind::String(_) | Kind::Number(_) | Kind::Bool(_),
            Kind::String(_) | Kind::Number(_) | Kind::Bool(_),
        ) => a.to_tf_string() == b.to_tf_string(),
        (Kind::List(x), Kind::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| loose_eq(p, q))
        }
        (Kind::Object(x), Kind::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && loose_eq(v1, v2))
        }
        _ => false,
    }
}

fn concat(cx: &Cx, args: &[Value]) -> R {
    if args.is_empty() {
        return err("at least one argument is required");
    }
    let mut total = 0usize;
    for a in args {
        total = total.saturating_add(cx.list_arg(a, "seqs")?.len());
    }
    cx.check_items(total)?;
    let mut out = Vec::with_capacity(total);
    for a in args {
        out.extend(cx.list_arg(a, "seqs")?.iter().cloned());
    }
    Ok(cx.list(out))
}

fn merge(cx: &Cx, args: &[Value]) -> R {
    let mut out = ObjMap::new();
    for a in args {
        match &a.kind {
            Kind::Null => continue,
            Kind::Unknown(u) => return Err(Fail::Unknown(u.clone())),
            Kind::Object(m) => {
                for (k, v) in m.iter() {
                    out.insert(k.clone(), v.clone());
                }
            }
            _ => {
                return err(format!(
                    "arguments must be maps or objects, got \"{}\".",
                    a.type_name()
                ))
            }
        }
    }
    Ok(cx.scalar(Kind::Object(out.into())))
}

fn flatten(cx: &Cx, v: &Value) -> R {
    fn go(items: &[Value], out: &mut Vec<Value>, depth: usize) -> R<()> {
        if depth > MAX_DEPTH {
            return Err(Fail::Limit(format!(
                "list nested more than {MAX_DEPTH} levels deep"
            )));
        }
        for i in items {
            match &i.kind {
                Kind::List(inner) => go(inner, out, depth + 1)?,
                _ => {
                    if out.len() >= MAX_ITEMS {
                        return Err(Fail::Limit(format!(
                            "`flatten` would produce more than {MAX_ITEMS} elements"
                        )));
                    }
                    out.push(i.clone())
                }
            }
        }
        Ok(())
    }
    let l = cx.list_arg(v, "list")?;
    let mut out = Vec::new();
    go(l, &mut out, 0)?;
    Ok(cx.list(out))
}

fn distinct(cx: &Cx, v: &Value) -> R {
    let l = cx.list_arg(v, "list")?;
    need_known(v)?;
    let mut out: Vec<Value> = Vec::new();
    for i in l {
        if !out.iter().any(|o| loose_eq(o, i)) {
            out.push(i.clone());
        }
    }
    Ok(cx.list(out))
}

fn compact(cx: &Cx, v: &Value) -> R {
    let l = cx.list_arg(v, "list")?;
    let mut out = Vec::new();
    for i in l {
        match &i.kind {
            Kind::Null => {}
            Kind::String(s) if s.is_empty() => {}
            Kind::Partial(parts)
                if parts
                    .iter()
                    .any(|p| matches!(p, Part::Lit(s) if !s.is_empty())) =>
            {
                out.push(i.clone())
            }
            Kind::Partial(_) | Kind::Unknown(_) => return Err(fail_unknown(i)),
            Kind::List(_) | Kind::Object(_) => {
                return Err(cx.bad("list", "list of string required"))
            }
            _ => out.push(i.clone()),
        }
    }
    Ok(cx.list(out))
}

fn contains(cx: &Cx, args: &[Value]) -> R {
    let l = match &args[0].kind {
        Kind::Object(m) => m.values().cloned().collect::<Vec<_>>(),
        _ => cx.list_arg(&args[0], "list")?.to_vec(),
    };
    need_known(&args[1])?;
    let mut unknown = None;
    for i in &l {
        if !i.is_known() {
            unknown = unknown.or_else(|| unknown_of(i));
        } else if loose_eq(i, &args[1]) {
            return Ok(cx.scalar(Kind::Bool(true)));
        }
    }
    match unknown {
        Some(u) => Err(Fail::Unknown(u)),
        None => Ok(cx.scalar(Kind::Bool(false))),
    }
}

fn length(cx: &Cx, v: &Value) -> R {
    let n = match &v.kind {
        Kind::String(s) => s.chars().count(),
        Kind::List(l) => l.len(),
        Kind::Object(m) => m.len(),
        Kind::Unknown(_) | Kind::Partial(_) => return Err(fail_unknown(v)),
        Kind::Null => return Err(cx.bad("value", "argument must not be null")),
        _ => {
            return Err(cx.bad(
                "value",
                "argument must be a string, a collection type, or a structural type",
            ))
        }
    };
    Ok(cx.number(n as f64))
}

fn lookup(cx: &Cx, args: &[Value]) -> R {
    let m = cx.map_arg(&args[0], "inputMap")?;
    let key = cx.str_arg(&args[1], "key")?;
    match m.get(&key) {
        Some(v) => Ok(v.clone()),
        None => match args.get(2) {
            Some(d) => Ok(d.clone()),
            None => err(format!("lookup failed to find key {}", json_quote(&key))),
        },
    }
}

fn element(cx: &Cx, args: &[Value]) -> R {
    let l = cx.list_arg(&args[0], "list")?;
    let idx = cx.int_arg(&args[1], "index")?;
    if l.is_empty() {
        return err("cannot use element function with an empty list");
    }
    if idx < 0.0 {
        return err("cannot use element function with a negative index");
    }
    let i = (idx % l.len() as f64) as usize;
    Ok(l[i.min(l.len() - 1)].clone())
}

fn index(cx: &Cx, args: &[Value]) -> R {
    let l = cx.list_arg(&args[0], "list")?;
    need_known(&args[1])?;
    for (n, i) in l.iter().enumerate() {
        if !i.is_known() {
            return Err(fail_unknown(i));
        }
        if loose_eq(i, &args[1]) {
            return Ok(cx.number(n as f64));
        }
    }
    err("item not found")
}

fn slice(cx: &Cx, args: &[Value]) -> R {
    let l = cx.list_arg(&args[0], "list")?;
    let start = cx.int_arg(&args[1], "start_index")?;
    let end = cx.int_arg(&args[2], "end_index")?;
    if start < 0.0 {
        return Err(cx.bad("start_index", "start index must not be less than zero"));
    }
    if end > l.len() as f64 {
        return Err(cx.bad(
            "end_index",
            "end index must not be greater than the length of the list",
        ));
    }
    if start > end {
        return Err(cx.bad(
            "start_index",
            "start index must not be greater than end index",
        ));
    }
    Ok(cx.list(l[start as usize..end as usize].to_vec()))
}

fn sort(cx: &Cx, v: &Value) -> R {
    let l = cx.list_arg(v, "list")?;
    need_known(v)?;
    let mut out = Vec::with_capacity(l.len());
    for (i, e) in l.iter().enumerate() {
        match &e.kind {
            Kind::Null => {
                return err(format!(
                    "given list element {i} is null; a null string cannot be sorted"
                ))
            }
            Kind::String(_) | Kind::Number(_) | Kind::Bool(_) => out.push(Value::new(
                Kind::String(e.to_tf_string().unwrap_or_default()),
                e.origin.clone(),
            )),
            _ => return Err(cx.bad("list", "list of string required")),
        }
    }
    out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    Ok(cx.list(out))
}

/// Converts mixed primitive elements to strings, as Terraform unifies a tuple's element types.
fn unify<'a>(items: impl Iterator<Item = &'a Value> + Clone) -> Vec<Value> {
    let mut kinds = 0u8;
    for i in items.clone() {
        match &i.kind {
            Kind::String(_) | Kind::Partial(_) => kinds |= 1,
            Kind::Number(_) => kinds |= 2,
            Kind::Bool(_) => kinds |= 4,
            _ => {}
        }
    }
    let mixed = kinds.count_ones() > 1;
    items
        .map(|i| match &i.kind {
            Kind::Number(_) | Kind::Bool(_) if mixed => Value::new(
                Kind::String(i.to_tf_string().unwrap_or_default()),
                i.origin.clone(),
            ),
            _ => i.clone(),
        })
        .collect()
}

/// Orders a set's elements as Terraform iterates sets: strings lexically, numbers ascending.
fn set_order(items: &mut [Value]) {
    if items.iter().all(|i| matches!(i.kind, Kind::String(_))) {
        items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    } else if items.iter().all(|i| matches!(i.kind, Kind::Number(_))) {
        items.sort_by(|a, b| {
            a.as_number()
                .partial_cmp(&b.as_number())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    } else if items.iter().all(|i| matches!(i.kind, Kind::Bool(_))) {
        items.sort_by_key(|i| i.as_bool());
    }
}

fn dedup(items: Vec<Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for i in items {
        if !out.iter().any(|o| loose_eq(o, &i)) {
            out.push(i);
        }
    }
    out
}

fn set_op(cx: &Cx, args: &[Value]) -> R {
    match cx.name {
        "toset" => cx.arity(args, 1, 1)?,
        "setsubtract" => cx.arity(args, 2, 2)?,
        _ => cx.arity(args, 1, usize::MAX)?,
    }
    let mut sets = Vec::with_capacity(args.len());
    let mut total = 0usize;
    for a in args {
        let l = cx.list_arg(a, if cx.name == "toset" { "v" } else { "sets" })?;
        total = total.saturating_add(l.len());
        sets.push(l);
    }
    cx.check_items(total)?;
    for a in args {
        need_known(a)?;
    }
    // unify element types across all sets
    let all = unify(sets.iter().flat_map(|s| s.iter()));
    let mut chunks = Vec::with_capacity(sets.len());
    let mut at = 0;
    for s in &sets {
        chunks.push(&all[at..at + s.len()]);
        at += s.len();
    }
    let mut out: Vec<Value> = match cx.name {
        "setintersection" => chunks[0]
            .iter()
            .filter(|e| chunks[1..].iter().all(|c| c.iter().any(|x| loose_eq(x, e))))
            .cloned()
            .collect(),
        "setsubtract" => chunks[0]
            .iter()
            .filter(|e| !chunks[1].iter().any(|x| loose_eq(x, e)))
            .cloned()
            .collect(),
        _ => all.clone(),
    };
    out = dedup(out);
    set_order(&mut out);
    Ok(cx.list(out))
}

fn tolist(cx: &Cx, v: &Value) -> R {
    match &v.kind {
        Kind::Null => Ok(v.clone()),
        Kind::List(l) => Ok(Value::new(
            Kind::List(Arc::new(unify(l.iter()))),
            v.origin.clone(),
        )),
        Kind::Unknown(u) => Err(Fail::Unknown(u.clone())),
        _ => Err(cx.bad(
            "v",
            &format!(
                "cannot convert {} to list of any single type",
                v.type_name()
            ),
        )),
    }
}

fn tomap(cx: &Cx, v: &Value) -> R {
    match &v.kind {
        Kind::Null => Ok(v.clone()),
        Kind::Object(m) => {
            let vals = unify(m.values());
            Ok(Value::new(
                Kind::Object(Arc::new(m.keys().cloned().zip(vals).collect())),
                v.origin.clone(),
            ))
        }
        Kind::Unknown(u) => Err(Fail::Unknown(u.clone())),
        _ => Err(cx.bad(
            "v",
            &format!("cannot convert {} to map of any single type", v.type_name()),
        )),
    }
}

fn tostring(cx: &Cx, v: &Value) -> R {
    match &v.kind {
        Kind::Null | Kind::String(_) | Kind::Partial(_) => Ok(v.clone()),
        Kind::Number(_) | Kind::Bool(_) => Ok(Value::new(
            Kind::String(v.to_tf_string().unwrap_or_default()),
            v.origin.clone(),
        )),
        Kind::Unknown(u) => Err(Fail::Unknown(u.clone())),
        _ => Err(cx.bad(
            "v",
            &format!(
                "cannot convert {} to string",
                if matches!(v.kind, Kind::List(_)) {
                    "tuple"
                } else {
                    "object"
                }
            ),
        )),
    }
}

fn tonumber(cx: &Cx, v: &Value) -> R {
    match &v.kind {
        Kind::Null | Kind::Number(_) => Ok(v.clone()),
        Kind::String(s) => match parse_number(s) {
            Some(n) => Ok(Value::new(Kind::Number(n), v.origin.clone())),
            None => Err(cx.bad(
                "v",
                &format!(
                    "cannot convert {} to number; given string must be a decimal representation of a number",
                    json_quote(s)
                ),
            )),
        },
        Kind::Unknown(_) | Kind::Partial(_) => Err(fail_unknown(v)),
        Kind::Bool(_) => Err(cx.bad("v", "cannot convert bool to number")),
        _ => Err(cx.bad(
            "v",
            &format!("cannot convert {} to number", v.type_name()),
        )),
    }
}

fn tobool(cx: &Cx, v: &Value) -> R {
    match &v.kind {
        Kind::Null | Kind::Bool(_) => Ok(v.clone()),
        Kind::String(s) if s == "true" || s == "false" => {
            Ok(Value::new(Kind::Bool(s == "true"), v.origin.clone()))
        }
        Kind::String(s) => Err(cx.bad(
            "v",
            &format!(
                "cannot convert {} to bool; only the strings \"true\" or \"false\" are allowed",
                json_quote(s)
            ),
        )),
        Kind::Unknown(_) | Kind::Partial(_) => Err(fail_unknown(v)),
        _ => Err(cx.bad("v", &format!("cannot convert {} to bool", v.type_name()))),
    }
}

fn coalesce(_cx: &Cx, args: &[Value]) -> R {
    if args.is_empty() {
        return err("at least one argument is required");
    }
    let any_str = args
        .iter()
        .any(|a| matches!(a.kind, Kind::String(_) | Kind::Partial(_)));
    for a in args {
        match &a.kind {
            Kind::Null => continue,
            Kind::String(s) if s.is_empty() => continue,
            Kind::Unknown(u) => return Err(Fail::Unknown(u.clone())),
            Kind::Partial(parts) => {
                if parts
                    .iter()
                    .any(|p| matches!(p, Part::Lit(s) if !s.is_empty()))
                {
                    return Ok(a.clone());
                }
                return Err(fail_unknown(a));
            }
            Kind::Number(_) | Kind::Bool(_) if any_str => {
                return Ok(Value::new(
                    Kind::String(a.to_tf_string().unwrap_or_default()),
                    a.origin.clone(),
                ))
            }
            _ => return Ok(a.clone()),
        }
    }
    err("no non-null, non-empty-string arguments")
}

fn coalescelist(cx: &Cx, args: &[Value]) -> R {
    if args.is_empty() {
        return err("at least one argument is required");
    }
    for a in args {
        match &a.kind {
            Kind::Null => continue,
            Kind::List(l) if l.is_empty() => continue,
            Kind::List(_) => return Ok(a.clone()),
            Kind::Unknown(u) => return Err(Fail::Unknown(u.clone())),
            _ => return Err(cx.bad("vals", "a list or tuple is required")),
        }
    }
    err("no non-null arguments")
}

fn one(cx: &Cx, v: &Value) -> R {
    let l = match &v.kind {
        Kind::Null => return Err(cx.bad("list", "argument must not be null")),
        _ => cx.list_arg(v, "list")?,
    };
    match l.len() {
        0 => Ok(cx.scalar(Kind::Null)),
        1 => Ok(l[0].clone()),
        _ => Err(cx.bad(
            "list",
            "must be a list, set, or tuple value with either zero or one elements",
        )),
    }
}

fn range(cx: &Cx, args: &[Value]) -> R {
    if args.is_empty() || args.len() > 3 {
        return err("must have one, two, or three arguments");
    }
    let mut nums = Vec::with_capacity(3);
    for a in args {
        let n = cx.num_arg(a, "params")?;
        if !n.is_finite() {
            return Err(cx.bad("params", "number must be finite"));
        }
        nums.push(n);
    }
    let (start, end, step) = match nums.len() {
        1 => (0.0, nums[0], 1.0),
        2 => (nums[0], nums[1], if nums[1] < nums[0] { -1.0 } else { 1.0 }),
        _ => (nums[0], nums[1], nums[2]),
    };
    if step == 0.0 {
        return err("step must not be zero");
    }
    let down = step < 0.0;
    if down && end > start {
        return err("end must be less than start when step is negative");
    }
    if !down && end < start {
        return err("end must be greater than start when step is positive");
    }
    // How many values, without generating them.
    let count = ((end - start) / step).ceil();
    if count > 1024.0 {
        return err(
            "more than 1024 values were generated; either decrease the difference between start and end or use a smaller step",
        );
    }
    let mut out = Vec::new();
    let mut i = 0.0;
    loop {
        let n = start + i * step;
        if (down && n <= end) || (!down && n >= end) {
            break;
        }
        if out.len() >= 1024 {
            return err(
                "more than 1024 values were generated; either decrease the difference between start and end or use a smaller step",
            );
        }
        out.push(cx.number(n));
        i += 1.0;
    }
    Ok(cx.list(out))
}

fn zipmap(cx: &Cx, args: &[Value]) -> R {
    let keys = cx.list_arg(&args[0], "keys")?;
    let vals = cx.list_arg(&args[1], "values")?;
    if keys.len() != vals.len() {
        return err(format!(
            "number of keys ({}) does not match number of values ({})",
            keys.len(),
            vals.len()
        ));
    }
    let mut out = ObjMap::new();
    for (k, v) in keys.iter().zip(vals) {
        let k = cx.str_arg(k, "keys")?;
        out.insert(k, v.clone());
    }
    Ok(cx.scalar(Kind::Object(out.into())))
}

fn regex_fn(cx: &Cx, args: &[Value], all: bool) -> R {
    let pattern = cx.str_arg(&args[0], "pattern")?;
    let re = compile_regex(&pattern)?;
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    let named = names.iter().filter(|n| n.is_some()).count();
    if named > 0 && named < names.len() {
        return Err(cx.bad(
            "pattern",
            "invalid regular expression: can't mix both named and unnamed capture groups",
        ));
    }
    let s = cx.str_arg(&args[1], "string")?;
    let result = |caps: &regex::Captures| -> Value {
        let grp = |i: usize| match caps.get(i) {
            Some(m) => cx.string(m.as_str().to_string()),
            None => cx.scalar(Kind::Null),
        };
        if names.is_empty() {
            grp(0)
        } else if named > 0 {
            cx.scalar(Kind::Object(Arc::new(
                names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.unwrap_or_default().to_string(), grp(i + 1)))
                    .collect(),
            )))
        } else {
            cx.list((1..=names.len()).map(grp).collect())
        }
    };
    if all {
        let mut out = Vec::new();
        for caps in re.captures_iter(&s) {
            if out.len() >= MAX_ITEMS {
                return Err(Fail::Limit(format!(
                    "`regexall` would produce more than {MAX_ITEMS} matches"
                )));
            }
            out.push(result(&caps));
        }
        Ok(cx.list(out))
    } else {
        match re.captures(&s) {
            Some(caps) => Ok(result(&caps)),
            None => err("pattern did not match any part of the given string"),
        }
    }
}

fn num1(cx: &Cx, v: &Value, f: fn(f64) -> f64) -> R {
    let n = cx.num_arg(v, "num")?;
    Ok(cx.number(f(n)))
}

fn minmax(cx: &Cx, args: &[Value], max: bool) -> R {
    if args.is_empty() {
        return err("must pass at least one number");
    }
    let mut best: Option<f64> = None;
    let mut unknown = None;
    for a in args {
        match cx.num_arg(a, "numbers") {
            Ok(n) => {
                best = Some(match best {
                    None => n,
                    Some(b) if max => b.max(n),
                    Some(b) => b.min(n),
                })
            }
            Err(Fail::Unknown(u)) => unknown = unknown.or(Some(u)),
            Err(e) => return Err(e),
        }
    }
    if let Some(u) = unknown {
        return Err(Fail::Unknown(u));
    }
    Ok(cx.number(best.unwrap_or(0.0)))
}

fn sum(cx: &Cx, v: &Value) -> R {
    let l = match &v.kind {
        Kind::Object(m) => m.values().cloned().collect(),
        _ => cx.list_arg(v, "list")?.to_vec(),
    };
    if l.is_empty() {
        return err("cannot sum an empty list");
    }
    let mut total = 0.0;
    for i in &l {
        if i.is_null() {
            return err("argument must be list, set, or tuple of number values");
        }
        total += cx.num_arg(i, "list")?;
    }
    Ok(cx.number(total))
}

fn all_any(cx: &Cx, v: &Value, all: bool) -> R {
    let l = cx.list_arg(v, "list")?;
    let mut unknown = None;
    for i in l {
        match cx.bool_arg(i, "list") {
            Ok(b) if b != all => return Ok(cx.scalar(Kind::Bool(!all))),
            Ok(_) => {}
            Err(Fail::Unknown(u)) => unknown = unknown.or(Some(u)),
            Err(e) => return Err(e),
        }
    }
    match unknown {
        Some(u) => Err(Fail::Unknown(u)),
        None => Ok(cx.scalar(Kind::Bool(all))),
    }
}

fn chunklist(cx: &Cx, args: &[Value]) -> R {
    let l = cx.list_arg(&args[0], "list")?;
    let size = cx.int_arg(&args[1], "size")?;
    if size < 0.0 {
        return Err(cx.bad("size", "the size argument must be positive"));
    }
    if size == 0.0 {
        return Ok(cx.list(vec![args[0].clone()]));
    }
    let size = if size > l.len() as f64 {
        l.len().max(1)
    } else {
        size as usize
    };
    Ok(cx.list(l.chunks(size).map(|c| cx.list(c.to_vec())).collect()))
}

fn base64decode(cx: &Cx, v: &Value) -> R {
    use base64::Engine;
    let s = cx.str_arg(v, "str")?;
    let cleaned: String = s.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cleaned.as_bytes())
        .map_err(|_| {
            let shown: String = s.chars().take(64).collect();
            Fail::Err(format!(
                "failed to decode base64 data {}",
                json_quote(&shown)
            ))
        })?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(cx.string(s)),
        Err(_) => err("the result of decoding the provided string is not valid UTF-8"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use serde_json::json;

    fn loc() -> Location {
        Location::new(FileId(0), 10..20)
    }
    fn run(name: &str, args: Vec<Value>) -> Result<Value, String> {
        call(name, args, &CallCtx { loc: loc() }).expect("function is modelled")
    }
    fn c(name: &str, args: Vec<Value>) -> Value {
        run(name, args).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
    /// The result as JSON, for comparisons.
    fn j(name: &str, args: Vec<Value>) -> serde_json::Value {
        c(name, args).to_json()
    }
    fn e(name: &str, args: Vec<Value>) -> String {
        match run(name, args) {
            Err(m) => m,
            Ok(v) => panic!("{name}: expected an error, got {v:?}"),
        }
    }
    fn s(x: &str) -> Value {
        Value::string(x)
    }
    fn n(x: f64) -> Value {
        Value::number(x)
    }
    fn b(x: bool) -> Value {
        Value::bool(x)
    }
    fn l(items: Vec<Value>) -> Value {
        Value::list(items)
    }
    fn sl(items: &[&str]) -> Value {
        l(items.iter().map(|x| s(x)).collect())
    }
    fn obj(items: Vec<(&str, Value)>) -> Value {
        Value::object(items.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }
    fn unk(name: &str) -> Value {
        Value::unknown_reason(Reason::Variable { name: name.into() })
    }
    fn partial(parts: Vec<Part>) -> Value {
        Value::new(Kind::Partial(parts), Origin::none())
    }
    fn lit(x: &str) -> Part {
        Part::Lit(x.into())
    }
    fn upart(v: &Value) -> Part {
        match &v.kind {
            Kind::Unknown(u) => Part::Unknown(u.clone()),
            _ => panic!("not unknown"),
        }
    }
    /// Asserts `v` is unknown and carries the same unknown as `from`.
    fn assert_unknown_from(v: &Value, from: &Value) {
        match (&v.kind, &from.kind) {
            (Kind::Unknown(a), Kind::Unknown(b)) => assert!(Arc::ptr_eq(a, b), "{v:?}"),
            _ => panic!("expected unknown, got {v:?}"),
        }
    }
    fn str_of(v: &Value) -> &str {
        v.as_str().unwrap_or_else(|| panic!("not a string: {v:?}"))
    }
    fn placeholder_text(v: &Value) -> (String, Vec<Arc<Unknown>>) {
        match &v.kind {
            Kind::String(s) => (s.clone(), vec![]),
            Kind::Partial(parts) => {
                let mut s = String::new();
                let mut unknowns = Vec::new();
                for p in parts {
                    match p {
                        Part::Lit(l) => s.push_str(l),
                        Part::Unknown(u) => {
                            s.push(crate::json::PLACEHOLDER_START);
                            s.push_str(&unknowns.len().to_string());
                            s.push(crate::json::PLACEHOLDER_END);
                            unknowns.push(u.clone());
                        }
                    }
                }
                (s, unknowns)
            }
            _ => panic!("not a string: {v:?}"),
        }
    }

    #[test]
    fn unmodelled_is_none() {
        assert!(call("timestamp", vec![], &CallCtx { loc: loc() }).is_none());
        assert!(call("file", vec![s("x")], &CallCtx { loc: loc() }).is_none());
    }

    #[test]
    fn arity_errors() {
        assert!(e("upper", vec![]).contains("Not enough function arguments"));
        assert!(e("upper", vec![s("a"), s("b")]).contains("Too many function arguments"));
        assert!(e("upper", vec![l(vec![])]).contains("string required"));
    }

    #[test]
    fn jsonencode_examples() {
        assert_eq!(
            str_of(&c("jsonencode", vec![obj(vec![("hello", s("world"))])])),
            r#"{"hello":"world"}"#
        );
        let v = obj(vec![
            ("b", n(1.0)),
            ("a", l(vec![n(1.5), b(true), Value::null()])),
            ("c", n(414351767826.0)),
            ("d", n(1e21)),
            ("e", n(-0.25)),
        ]);
        assert_eq!(
            str_of(&c("jsonencode", vec![v])),
            r#"{"a":[1.5,true,null],"b":1,"c":414351767826,"d":1000000000000000000000,"e":-0.25}"#
        );
        assert_eq!(
            str_of(&c(
                "jsonencode",
                vec![s("<a href=\"x\">&\u{2028}\n\t\u{1}é\\")]
            )),
            r#""\u003ca href=\"x\"\u003e\u0026\u2028\n\t\u0001é\\""#
        );
        assert_eq!(str_of(&c("jsonencode", vec![Value::null()])), "null");
    }

    #[test]
    fn jsonencode_unknowns_round_trip() {
        let x = unk("bucket");
        let acct = unk("account");
        let doc = obj(vec![
            ("Version", s("2012-10-17")),
            (
                "Statement",
                l(vec![obj(vec![
                    ("Effect", s("Allow")),
                    ("Resource", x.clone()),
                    (
                        "Principal",
                        obj(vec![(
                            "AWS",
                            partial(vec![lit("arn:aws:iam::"), upart(&acct), lit(":root\"")]),
                        )]),
                    ),
                ])]),
            ),
        ]);
        let r = c("jsonencode", vec![doc]);
        let Kind::Partial(parts) = &r.kind else {
            panic!("{r:?}")
        };
        assert_eq!(parts.len(), 5);
        let (text, unknowns) = placeholder_text(&r);
        assert_eq!(unknowns.len(), 2);
        assert!(
            text.contains("\"Resource\":\"\u{E000}1\u{E001}\""),
            "{text}"
        );
        let back = crate::json::parse(&text, &|_| Origin::none(), &unknowns).unwrap();
        let st = &back.get("Statement").unwrap().as_list().unwrap()[0];
        assert_eq!(st.get("Effect").unwrap().as_str(), Some("Allow"));
        match &st.get("Resource").unwrap().kind {
            Kind::Partial(p) => assert!(
                matches!(&p[..], [Part::Unknown(u)] if Arc::ptr_eq(u, match &x.kind { Kind::Unknown(a) => a, _ => unreachable!() }))
            ),
            other => panic!("{other:?}"),
        }
        match &st.get("Principal").unwrap().get("AWS").unwrap().kind {
            Kind::Partial(p) => {
                assert_eq!(p.len(), 3);
                assert_eq!(p[0], lit("arn:aws:iam::"));
                assert_eq!(p[2], lit(":root\""));
            }
            other => panic!("{other:?}"),
        }
        // A wholly unknown argument makes an unknown result.
        assert_unknown_from(&c("jsonencode", vec![x.clone()]), &x);
    }

    #[test]
    fn jsondecode_plain_and_partial() {
        let v = c(
            "jsondecode",
            vec![s(r#"{"hello": "world", "n": [1, true]}"#)],
        );
        assert_eq!(v.to_json(), json!({"hello": "world", "n": [1, true]}));
        assert_eq!(v.get("hello").unwrap().loc(), Some(loc()));
        assert_eq!(j("jsondecode", vec![s("true")]), json!(true));
        assert!(run("jsondecode", vec![s("{")]).is_err());
        let x = unk("x");
        let v = c(
            "jsondecode",
            vec![partial(vec![lit(r#"{"a":""#), upart(&x), lit(r#""}"#)])],
        );
        assert!(matches!(v.get("a").unwrap().kind, Kind::Partial(_)));
        assert_unknown_from(&c("jsondecode", vec![x.clone()]), &x);
    }

    #[test]
    fn format_examples() {
        let f = |fmt: &str, args: Vec<Value>| {
            let mut a = vec![s(fmt)];
            a.extend(args);
            str_of(&c("format", a)).to_string()
        };
        assert_eq!(f("Hello, %s!", vec![s("Ander")]), "Hello, Ander!");
        assert_eq!(f("There are %d lights", vec![n(4.0)]), "There are 4 lights");
        assert_eq!(f("%#v", vec![s("hello")]), "\"hello\"");
        assert_eq!(f("%#v", vec![b(true)]), "true");
        assert_eq!(f("%#v", vec![n(1.0)]), "1");
        assert_eq!(f("%#v", vec![obj(vec![("a", n(1.0))])]), r#"{"a":1}"#);
        assert_eq!(f("%#v", vec![Value::null()]), "null");
        assert_eq!(f("%v", vec![Value::null()]), "null");
        assert_eq!(f("%v %v", vec![n(1.5), b(false)]), "1.5 false");
        assert_eq!(f("%v", vec![n(1234567.0)]), "1.234567e+06");
        assert_eq!(f("%v", vec![n(100000.0)]), "100000");
        assert_eq!(f("%.2f", vec![n(3.14259)]), "3.14");
        assert_eq!(
            f("%5.2f|%-8.3f|%08.3f", vec![n(3.14259), n(2.5), n(-2.5)]),
            " 3.14|2.500   |-002.500"
        );
        assert_eq!(f("%f", vec![n(1.0)]), "1.000000");
        assert_eq!(
            f("%e|%E|%.2e", vec![n(1234.5678), n(0.00012), n(5.0)]),
            "1.234568e+03|1.200000E-04|5.00e+00"
        );
        assert_eq!(
            f("%g|%g|%.3g", vec![n(0.00001), n(123.0), n(3.14259)]),
            "1e-05|123|3.14"
        );
        assert_eq!(
            f(
                "%d|%5d|%-5d|%05d|%+d",
                vec![n(42.0), n(42.0), n(42.0), n(-42.0), n(7.0)]
            ),
            "42|   42|42   |-0042|+7"
        );
        assert_eq!(
            f(
                "%b %o %x %X %#x",
                vec![n(5.0), n(8.0), n(255.0), n(255.0), n(255.0)]
            ),
            "101 10 ff FF 0xff"
        );
        assert_eq!(f("%q", vec![s("a\"<b>")]), r#""a\"\u003cb\u003e""#);
        assert_eq!(f("%s %s", vec![n(1.0), b(true)]), "1 true");
        assert_eq!(
            f("%5s|%-5s|%.2s", vec![s("ab"), s("ab"), s("abcdef")]),
            "   ab|ab   |ab"
        );
        assert_eq!(f("100%% %t", vec![s("true")]), "100% true");
        assert_eq!(f("%[2]s %[1]s %s", vec![s("a"), s("b")]), "b a b");
        assert_eq!(f("%d", vec![s("12")]), "12");
        assert_eq!(f("no verbs", vec![]), "no verbs");
        assert_eq!(f("é%sü", vec![s("ß")]), "éßü");
    }

    #[test]
    fn format_errors() {
        let f = |fmt: &str, args: Vec<Value>| {
            let mut a = vec![s(fmt)];
            a.extend(args);
            e("format", a)
        };
        assert_eq!(
            f("%s %s", vec![s("a")]),
            "not enough arguments for \"%s\" at 3: need index 2 but have 1 total"
        );
        assert_eq!(
            f("%s", vec![s("a"), s("b")]),
            "too many arguments; only 1 used by format string"
        );
        assert!(f("%d", vec![n(1.5)]).contains("an integer is required"));
        assert!(f("%d", vec![s("x")]).contains("unsupported value for \"%d\" at 0"));
        assert!(f("%s", vec![Value::null()]).contains("null value cannot be formatted"));
        assert!(f("%s", vec![l(vec![])]).contains("string required"));
        assert!(f("%y", vec![n(1.0)]).contains("unsupported format verb 'y'"));
        assert!(f("abc %", vec![]).contains("invalid format string starting at offset 4"));
        assert!(f("%!", vec![]).contains("unrecognized format character '!' at offset 1"));
        assert!(f("%t", vec![n(1.0)]).contains("bool required"));
    }

    #[test]
    fn format_partial() {
        let x = unk("x");
        let r = c(
            "format",
            vec![
                s("arn:aws:s3:::%s/%s/%d"),
                x.clone(),
                partial(vec![lit("a"), upart(&x), lit("b")]),
                x.clone(),
            ],
        );
        match &r.kind {
            Kind::Partial(p) => {
                assert_eq!(p.len(), 6);
                assert_eq!(p[0], lit("arn:aws:s3:::"));
                assert_eq!(p[2], lit("/a"));
                assert_eq!(p[4], lit("b/"));
            }
            other => panic!("{other:?}"),
        }
        // unknown format string
        assert_unknown_from(&c("format", vec![x.clone(), s("a")]), &x);
        // errors still reported
        assert!(run("format", vec![s("%s %s"), x.clone()]).is_err());
    }

    #[test]
    fn formatlist_examples() {
        assert_eq!(
            j(
                "formatlist",
                vec![
                    s("Hello, %s!"),
                    sl(&["Valentina", "Ander", "Olivia", "Sam"])
                ]
            ),
            json!([
                "Hello, Valentina!",
                "Hello, Ander!",
                "Hello, Olivia!",
                "Hello, Sam!"
            ])
        );
        assert_eq!(
            j(
                "formatlist",
                vec![s("%s, %s!"), s("Salutations"), sl(&["Valentina", "Ander"])]
            ),
            json!(["Salutations, Valentina!", "Salutations, Ander!"])
        );
        assert!(
            e("formatlist", vec![s("%s%s"), sl(&["a"]), sl(&["a", "b"])]).contains("inconsistent")
        );
        let x = unk("x");
        let r = c("formatlist", vec![s("arn:%s"), l(vec![s("a"), x.clone()])]);
        assert!(matches!(r.as_list().unwrap()[1].kind, Kind::Partial(_)));
        assert_unknown_from(&c("formatlist", vec![s("%s"), x.clone()]), &x);
    }

    #[test]
    fn join_split_replace() {
        assert_eq!(
            str_of(&c("join", vec![s("-"), sl(&["foo", "bar", "baz"])])),
            "foo-bar-baz"
        );
        assert_eq!(str_of(&c("join", vec![s(", "), sl(&["foo"])])), "foo");
        assert_eq!(
            str_of(&c("join", vec![s(","), sl(&["a"]), sl(&["b", "c"])])),
            "a,b,c"
        );
        assert_eq!(
            str_of(&c("join", vec![s(","), l(vec![n(1.0), b(true)])])),
            "1,true"
        );
        assert!(e("join", vec![s(","), l(vec![Value::null()])]).contains("is null"));
        let x = unk("x");
        let r = c("join", vec![s(","), l(vec![s("a"), x.clone(), s("b")])]);
        assert_eq!(r.kind, Kind::Partial(vec![lit("a,"), upart(&x), lit(",b")]));
        assert_unknown_from(&c("join", vec![s(","), x.clone()]), &x);

        assert_eq!(j("split", vec![s(","), s("foo")]), json!(["foo"]));
        assert_eq!(
            j("split", vec![s(","), s("foo,bar,baz")]),
            json!(["foo", "bar", "baz"])
        );
        assert_eq!(j("split", vec![s(","), s("")]), json!([""]));
        assert_eq!(j("split", vec![s(""), s("ab")]), json!(["a", "b"]));
        assert_unknown_from(&c("split", vec![s(","), x.clone()]), &x);

        assert_eq!(
            str_of(&c("replace", vec![s("1 + 2 + 3"), s("+"), s("-")])),
            "1 - 2 - 3"
        );
        assert_eq!(
            str_of(&c(
                "replace",
                vec![s("hello world"), s("/w.*d/"), s("everybody")]
            )),
            "hello everybody"
        );
        assert_eq!(
            str_of(&c(
                "replace",
                vec![
                    s("arn:aws:iam::123:root"),
                    s("/^arn:(\\w+):iam::(\\d+):.*$/"),
                    s("$2@$1")
                ]
            )),
            "123@aws"
        );
        assert_eq!(
            str_of(&c("replace", vec![s("abc"), s(""), s("-")])),
            "-a-b-c-"
        );
        assert_eq!(str_of(&c("replace", vec![s("/"), s("/"), s("x")])), "x");
        assert!(e("replace", vec![s("a"), s("/(/"), s("x")]).contains("invalid regular expression"));
    }

    #[test]
    fn case_and_trim() {
        assert_eq!(str_of(&c("lower", vec![s("HELLO")])), "hello");
        assert_eq!(str_of(&c("upper", vec![s("hello")])), "HELLO");
        let x = unk("x");
        assert_eq!(
            c("upper", vec![partial(vec![lit("ab"), upart(&x)])]).kind,
            Kind::Partial(vec![lit("AB"), upart(&x)])
        );
        assert_eq!(str_of(&c("title", vec![s("hello world")])), "Hello World");
        assert_eq!(
            str_of(&c("title", vec![s("o'neil is-here_x")])),
            "O'Neil Is-Here_x"
        );
        assert_eq!(str_of(&c("trimspace", vec![s("  hello\n\n")])), "hello");
        assert_eq!(str_of(&c("trim", vec![s("?!hello?!"), s("!?")])), "hello");
        assert_eq!(str_of(&c("trim", vec![s("foobar"), s("far")])), "oob");
        assert_eq!(
            str_of(&c("trim", vec![s("   hello! world.!  "), s("! ")])),
            "hello! world."
        );
        assert_eq!(
            str_of(&c("trimprefix", vec![s("helloworld"), s("hello")])),
            "world"
        );
        assert_eq!(
            str_of(&c("trimprefix", vec![s("helloworld"), s("cat")])),
            "helloworld"
        );
        assert_eq!(
            str_of(&c("trimprefix", vec![s("  hello"), s(" ")])),
            " hello"
        );
        assert_eq!(str_of(&c("trimprefix", vec![s("aaa"), s("a")])), "aa");
        assert_eq!(
            str_of(&c("trimsuffix", vec![s("helloworld"), s("world")])),
            "hello"
        );
        assert_eq!(
            c("startswith", vec![s("hello world"), s("hello")]).as_bool(),
            Some(true)
        );
        assert_eq!(
            c("startswith", vec![s("hello world"), s("world")]).as_bool(),
            Some(false)
        );
        assert_eq!(
            c("endswith", vec![s("hello world"), s("world")]).as_bool(),
            Some(true)
        );
        assert_eq!(
            c("strcontains", vec![s("hello world"), s("wor")]).as_bool(),
            Some(true)
        );
        assert_eq!(
            c("strcontains", vec![s("hello world"), s("wod")]).as_bool(),
            Some(false)
        );
        let p = partial(vec![lit("arn:"), upart(&x)]);
        assert_unknown_from(&c("trimspace", vec![p.clone()]), &x);
        assert_unknown_from(&c("startswith", vec![p, s("arn")]), &x);
    }

    #[test]
    fn substr_examples() {
        let f = |st: &str, o: f64, len: f64| {
            str_of(&c("substr", vec![s(st), n(o), n(len)])).to_string()
        };
        assert_eq!(f("hello world", 1.0, 4.0), "ello");
        assert_eq!(f("🤔🤷", 0.0, 1.0), "🤔");
        assert_eq!(f("hello world", -5.0, -1.0), "world");
        assert_eq!(f("hello world", 6.0, 10.0), "world");
        assert_eq!(f("hello", 10.0, 2.0), "");
        assert_eq!(f("hello", -10.0, 2.0), "he");
        assert_eq!(f("", -1.0, 2.0), "");
        assert_eq!(f("hello", 1.0, 0.0), "");
        assert_eq!(f("hello", 0.0, 1e300), "hello");
        assert!(run("substr", vec![s("a"), n(f64::NAN), n(1.0)]).is_err());
    }

    #[test]
    fn collections() {
        assert_eq!(
            j("concat", vec![sl(&["a", ""]), sl(&["b", "c"])]),
            json!(["a", "", "b", "c"])
        );
        assert_eq!(
            j(
                "merge",
                vec![
                    obj(vec![("a", s("b")), ("c", s("d"))]),
                    obj(vec![("e", s("f")), ("c", s("z"))])
                ]
            ),
            json!({"a": "b", "c": "z", "e": "f"})
        );
        assert_eq!(
            j(
                "merge",
                vec![
                    obj(vec![("a", s("b"))]),
                    Value::null(),
                    obj(vec![("e", s("f"))])
                ]
            ),
            json!({"a": "b", "e": "f"})
        );
        assert_eq!(
            j(
                "flatten",
                vec![l(vec![sl(&["a", "b"]), sl(&[]), sl(&["c"])])]
            ),
            json!(["a", "b", "c"])
        );
        assert_eq!(
            j(
                "flatten",
                vec![l(vec![l(vec![sl(&["a", "b"]), sl(&[])]), sl(&["c"])])]
            ),
            json!(["a", "b", "c"])
        );
        assert_eq!(
            j("distinct", vec![sl(&["a", "b", "a", "c", "d", "b"])]),
            json!(["a", "b", "c", "d"])
        );
        assert_eq!(
            j(
                "compact",
                vec![l(vec![s("a"), s(""), s("b"), Value::null(), s("c")])]
            ),
            json!(["a", "b", "c"])
        );
        assert_eq!(
            c("contains", vec![sl(&["a", "b", "c"]), s("a")]).as_bool(),
            Some(true)
        );
        assert_eq!(
            c("contains", vec![sl(&["a", "b", "c"]), s("d")]).as_bool(),
            Some(false)
        );
        assert_eq!(
            c("contains", vec![sl(&["1"]), n(1.0)]).as_bool(),
            Some(true)
        );
        assert_eq!(j("length", vec![l(vec![])]), json!(0));
        assert_eq!(j("length", vec![sl(&["a", "b"])]), json!(2));
        assert_eq!(j("length", vec![obj(vec![("a", s("b"))])]), json!(1));
        assert_eq!(j("length", vec![s("hello")]), json!(5));
        assert_eq!(j("length", vec![s("🤔🤷")]), json!(2));
        assert!(run("length", vec![Value::null()]).is_err());
        let m = obj(vec![("a", s("ay")), ("b", s("bee"))]);
        assert_eq!(
            j("lookup", vec![m.clone(), s("a"), s("what?")]),
            json!("ay")
        );
        assert_eq!(
            j("lookup", vec![m.clone(), s("c"), s("what?")]),
            json!("what?")
        );
        assert_eq!(j("lookup", vec![m.clone(), s("b")]), json!("bee"));
        assert_eq!(
            e("lookup", vec![m.clone(), s("c")]),
            "lookup failed to find key \"c\""
        );
        let abc = sl(&["a", "b", "c"]);
        assert_eq!(j("element", vec![abc.clone(), n(1.0)]), json!("b"));
        assert_eq!(j("element", vec![abc.clone(), n(3.0)]), json!("a"));
        assert_eq!(j("element", vec![abc.clone(), n(2.0)]), json!("c"));
        assert_eq!(j("element", vec![abc.clone(), n(1e300)]), json!("a"));
        assert!(e("element", vec![abc.clone(), n(-1.0)]).contains("negative"));
        assert!(e("element", vec![sl(&[]), n(0.0)]).contains("empty list"));
        assert_eq!(j("index", vec![abc.clone(), s("b")]), json!(1));
        assert_eq!(e("index", vec![abc.clone(), s("z")]), "item not found");
        let m = obj(vec![("a", n(3.0)), ("c", n(2.0)), ("d", n(1.0))]);
        assert_eq!(j("keys", vec![m.clone()]), json!(["a", "c", "d"]));
        assert_eq!(j("values", vec![m]), json!([3, 2, 1]));
        assert_eq!(
            j("slice", vec![sl(&["a", "b", "c", "d"]), n(1.0), n(3.0)]),
            json!(["b", "c"])
        );
        assert!(run("slice", vec![abc.clone(), n(2.0), n(4.0)]).is_err());
        assert!(run("slice", vec![abc.clone(), n(2.0), n(1.0)]).is_err());
        assert!(run("slice", vec![abc.clone(), n(-1.0), n(1.0)]).is_err());
        assert_eq!(
            j("sort", vec![sl(&["e", "d", "a", "x"])]),
            json!(["a", "d", "e", "x"])
        );
        assert_eq!(
            j("sort", vec![l(vec![n(10.0), n(9.0)])]),
            json!(["10", "9"])
        );
        assert_eq!(
            j("reverse", vec![l(vec![n(1.0), n(2.0), n(3.0)])]),
            json!([3, 2, 1])
        );
        assert_eq!(
            j("zipmap", vec![sl(&["a", "b"]), l(vec![n(1.0), n(2.0)])]),
            json!({"a": 1, "b": 2})
        );
        assert!(e("zipmap", vec![sl(&["a"]), sl(&[])]).contains("number of keys (1)"));
        assert_eq!(
            j("chunklist", vec![sl(&["a", "b", "c", "d", "e"]), n(2.0)]),
            json!([["a", "b"], ["c", "d"], ["e"]])
        );
        assert_eq!(
            j("chunklist", vec![sl(&["a", "b", "c", "d", "e"]), n(1.0)]),
            json!([["a"], ["b"], ["c"], ["d"], ["e"]])
        );
        assert_eq!(j("chunklist", vec![sl(&["a"]), n(0.0)]), json!([["a"]]));
        assert_eq!(j("chunklist", vec![sl(&["a"]), n(1e300)]), json!([["a"]]));
        assert!(run("chunklist", vec![sl(&["a"]), n(-1.0)]).is_err());
    }

    #[test]
    fn sets_and_conversions() {
        assert_eq!(
            j(
                "setunion",
                vec![sl(&["a", "b"]), sl(&["b", "c"]), sl(&["d"])]
            ),
            json!(["a", "b", "c", "d"])
        );
        assert_eq!(
            j(
                "setintersection",
                vec![sl(&["a", "b"]), sl(&["b", "c"]), sl(&["b", "d"])]
            ),
            json!(["b"])
        );
        assert_eq!(
            j("setsubtract", vec![sl(&["a", "b", "c"]), sl(&["a", "c"])]),
            json!(["b"])
        );
        assert_eq!(
            j("toset", vec![sl(&["a", "b", "c"])]),
            json!(["a", "b", "c"])
        );
        assert_eq!(
            j("toset", vec![l(vec![s("a"), s("b"), n(3.0)])]),
            json!(["3", "a", "b"])
        );
        assert_eq!(j("toset", vec![sl(&["c", "b", "b"])]), json!(["b", "c"]));
        assert_eq!(
            j("toset", vec![l(vec![n(10.0), n(2.0), n(2.0)])]),
            json!([2, 10])
        );
        assert_eq!(
            j("tolist", vec![l(vec![s("a"), s("b"), n(3.0)])]),
            json!(["a", "b", "3"])
        );
        assert_eq!(
            j("tomap", vec![obj(vec![("a", n(1.0)), ("b", n(2.0))])]),
            json!({"a": 1, "b": 2})
        );
        assert_eq!(
            j("tomap", vec![obj(vec![("a", s("foo")), ("b", b(true))])]),
            json!({"a": "foo", "b": "true"})
        );
        assert_eq!(j("tostring", vec![s("hello")]), json!("hello"));
        assert_eq!(j("tostring", vec![n(1.0)]), json!("1"));
        assert_eq!(j("tostring", vec![b(true)]), json!("true"));
        assert!(c("tostring", vec![Value::null()]).is_null());
        assert!(run("tostring", vec![l(vec![])]).is_err());
        assert_eq!(j("tonumber", vec![n(1.0)]), json!(1));
        assert_eq!(j("tonumber", vec![s("1")]), json!(1));
        assert_eq!(j("tonumber", vec![s("1.5e2")]), json!(150));
        assert!(c("tonumber", vec![Value::null()]).is_null());
        assert!(e("tonumber", vec![s("no")]).contains("cannot convert \"no\" to number"));
        assert!(run("tonumber", vec![s("inf")]).is_err());
        assert_eq!(j("tobool", vec![b(true)]), json!(true));
        assert_eq!(j("tobool", vec![s("false")]), json!(false));
        assert!(c("tobool", vec![Value::null()]).is_null());
        assert!(run("tobool", vec![s("no")]).is_err());
        assert!(run("tobool", vec![n(1.0)]).is_err());
    }

    #[test]
    fn coalesce_one_range() {
        assert_eq!(j("coalesce", vec![s("a"), s("b")]), json!("a"));
        assert_eq!(j("coalesce", vec![s(""), s("b")]), json!("b"));
        assert_eq!(j("coalesce", vec![n(1.0), n(2.0)]), json!(1));
        assert_eq!(
            j("coalesce", vec![Value::null(), n(2.0), s("x")]),
            json!("2")
        );
        assert!(run("coalesce", vec![Value::null(), s("")]).is_err());
        assert_eq!(
            j("coalescelist", vec![sl(&["a", "b"]), sl(&["c", "d"])]),
            json!(["a", "b"])
        );
        assert_eq!(
            j("coalescelist", vec![sl(&[]), sl(&["c", "d"])]),
            json!(["c", "d"])
        );
        assert!(c("one", vec![l(vec![])]).is_null());
        assert_eq!(j("one", vec![sl(&["hello"])]), json!("hello"));
        assert!(run("one", vec![sl(&["hello", "goodbye"])]).is_err());
        assert_eq!(j("range", vec![n(3.0)]), json!([0, 1, 2]));
        assert_eq!(j("range", vec![n(1.0), n(4.0)]), json!([1, 2, 3]));
        assert_eq!(
            j("range", vec![n(1.0), n(8.0), n(2.0)]),
            json!([1, 3, 5, 7])
        );
        assert_eq!(
            j("range", vec![n(1.0), n(4.0), n(0.5)]),
            json!([1, 1.5, 2, 2.5, 3, 3.5])
        );
        assert_eq!(j("range", vec![n(4.0), n(1.0)]), json!([4, 3, 2]));
        assert_eq!(
            j("range", vec![n(10.0), n(5.0), n(-2.0)]),
            json!([10, 8, 6])
        );
        assert_eq!(j("range", vec![n(0.0)]), json!([]));
        assert!(e("range", vec![n(1.0), n(2.0), n(0.0)]).contains("step must not be zero"));
        assert!(e("range", vec![n(1.0), n(4.0), n(-1.0)]).contains("end must be less than start"));
        assert!(e("range", vec![n(1e9)]).contains("more than 1024 values"));
        assert!(e("range", vec![n(0.0), n(1.0), n(1e-300)]).contains("more than 1024 values"));
        assert!(run("range", vec![n(f64::INFINITY)]).is_err());
        assert_eq!(c("range", vec![n(1024.0)]).as_list().unwrap().len(), 1024);
    }

    #[test]
    fn regex_examples() {
        assert_eq!(
            j(
                "regex",
                vec![s("[a-z]+"), s("53453453.345345aaabbbccc23454")]
            ),
            json!("aaabbbccc")
        );
        assert_eq!(
            j(
                "regex",
                vec![s(r"(\d\d\d\d)-(\d\d)-(\d\d)"), s("2019-02-01")]
            ),
            json!(["2019", "02", "01"])
        );
        assert_eq!(
            j(
                "regex",
                vec![
                    s(r"^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?"),
                    s("https://terraform.io/docs/")
                ]
            ),
            json!({"authority": "terraform.io", "scheme": "https"})
        );
        assert_eq!(
            e("regex", vec![s("[a-z]+"), s("53453453.34534523454")]),
            "pattern did not match any part of the given string"
        );
        assert_eq!(j("regex", vec![s("(a)|(b)"), s("b")]), json!([null, "b"]));
        assert_eq!(
            j("regexall", vec![s("[a-z]+"), s("1234abcd5678efgh9")]),
            json!(["abcd", "efgh"])
        );
        assert_eq!(j("regexall", vec![s("[a-z]+"), s("123456789")]), json!([]));
        assert_eq!(
            j("regexall", vec![s("(\\d)(\\w)"), s("1a2b")]),
            json!([["1", "a"], ["2", "b"]])
        );
        assert!(run("regex", vec![s("(?P<a>x)(y)"), s("xy")]).is_err());
        assert!(e("regex", vec![s("["), s("x")]).contains("invalid regular expression"));
    }

    #[test]
    fn numbers() {
        assert_eq!(j("abs", vec![n(23.0)]), json!(23));
        assert_eq!(j("abs", vec![n(0.0)]), json!(0));
        assert_eq!(j("abs", vec![n(-12.4)]), json!(12.4));
        assert_eq!(j("ceil", vec![n(5.0)]), json!(5));
        assert_eq!(j("ceil", vec![n(5.1)]), json!(6));
        assert_eq!(j("floor", vec![n(5.0)]), json!(5));
        assert_eq!(j("floor", vec![n(4.9)]), json!(4));
        assert_eq!(j("max", vec![n(12.0), n(54.0), n(3.0)]), json!(54));
        assert_eq!(j("min", vec![n(12.0), n(54.0), n(3.0)]), json!(3));
        assert!(run("max", vec![]).is_err());
        assert_eq!(
            j("sum", vec![l(vec![n(10.0), n(13.0), n(6.0), n(4.5)])]),
            json!(33.5)
        );
        assert!(e("sum", vec![l(vec![])]).contains("cannot sum an empty list"));
        assert_eq!(j("alltrue", vec![l(vec![s("true"), b(true)])]), json!(true));
        assert_eq!(j("alltrue", vec![l(vec![b(true), b(false)])]), json!(false));
        assert_eq!(j("alltrue", vec![l(vec![])]), json!(true));
        assert_eq!(j("anytrue", vec![l(vec![s("true")])]), json!(true));
        assert_eq!(j("anytrue", vec![l(vec![b(true), b(false)])]), json!(true));
        assert_eq!(j("anytrue", vec![l(vec![])]), json!(false));
        let x = unk("x");
        assert_eq!(
            j("alltrue", vec![l(vec![x.clone(), b(false)])]),
            json!(false)
        );
        assert_unknown_from(&c("alltrue", vec![l(vec![x.clone(), b(true)])]), &x);
        assert_unknown_from(&c("max", vec![n(1.0), x.clone()]), &x);
    }

    #[test]
    fn base64() {
        assert_eq!(
            j("base64encode", vec![s("Hello World")]),
            json!("SGVsbG8gV29ybGQ=")
        );
        assert_eq!(
            j("base64decode", vec![s("SGVsbG8gV29ybGQ=")]),
            json!("Hello World")
        );
        assert_eq!(
            j("base64decode", vec![s("SGVsbG8g\nV29ybGQ=")]),
            json!("Hello World")
        );
        assert!(e("base64decode", vec![s("not base64!")]).contains("failed to decode base64 data"));
        assert!(e("base64decode", vec![s("/w==")]).contains("not valid UTF-8"));
    }

    #[test]
    fn unknowns_propagate() {
        let x = unk("x");
        let known_with_unknown = l(vec![s("a"), x.clone()]);
        assert_eq!(j("length", vec![known_with_unknown.clone()]), json!(2));
        assert_unknown_from(&c("length", vec![x.clone()]), &x);
        // concat, flatten, tolist keep unknown elements in place
        let r = c("concat", vec![known_with_unknown.clone(), sl(&["b"])]);
        assert!(r.as_list().unwrap()[1].is_unknown());
        let r = c(
            "flatten",
            vec![l(vec![known_with_unknown.clone(), x.clone()])],
        );
        assert_eq!(r.as_list().unwrap().len(), 3);
        assert!(c("tolist", vec![known_with_unknown.clone()])
            .as_list()
            .unwrap()[1]
            .is_unknown());
        assert_unknown_from(&c("concat", vec![x.clone(), sl(&["b"])]), &x);
        let r = c(
            "merge",
            vec![obj(vec![("a", x.clone())]), obj(vec![("b", s("c"))])],
        );
        assert!(r.get("a").unwrap().is_unknown());
        assert_unknown_from(&c("merge", vec![x.clone(), obj(vec![])]), &x);
        // contains: a match wins; no match with unknown elements is unknown
        assert_eq!(
            j("contains", vec![known_with_unknown.clone(), s("a")]),
            json!(true)
        );
        assert_unknown_from(&c("contains", vec![known_with_unknown.clone(), s("z")]), &x);
        assert_unknown_from(&c("contains", vec![sl(&["a"]), x.clone()]), &x);
        // coalesce
        assert_eq!(
            j("coalesce", vec![Value::null(), s("a"), x.clone()]),
            json!("a")
        );
        assert_unknown_from(&c("coalesce", vec![x.clone(), s("a")]), &x);
        // lookup keeps unknown values, unknown key is unknown
        assert!(c("lookup", vec![obj(vec![("a", x.clone())]), s("a")]).is_unknown());
        assert_unknown_from(&c("lookup", vec![obj(vec![]), x.clone(), s("d")]), &x);
        assert_unknown_from(&c("element", vec![sl(&["a"]), x.clone()]), &x);
        assert_unknown_from(&c("keys", vec![x.clone()]), &x);
        assert_unknown_from(&c("distinct", vec![known_with_unknown.clone()]), &x);
        assert_unknown_from(&c("sort", vec![known_with_unknown.clone()]), &x);
        assert_unknown_from(&c("toset", vec![known_with_unknown.clone()]), &x);
        assert_unknown_from(&c("compact", vec![known_with_unknown.clone()]), &x);
        assert_unknown_from(&c("regex", vec![s("a"), x.clone()]), &x);
        assert_unknown_from(&c("substr", vec![s("abc"), x.clone(), n(1.0)]), &x);
        assert_unknown_from(&c("tonumber", vec![x.clone()]), &x);
        assert_unknown_from(&c("range", vec![x.clone()]), &x);
        assert_unknown_from(&c("one", vec![x.clone()]), &x);
        assert_unknown_from(&c("zipmap", vec![l(vec![x.clone()]), sl(&["a"])]), &x);
    }

    #[test]
    fn origins() {
        let at = |v: Value, start: usize| v.at(Location::new(FileId(1), start..start + 1));
        let a = at(s("a"), 1);
        let bb = at(s("b"), 2);
        let list = at(l(vec![a.clone(), bb.clone()]), 0);
        // elements keep their origin
        assert_eq!(c("element", vec![list.clone(), n(1.0)]), bb);
        assert_eq!(c("concat", vec![list.clone()]).as_list().unwrap()[0], a);
        assert_eq!(c("coalesce", vec![Value::null(), bb.clone()]), bb);
        assert_eq!(c("lookup", vec![obj(vec![("k", a.clone())]), s("k")]), a);
        // computed scalars take the first argument origin, else the call's location
        assert_eq!(c("upper", vec![a.clone()]).loc(), a.loc());
        assert_eq!(c("upper", vec![s("x")]).loc(), Some(loc()));
        assert_eq!(c("join", vec![s(","), list.clone()]).loc(), list.loc());
    }

    #[test]
    fn limits() {
        let big = s(&"x".repeat(1 << 20));
        let many = l(vec![big.clone(); 20]);
        let r = c("join", vec![s(""), many]);
        assert!(
            matches!(&r.as_unknown().unwrap().reason, Reason::Limit(_)),
            "{r:?}"
        );
        let r = c(
            "replace",
            vec![big.clone(), s("x"), s("yyyyyyyyyyyyyyyyyyyyyy")],
        );
        assert!(matches!(&r.as_unknown().unwrap().reason, Reason::Limit(_)));
        let r = c("format", vec![s("%99999999s"), s("x")]);
        assert!(matches!(&r.as_unknown().unwrap().reason, Reason::Limit(_)));
        let r = c(
            "replace",
            vec![big.clone(), s("/x/"), s("yyyyyyyyyyyyyyyyyyyyyyyyy")],
        );
        assert!(matches!(&r.as_unknown().unwrap().reason, Reason::Limit(_)));
        let half = l(vec![n(1.0); 600_000]);
        let r = c("concat", vec![half.clone(), half]);
        assert!(matches!(&r.as_unknown().unwrap().reason, Reason::Limit(_)));
    }

    #[test]
    fn never_panics_on_odd_numbers() {
        for x in [
            f64::NAN,
            f64::INFINITY,
            -f64::INFINITY,
            -1e300,
            1e300,
            -0.5,
            0.5,
        ] {
            for f in ["element", "chunklist"] {
                let _ = run(f, vec![sl(&["a", "b"]), n(x)]);
            }
            let _ = run("substr", vec![s("abc"), n(x), n(x)]);
            let _ = run("slice", vec![sl(&["a", "b"]), n(x), n(x)]);
            let _ = run("range", vec![n(x)]);
            let _ = run("range", vec![n(0.0), n(x), n(x)]);
            for verb in ["%d", "%x", "%f", "%e", "%g", "%v", "%5.3f", "%#v"] {
                let _ = run("format", vec![s(verb), n(x)]);
            }
            let _ = run("jsonencode", vec![n(x)]);
            for f in ["abs", "ceil", "floor", "tostring"] {
                let _ = run(f, vec![n(x)]);
            }
        }
    }
}
