//! New text in the style of its neighbours: where it goes, its indentation, separators and line
//! ends.

use super::{ArrayAt, Document, Edit, EditError, Element, ObjectAt, Syntax};

/// The line end of the file: CRLF when it uses CRLF.
pub(super) fn newline(text: &str) -> &'static str {
    if text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// Offset of the start of the line holding `pos`.
fn line_start(text: &str, pos: usize) -> usize {
    text[..pos].rfind('\n').map(|i| i + 1).unwrap_or(0)
}

/// Offset of the end of the line holding `pos` (before its `\r\n` or `\n`).
fn line_end(text: &str, pos: usize) -> usize {
    let e = text[pos..]
        .find('\n')
        .map(|i| pos + i)
        .unwrap_or(text.len());
    if e > pos && text.as_bytes()[e - 1] == b'\r' {
        e - 1
    } else {
        e
    }
}

/// The start of the quoted key before the JSON value at `value` (`"key": value`), else `value`.
fn json_key_start(text: &str, value: usize) -> usize {
    let before = text[..value].trim_end();
    let Some(b) = before.strip_suffix(':') else {
        return value;
    };
    let b = b.trim_end();
    let Some(inner) = b.strip_suffix('"') else {
        return value;
    };
    let bytes = inner.as_bytes();
    let mut i = inner.len();
    while i > 0 {
        i -= 1;
        if bytes[i] == b'"' && (i == 0 || bytes[i - 1] != b'\\') {
            return i;
        }
    }
    value
}

/// True when only blanks precede `pos` on its line.
fn starts_line(text: &str, pos: usize) -> bool {
    text[line_start(text, pos)..pos]
        .chars()
        .all(|c| c == ' ' || c == '\t')
}

/// The blanks at the start of the line holding `pos`.
pub(super) fn indent_of(text: &str, pos: usize) -> String {
    text[line_start(text, pos)..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

/// One level of indentation in this file: a tab when lines are indented with tabs, else the
/// smallest indentation of an indented line (two spaces when nothing is indented).
pub(super) fn indent_unit(text: &str) -> String {
    let mut smallest: Option<usize> = None;
    for line in text.lines() {
        if line.starts_with('\t') {
            return "\t".into();
        }
        let n = line.chars().take_while(|c| *c == ' ').count();
        if n > 0 && n < line.len() {
            smallest = Some(smallest.map_or(n, |s| s.min(n)));
        }
    }
    " ".repeat(smallest.unwrap_or(2).clamp(1, 8))
}

/// True when what follows on a line is nothing, or a comment (HCL).
fn rest_is_blank(rest: &str, syntax: Syntax) -> bool {
    let r = rest.trim();
    r.is_empty()
        || (syntax == Syntax::Hcl
            && (r.starts_with('#')
                || r.starts_with("//")
                || (r.starts_with("/*") && r.ends_with("*/") && r.len() >= 4)))
}

/// The offset after blanks starting at `pos` (same line).
fn skip_blanks(text: &str, pos: usize) -> usize {
    pos + text[pos..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .count()
}

/// A string literal.
fn quote(s: &str, syntax: Syntax) -> String {
    match syntax {
        Syntax::Json => serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()),
        Syntax::Hcl => {
            let mut out = String::with_capacity(s.len() + 2);
            out.push('"');
            let mut chars = s.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    '$' | '%' if chars.peek() == Some(&'{') => {
                        out.push(c);
                        out.push(c);
                    }
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
    }
}

/// An object key: bare when it is an identifier (HCL), quoted otherwise.
fn key(k: &str, syntax: Syntax) -> String {
    let ident = !k.is_empty()
        && k.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match syntax {
        Syntax::Hcl if ident => k.to_string(),
        _ => quote(k, syntax),
    }
}

/// How an element is laid out.
struct Style<'a> {
    syntax: Syntax,
    nl: &'a str,
    unit: &'a str,
    /// Objects one attribute per line (else all on one line).
    multiline_objects: bool,
}

/// `e` written at indentation `ind` (the indentation of the line it starts on).
fn render(e: &Element, ind: &str, st: &Style) -> String {
    let json = st.syntax == Syntax::Json;
    match e {
        Element::Str(s) => quote(s, st.syntax),
        Element::Raw(s) => s.clone(),
        Element::Array(items) => {
            let inner: Vec<String> = items
                .iter()
                .map(|i| {
                    render(
                        i,
                        ind,
                        &Style {
                            multiline_objects: false,
                            ..*st
                        },
                    )
                })
                .collect();
            format!("[{}]", inner.join(", "))
        }
        Element::Object(attrs) if attrs.is_empty() => "{}".into(),
        Element::Object(attrs) if !st.multiline_objects => {
            let inner: Vec<String> = attrs
                .iter()
                .map(|(k, v)| {
                    let v = render(v, ind, st);
                    if json {
                        format!("{}: {v}", key(k, st.syntax))
                    } else {
                        format!("{} = {v}", key(k, st.syntax))
                    }
                })
                .collect();
            if json {
                format!("{{{}}}", inner.join(", "))
            } else {
                format!("{{ {} }}", inner.join(", "))
            }
        }
        Element::Object(attrs) => {
            let inner_ind = format!("{ind}{}", st.unit);
            let keys: Vec<String> = attrs.iter().map(|(k, _)| key(k, st.syntax)).collect();
            let width = keys.iter().map(|k| k.chars().count()).max().unwrap_or(0);
            let mut out = String::from("{");
            for (i, ((_, v), k)) in attrs.iter().zip(&keys).enumerate() {
                out.push_str(st.nl);
                out.push_str(&inner_ind);
                let v = render(v, &inner_ind, st);
                if json {
                    out.push_str(&format!("{k}: {v}"));
                    if i + 1 < attrs.len() {
                        out.push(',');
                    }
                } else {
                    let pad = " ".repeat(width - k.chars().count());
                    out.push_str(&format!("{k}{pad} = {v}"));
                }
            }
            out.push_str(st.nl);
            out.push_str(ind);
            out.push('}');
            out
        }
    }
}

/// `items` as a multi-line array starting at indentation `ind`.
fn render_array_block(items: &[Element], ind: &str, st: &Style) -> String {
    let inner_ind = format!("{ind}{}", st.unit);
    let mut out = String::from("[");
    for (i, e) in items.iter().enumerate() {
        out.push_str(st.nl);
        out.push_str(&inner_ind);
        out.push_str(&render(e, &inner_ind, st));
        if st.syntax == Syntax::Hcl || i + 1 < items.len() {
            out.push(',');
        }
    }
    out.push_str(st.nl);
    out.push_str(ind);
    out.push(']');
    out
}

pub(super) fn insert_elements(
    doc: &Document,
    array: &ArrayAt,
    elements: &[Element],
) -> Result<Vec<Edit>, EditError> {
    let text = doc.text();
    let syntax = doc.syntax();
    let json = syntax == Syntax::Json;
    let nl = newline(text);
    let unit = indent_unit(text);
    let open = array.span.start;
    let close = array.span.end.saturating_sub(1);
    if text.as_bytes().get(open) != Some(&b'[') || text.as_bytes().get(close) != Some(&b']') {
        return Err(EditError(format!(
            "bytes {}..{} are not an array literal",
            array.span.start, array.span.end
        )));
    }
    let multiline = text[open..=close].contains('\n');
    let n = elements.len();
    if let Some(last) = array.elements.last() {
        let st = Style {
            syntax,
            nl,
            unit: &unit,
            multiline_objects: text[last.clone()].contains('\n'),
        };
        let p = skip_blanks(text, last.end);
        let has_comma = text[p..].starts_with(',');
        let after_comma = if has_comma { p + 1 } else { last.end };
        if multiline && starts_line(text, last.start) {
            let eol = line_end(text, after_comma);
            if rest_is_blank(&text[after_comma..eol], syntax) {
                let ind = indent_of(text, last.start);
                let mut edits = Vec::new();
                if !has_comma {
                    edits.push(Edit::insert(last.end, ","));
                }
                // New elements end with a comma when the last one did (HCL), and are separated
                // by commas (JSON, which allows no trailing comma).
                let trailing = !json && has_comma;
                let mut s = String::new();
                for (i, e) in elements.iter().enumerate() {
                    s.push_str(nl);
                    s.push_str(&ind);
                    s.push_str(&render(e, &ind, &st));
                    if i + 1 < n || trailing {
                        s.push(',');
                    }
                }
                edits.push(Edit::insert(eol, s));
                return Ok(edits);
            }
        }
        // All on one line: after the last element (and its trailing comma, kept last).
        let st = Style {
            multiline_objects: false,
            ..st
        };
        let ind = indent_of(text, last.start);
        let rendered: Vec<String> = elements.iter().map(|e| render(e, &ind, &st)).collect();
        return Ok(if has_comma {
            let s: String = rendered.iter().map(|r| format!(" {r},")).collect();
            vec![Edit::insert(after_comma, s)]
        } else {
            let s: String = rendered.iter().map(|r| format!(", {r}")).collect();
            vec![Edit::insert(last.end, s)]
        });
    }
    // An empty array.
    let st = Style {
        syntax,
        nl,
        unit: &unit,
        multiline_objects: false,
    };
    if multiline && starts_line(text, close) {
        // `[` ... newline ... `]`: one line per element above the closing bracket.
        let ls = line_start(text, close);
        let ind = format!("{}{unit}", &text[ls..close]);
        let mut s = String::new();
        for (i, e) in elements.iter().enumerate() {
            s.push_str(&ind);
            s.push_str(&render(e, &ind, &st));
            if !json || i + 1 < n {
                s.push(',');
            }
            s.push_str(nl);
        }
        return Ok(vec![Edit::insert(ls, s)]);
    }
    let base = indent_of(text, open);
    if elements.iter().any(|e| matches!(e, Element::Object(_))) {
        // `[]` of objects: one object per line.
        return Ok(vec![Edit::replace(
            open..close + 1,
            render_array_block(elements, &base, &st),
        )]);
    }
    let inner: Vec<String> = elements.iter().map(|e| render(e, &base, &st)).collect();
    Ok(vec![Edit::replace(
        open..close + 1,
        format!("[{}]", inner.join(", ")),
    )])
}

pub(super) fn insert_attribute(
    doc: &Document,
    object: &ObjectAt,
    k: &str,
    value: &Element,
) -> Result<Vec<Edit>, EditError> {
    let text = doc.text();
    let syntax = doc.syntax();
    let json = syntax == Syntax::Json;
    let nl = newline(text);
    let unit = indent_unit(text);
    if text.as_bytes().get(object.open) != Some(&b'{')
        || text.as_bytes().get(object.close) != Some(&b'}')
    {
        return Err(EditError(format!(
            "bytes {}..{} are not an object or block",
            object.span.start, object.span.end
        )));
    }
    let multiline = text[object.open..=object.close].contains('\n');
    let st = Style {
        syntax,
        nl,
        unit: &unit,
        multiline_objects: false,
    };
    let assign = |ind: &str| -> String {
        let v = match value {
            Element::Array(items)
                if items.iter().any(|e| matches!(e, Element::Object(_))) || multiline =>
            {
                if items.is_empty() {
                    "[]".to_string()
                } else {
                    render_array_block(items, ind, &st)
                }
            }
            v => render(v, ind, &st),
        };
        if json {
            format!("{}: {v}", key(k, syntax))
        } else {
            format!("{} = {v}", key(k, syntax))
        }
    };
    let last = object.attributes.iter().max_by_key(|(_, r)| r.end);
    if let Some((_, last)) = last {
        let p = skip_blanks(text, last.end);
        let has_comma = text[p..].starts_with(',');
        let after_comma = if has_comma { p + 1 } else { last.end };
        // A JSON attribute's range is its value: its line starts at its key.
        let first = if json {
            json_key_start(text, last.start)
        } else {
            last.start
        };
        if multiline && starts_line(text, first) {
            let eol = line_end(text, after_comma);
            if rest_is_blank(&text[after_comma..eol], syntax) {
                let ind = indent_of(text, first);
                let mut edits = Vec::new();
                if json && !has_comma {
                    edits.push(Edit::insert(last.end, ","));
                }
                let mut line = assign(&ind);
                if !json {
                    // `terraform fmt` aligns the `=` of neighbouring attributes: when the last
                    // one is padded, so is the new one (if its name is not longer).
                    let prev = &text[last.start..];
                    let width = prev
                        .find('=')
                        .filter(|w| prev[..*w].ends_with("  ") && !prev[..*w].contains('\n'));
                    let own = key(k, syntax).len();
                    if let Some(w) = width.filter(|w| *w > own + 1) {
                        line = format!("{}{}", key(k, syntax), &" ".repeat(w - own))
                            + line[own..].trim_start();
                    }
                }
                let mut s = format!("{nl}{ind}{line}");
                if !json && has_comma {
                    s.push(',');
                }
                edits.push(Edit::insert(eol, s));
                return Ok(edits);
            }
        }
        if !multiline && text[object.open..last.start].contains('{') && !json {
            // A one-line HCL object: `{ a = 1 }` takes `, b = 2`.
            let ind = indent_of(text, last.start);
            return Ok(vec![Edit::insert(
                after_comma,
                if has_comma {
                    format!(" {},", assign(&ind))
                } else {
                    format!(", {}", assign(&ind))
                },
            )]);
        }
        if json {
            let ind = indent_of(text, last.start);
            return Ok(vec![Edit::insert(last.end, format!(", {}", assign(&ind)))]);
        }
        return Err(EditError(
            "cannot add an attribute to this object without reformatting it".into(),
        ));
    }
    // No attributes yet.
    if multiline && starts_line(text, object.close) {
        let ls = line_start(text, object.close);
        let ind = format!("{}{unit}", &text[ls..object.close]);
        return Ok(vec![Edit::insert(ls, format!("{ind}{}{nl}", assign(&ind)))]);
    }
    let base = indent_of(text, object.open);
    let ind = format!("{base}{unit}");
    Ok(vec![Edit::replace(
        object.open..object.close + 1,
        format!("{{{nl}{ind}{}{nl}{base}}}", assign(&ind)),
    )])
}
