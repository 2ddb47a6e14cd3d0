//! Reading exported `system.access.outbound_network` logs: CSV with a header row, a JSON array
//! of row objects, or JSON Lines, recognised by content. Rows of the table itself and aggregated
//! rows (with a count column) are both accepted. Logs are streamed: rows are aggregated per
//! (workspace, destination type, destination) as they are read, so memory grows with the
//! distinct destinations, not with the rows.

use crate::hash::HashMap;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeSet;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// `destination_type` of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DestType {
    Dns,
    Ip,
    Storage,
}

impl DestType {
    pub fn as_str(self) -> &'static str {
        match self {
            DestType::Dns => "DNS",
            DestType::Ip => "IP",
            DestType::Storage => "STORAGE",
        }
    }
}

/// The `access_type` values read as allowed traffic (extended network logs). Compared
/// case-insensitively.
pub const ALLOWED_ACCESS: &[&str] = &[
    "ALLOW",
    "ALLOWED",
    "ACCEPT",
    "ACCEPTED",
    "PERMIT",
    "PERMITTED",
];

/// The `access_type` values read as denials: `DROP` (the value Databricks documents), the other
/// usual words for a refused connection, and any value that names a dry run (`DRY_RUN...`), which
/// is how a policy in log-only mode records what it would have denied.
pub const DENIED_ACCESS: &[&str] = &[
    "DROP", "DROPPED", "DENY", "DENIED", "BLOCK", "BLOCKED", "REJECT", "REJECTED",
];

/// Whether an `access_type` is a denial; None for a value policy-lint does not know (treated as
/// a denial, and reported).
pub fn is_denial(access_type: &str) -> Option<bool> {
    let up = access_type.trim().to_ascii_uppercase();
    if up.is_empty() {
        return Some(true);
    }
    if ALLOWED_ACCESS.contains(&up.as_str()) {
        return Some(false);
    }
    if DENIED_ACCESS.contains(&up.as_str()) || up.contains("DRY_RUN") || up.contains("DRYRUN") {
        return Some(true);
    }
    None
}

/// Events of one (workspace, destination type, destination). Small and without heap
/// allocations: there is one per distinct pair of the log.
#[derive(Debug, Clone, Copy, Default)]
pub struct Agg {
    /// Denied events (rows, or the sum of the count column).
    pub denied: u64,
    /// Allowed events.
    pub allowed: u64,
    /// `access_type` values seen: bit i stands for [`Events::access_types`]`[i]`.
    pub access: u64,
    /// `network_source_type` values seen: bit i stands for [`Events::sources`]`[i]`.
    pub sources: u64,
}

/// Distinct values of a label column (`access_type`, `network_source_type`), at most 64: each
/// is one bit of [`Agg`].
#[derive(Debug, Default)]
pub struct Labels {
    pub values: Vec<String>,
    index: HashMap<String, u8>,
    /// More than 64 distinct values were seen: the others are not listed.
    pub overflow: bool,
}

impl Labels {
    /// The bit of `s` (0 for an empty value).
    fn bit(&mut self, s: &str) -> u64 {
        let s = s.trim();
        if s.is_empty() || s.eq_ignore_ascii_case("null") {
            return 0;
        }
        if let Some(i) = self.index.get(s) {
            return 1 << i;
        }
        if self.values.len() >= 64 {
            self.overflow = true;
            return 0;
        }
        let i = self.values.len() as u8;
        self.values.push(s.to_string());
        self.index.insert(s.to_string(), i);
        1 << i
    }

    /// The values of a bit set, sorted.
    pub fn of(&self, bits: u64) -> Vec<String> {
        let mut v: Vec<String> = (0..self.values.len())
            .filter(|i| bits & (1 << i) != 0)
            .map(|i| self.values[i].clone())
            .collect();
        v.sort();
        v
    }
}

/// One log file that was read.
#[derive(Debug, Clone)]
pub struct LogFile {
    pub path: String,
    pub format: &'static str,
    pub rows: u64,
    pub events: u64,
    /// Whether its rows carry a `workspace_id`.
    pub workspace_column: bool,
}

/// Everything read from the logs, aggregated.
#[derive(Debug, Default)]
pub struct Events {
    /// Workspace IDs; index 0 is "no workspace" (no `workspace_id` column, or an empty value).
    pub workspaces: Vec<String>,
    ws_index: HashMap<String, u32>,
    /// Destinations (normalised), each stored once.
    pub destinations: Vec<Box<str>>,
    dest_index: HashMap<Box<str>, u32>,
    pub access_types: Labels,
    pub sources: Labels,
    /// (workspace index, type, destination index) -> events.
    pub by: HashMap<(u32, DestType, u32), Agg>,
    /// `access_type` values not known to policy-lint (treated as denials).
    pub unknown_access: BTreeSet<String>,
    pub files: Vec<LogFile>,
}

/// Why a log cannot be used (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogError(pub String);

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One row, as read from any format.
#[derive(Debug, Default)]
struct Row<'a> {
    workspace: Option<&'a str>,
    dtype: Option<&'a str>,
    destination: Option<&'a str>,
    access_type: Option<&'a str>,
    source: Option<&'a str>,
    count: Option<&'a str>,
    dns_event: Option<&'a str>,
    storage_event: Option<&'a str>,
}

/// The bucket named by a storage destination: `s3://bucket/path`, `bucket/path`,
/// `bucket.s3.amazonaws.com`, `bucket.s3.REGION.amazonaws.com`, `bucket.s3-REGION.amazonaws.com`.
pub fn bucket_of(dest: &str) -> String {
    let d = dest.trim();
    let d = ["s3://", "s3a://", "s3n://", "https://", "http://"]
        .iter()
        .find_map(|p| {
            d.get(..p.len())
                .filter(|x| x.eq_ignore_ascii_case(p))
                .map(|_| &d[p.len()..])
        })
        .unwrap_or(d);
    let host = d.split('/').next().unwrap_or(d).to_ascii_lowercase();
    for marker in [".s3.", ".s3-"] {
        if let Some(i) = host.find(marker) {
            if host.ends_with(".amazonaws.com") && i > 0 {
                return host[..i].to_string();
            }
        }
    }
    host
}

/// The string of a struct column given as JSON text (or a JSON object): `field` of it.
fn struct_field(text: &str, field: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
    match v.get(field)? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    }
}

impl Events {
    fn workspace(&mut self, id: Option<&str>) -> u32 {
        let id = id.map(str::trim).unwrap_or("");
        if id.is_empty() || id.eq_ignore_ascii_case("null") {
            return 0;
        }
        if self.workspaces.is_empty() {
            self.workspaces.push(String::new());
        }
        if let Some(i) = self.ws_index.get(id) {
            return *i;
        }
        let i = self.workspaces.len() as u32;
        self.workspaces.push(id.to_string());
        self.ws_index.insert(id.to_string(), i);
        i
    }

    /// The index of a (normalised) destination seen in the log.
    pub fn destination_id(&self, d: &str) -> Option<u32> {
        self.dest_index.get(d).copied()
    }

    fn destination(&mut self, d: &str) -> u32 {
        if let Some(i) = self.dest_index.get(d) {
            return *i;
        }
        let i = self.destinations.len() as u32;
        self.destinations.push(d.into());
        self.dest_index.insert(d.into(), i);
        i
    }

    /// Adds one row; the error says what is wrong with it.
    fn add(&mut self, row: &Row, buf: &mut String) -> Result<u64, String> {
        let dtype = match row.dtype.map(str::trim).unwrap_or("") {
            t if t.eq_ignore_ascii_case("DNS") => DestType::Dns,
            t if t.eq_ignore_ascii_case("IP") => DestType::Ip,
            t if t.eq_ignore_ascii_case("STORAGE") => DestType::Storage,
            "" => return Err("`destination_type` is empty".into()),
            t => {
                return Err(format!(
                    "`destination_type` is `{t}`; expected DNS, IP or STORAGE"
                ))
            }
        };
        let mut dest = row
            .destination
            .map(str::trim)
            .filter(|d| !d.is_empty() && !d.eq_ignore_ascii_case("null"))
            .map(str::to_string);
        if dest.is_none() {
            dest = match dtype {
                DestType::Dns => row.dns_event.and_then(|t| struct_field(t, "domain_name")),
                DestType::Storage => row.storage_event.and_then(|t| struct_field(t, "hostname")),
                DestType::Ip => None,
            };
        }
        let Some(dest) = dest else {
            return Err("`destination` is empty".into());
        };
        buf.clear();
        match dtype {
            DestType::Dns => {
                buf.push_str(dest.trim());
                buf.make_ascii_lowercase();
                while buf.ends_with('.') {
                    buf.pop();
                }
            }
            DestType::Storage => buf.push_str(&bucket_of(&dest)),
            DestType::Ip => buf.push_str(dest.trim()),
        }
        if buf.is_empty() {
            return Err(format!("`destination` `{dest}` names nothing"));
        }
        let events = match row.count {
            None => 1,
            Some(c) => {
                let c = c.trim();
                c.parse::<u64>()
                    .ok()
                    .or_else(|| {
                        c.parse::<f64>()
                            .ok()
                            .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0)
                            .map(|f| f as u64)
                    })
                    .ok_or_else(|| format!("the count `{c}` is not a non-negative whole number"))?
            }
        };
        let denied = match row.access_type {
            None => true,
            Some(a) => match is_denial(a) {
                Some(d) => d,
                None => {
                    self.unknown_access.insert(a.trim().to_string());
                    true
                }
            },
        };
        let ws = self.workspace(row.workspace);
        let d = self.destination(buf);
        let access = row
            .access_type
            .map(|a| self.access_types.bit(a))
            .unwrap_or(0);
        let source = row.source.map(|s| self.sources.bit(s)).unwrap_or(0);
        let agg = self.by.entry((ws, dtype, d)).or_default();
        if denied {
            agg.denied = agg.denied.saturating_add(events);
        } else {
            agg.allowed = agg.allowed.saturating_add(events);
        }
        agg.access |= access;
        agg.sources |= source;
        Ok(events)
    }

    /// Reads one log file into the aggregate.
    pub fn read(&mut self, path: &Path) -> Result<(), LogError> {
        let shown = path.display().to_string();
        let file = std::fs::File::open(path)
            .map_err(|e| LogError(format!("cannot read log `{shown}`: {e}")))?;
        let mut r = BufReader::with_capacity(1 << 16, file);
        // Recognise the format from the first bytes (after a UTF-8 byte order mark).
        let io = |e: std::io::Error| LogError(format!("cannot read log `{shown}`: {e}"));
        if r.fill_buf().map_err(io)?.starts_with(b"\xEF\xBB\xBF") {
            r.consume(3);
        }
        let first = loop {
            let buf = r.fill_buf().map_err(io)?;
            if buf.is_empty() {
                break None;
            }
            match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => break Some(buf[i]),
                // Only whitespace so far.
                None => {
                    let n = buf.len();
                    r.consume(n);
                }
            }
        };
        let Some(first) = first else {
            return Err(LogError(format!(
                "log `{shown}` is empty: expected CSV with a header row, a JSON array or JSON Lines"
            )));
        };
        let mut file = LogFile {
            path: shown.clone(),
            format: "csv",
            rows: 0,
            events: 0,
            workspace_column: false,
        };
        match first {
            b'[' => {
                file.format = "json";
                self.read_json_array(r, &shown, &mut file)?
            }
            b'{' => {
                file.format = "jsonl";
                self.read_json_lines(r, &shown, &mut file)?
            }
            _ => self.read_csv(r, &shown, &mut file)?,
        }
        self.files.push(file);
        Ok(())
    }

    fn read_csv(&mut self, r: impl Read, shown: &str, file: &mut LogFile) -> Result<(), LogError> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(r);
        let csv_err = |e: csv::Error| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => LogError(format!(
                    "log `{shown}` line {line}: the row has {len} fields, the header has {expected_len}"
                )),
                csv::ErrorKind::Utf8 { .. } => {
                    LogError(format!("log `{shown}` line {line}: not valid UTF-8"))
                }
                csv::ErrorKind::Io(io) => LogError(format!("cannot read log `{shown}`: {io}")),
                _ => LogError(format!("log `{shown}` line {line}: {e}")),
            }
        };
        let headers: Vec<String> = rdr
            .headers()
            .map_err(csv_err)?
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{FEFF}').to_ascii_lowercase())
            .collect();
        let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
        let dest = col(&["destination"]);
        let dtype = col(&["destination_type"]);
        for (i, name) in [(dest, "destination"), (dtype, "destination_type")] {
            if i.is_none() {
                return Err(LogError(format!(
                    "log `{shown}` has no `{name}` column (its columns: {}); export `destination_type` and `destination` from system.access.outbound_network",
                    headers.join(", ")
                )));
            }
        }
        let ws = col(&["workspace_id"]);
        let access = col(&["access_type"]);
        let source = col(&["network_source_type"]);
        let count = col(COUNT_COLUMNS);
        let dns = col(&["dns_event"]);
        let storage = col(&["storage_event"]);
        file.workspace_column = ws.is_some();
        let mut rec = csv::StringRecord::new();
        let mut buf = String::new();
        loop {
            match rdr.read_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(csv_err(e)),
            }
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            let get = |i: Option<usize>| i.and_then(|i| rec.get(i));
            let row = Row {
                workspace: get(ws),
                dtype: get(dtype),
                destination: get(dest),
                access_type: get(access),
                source: get(source),
                count: get(count),
                dns_event: get(dns),
                storage_event: get(storage),
            };
            let n = self
                .add(&row, &mut buf)
                .map_err(|m| LogError(format!("log `{shown}` line {line}: {m}")))?;
            file.rows += 1;
            file.events = file.events.saturating_add(n);
        }
        Ok(())
    }

    fn read_json_lines(
        &mut self,
        mut r: impl BufRead,
        shown: &str,
        file: &mut LogFile,
    ) -> Result<(), LogError> {
        let mut line = String::new();
        let mut n = 0u64;
        let mut buf = String::new();
        loop {
            line.clear();
            let read = r
                .read_line(&mut line)
                .map_err(|e| LogError(format!("cannot read log `{shown}` line {}: {e}", n + 1)))?;
            if read == 0 {
                break;
            }
            n += 1;
            if line.trim().is_empty() {
                continue;
            }
            let row: JsonRow = serde_json::from_str(line.trim_end())
                .map_err(|e| LogError(format!("log `{shown}` line {n}: {}", json_message(&e))))?;
            self.json_row(row, shown, n, file, &mut buf)?;
        }
        Ok(())
    }

    fn read_json_array(
        &mut self,
        r: impl Read,
        shown: &str,
        file: &mut LogFile,
    ) -> Result<(), LogError> {
        let lines = std::rc::Rc::new(std::cell::Cell::new(1u64));
        let counting = LineCounter {
            inner: r,
            lines: lines.clone(),
        };
        let mut de = serde_json::Deserializer::from_reader(counting);
        let mut err: Option<LogError> = None;
        let visitor = ArrayVisitor {
            events: self,
            shown,
            file,
            lines: &lines,
            err: &mut err,
        };
        let res = de.deserialize_seq(visitor);
        if let Some(e) = err {
            return Err(e);
        }
        res.map_err(|e| {
            LogError(format!(
                "log `{shown}` line {}: {}",
                e.line(),
                json_message(&e)
            ))
        })?;
        de.end().map_err(|e| {
            LogError(format!(
                "log `{shown}` line {}: unexpected content after the JSON array",
                e.line()
            ))
        })?;
        Ok(())
    }

    fn json_row(
        &mut self,
        row: JsonRow,
        shown: &str,
        line: u64,
        file: &mut LogFile,
        buf: &mut String,
    ) -> Result<(), LogError> {
        for (present, name) in [
            (row.has_destination, "destination"),
            (row.has_dtype, "destination_type"),
        ] {
            if !present {
                return Err(LogError(if file.rows == 0 {
                    format!(
                        "log `{shown}` has no `{name}` column (line {line}); export `destination_type` and `destination` from system.access.outbound_network"
                    )
                } else {
                    format!("log `{shown}` line {line}: the row has no `{name}`")
                }));
            }
        }
        if file.rows == 0 {
            file.workspace_column = row.workspace.is_some();
        }
        let r = Row {
            workspace: row.workspace.as_deref(),
            dtype: row.dtype.as_deref(),
            destination: row.destination.as_deref(),
            access_type: row.access_type.as_deref(),
            source: row.source.as_deref(),
            count: row.count.as_deref(),
            dns_event: row.dns_event.as_deref(),
            storage_event: row.storage_event.as_deref(),
        };
        let n = self
            .add(&r, buf)
            .map_err(|m| LogError(format!("log `{shown}` line {line}: {m}")))?;
        file.rows += 1;
        file.events = file.events.saturating_add(n);
        Ok(())
    }
}

/// Names of the count column of aggregated exports (compared in lower case).
pub const COUNT_COLUMNS: &[&str] = &[
    "destination_count",
    "count",
    "event_count",
    "events",
    "count(1)",
    "count(*)",
];

/// serde_json's message without its " at line L column C" suffix (the caller names the line).
fn json_message(e: &serde_json::Error) -> String {
    let m = e.to_string();
    match m.rfind(" at line ") {
        Some(i) => m[..i].to_string(),
        None => m,
    }
}

/// Counts the lines a reader has delivered (serde_json reads a byte at a time).
struct LineCounter<R> {
    inner: R,
    lines: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let nl = buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        if nl > 0 {
            self.lines.set(self.lines.get() + nl);
        }
        Ok(n)
    }
}

struct ArrayVisitor<'a, 'b> {
    events: &'a mut Events,
    shown: &'b str,
    file: &'a mut LogFile,
    lines: &'b std::rc::Rc<std::cell::Cell<u64>>,
    err: &'a mut Option<LogError>,
}

impl<'de> Visitor<'de> for ArrayVisitor<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of row objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut buf = String::new();
        while let Some(row) = seq.next_element::<JsonRow>()? {
            let line = self.lines.get();
            if let Err(e) = self
                .events
                .json_row(row, self.shown, line, self.file, &mut buf)
            {
                *self.err = Some(e);
                return Err(de::Error::custom("row error"));
            }
        }
        Ok(())
    }
}

/// The columns of a JSON row that matter; the rest are skipped.
#[derive(Debug, Default)]
struct JsonRow {
    has_destination: bool,
    has_dtype: bool,
    workspace: Option<String>,
    dtype: Option<String>,
    destination: Option<String>,
    access_type: Option<String>,
    source: Option<String>,
    count: Option<String>,
    dns_event: Option<String>,
    storage_event: Option<String>,
}

/// A scalar cell: a string, a number or a boolean as text; null as None. A struct column may be
/// an object (JSON exports) or JSON text (CSV-like exports): both become JSON text.
struct Cell(Option<String>);

impl<'de> serde::Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Cell, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(Cell(match v {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            other => Some(other.to_string()),
        }))
    }
}

impl<'de> serde::Deserialize<'de> for JsonRow {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<JsonRow, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonRow;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a row object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<JsonRow, M::Error> {
                let mut row = JsonRow::default();
                while let Some(k) = m.next_key::<std::borrow::Cow<'de, str>>()? {
                    let key = k.to_ascii_lowercase();
                    let slot = match key.as_str() {
                        "workspace_id" => &mut row.workspace,
                        "destination_type" => {
                            row.has_dtype = true;
                            &mut row.dtype
                        }
                        "destination" => {
                            row.has_destination = true;
                            &mut row.destination
                        }
                        "access_type" => &mut row.access_type,
                        "network_source_type" => &mut row.source,
                        "dns_event" => &mut row.dns_event,
                        "storage_event" => &mut row.storage_event,
                        k if COUNT_COLUMNS.contains(&k) => &mut row.count,
                        _ => {
                            m.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = m.next_value::<Cell>()?.0;
                }
                Ok(row)
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, text: &[u8]) -> Result<Events, LogError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let mut e = Events::default();
        e.read(&p)
            .map(|_| e)
            .map_err(|e| LogError(e.0.replace(&p.display().to_string(), name)))
    }

    fn get(e: &Events, ws: &str, t: DestType, d: &str) -> (u64, u64) {
        let wi = if ws.is_empty() {
            0
        } else {
            e.workspaces.iter().position(|w| w == ws).unwrap() as u32
        };
        let di = e.destinations.iter().position(|x| &**x == d).unwrap() as u32;
        let a = &e.by[&(wi, t, di)];
        (a.denied, a.allowed)
    }

    #[test]
    fn csv_with_bom_crlf_quotes_and_struct_columns() {
        let text = "\u{FEFF}account_id,workspace_id,event_id,destination_type,destination,dns_event,storage_event,event_time,access_type,network_source_type\r\n\
a,1234,e1,DNS,PyPI.org.,\"{\"\"domain_name\"\":\"\"pypi.org\"\",\"\"rcode\"\":3}\",,2025-01-01,DROP,General Compute\r\n\
a,1234,e2,STORAGE,,,\"{\"\"hostname\"\":\"\"s3://acme-landing\"\",\"\"path\"\":\"\"/x\"\"}\",2025-01-01,DROP,DBSQL\r\n\
a,1234,e3,DNS,pypi.org,,,2025-01-01,ALLOW,\"General, Compute\"\r\n";
        let e = read("log.csv", text.as_bytes()).unwrap();
        assert_eq!(get(&e, "1234", DestType::Dns, "pypi.org"), (1, 1));
        assert_eq!(get(&e, "1234", DestType::Storage, "acme-landing"), (1, 0));
        assert_eq!(e.files[0].format, "csv");
        assert_eq!(e.files[0].rows, 3);
        assert!(e.files[0].workspace_column);
        assert!(e.sources.values.contains(&"General, Compute".to_string()));
    }

    #[test]
    fn aggregated_csv_sums_the_count_column() {
        let text = "destination_type,destination,destination_count\nDNS,github.com,12\nDNS,GitHub.com,3\nIP,10.1.2.3,4\n";
        let e = read("agg.csv", text.as_bytes()).unwrap();
        assert_eq!(get(&e, "", DestType::Dns, "github.com"), (15, 0));
        assert_eq!(get(&e, "", DestType::Ip, "10.1.2.3"), (4, 0));
        assert!(!e.files[0].workspace_column);
        assert_eq!(e.files[0].events, 19);
        // Counts saturate instead of overflowing.
        let big =
            "destination_type,destination,count\nDNS,a.org,18446744073709551615\nDNS,a.org,2\n";
        let e = read("big.csv", big.as_bytes()).unwrap();
        assert_eq!(get(&e, "", DestType::Dns, "a.org"), (u64::MAX, 0));
    }

    #[test]
    fn json_array_and_json_lines() {
        let arr = "[\n  {\"workspace_id\": 1234, \"destination_type\": \"DNS\", \"destination\": \"a.org\", \"access_type\": \"DROP\"},\n  {\"workspace_id\": \"1234\", \"destination_type\": \"STORAGE\", \"destination\": null, \"storage_event\": {\"hostname\": \"s3://b1\"}, \"count\": 2}\n]\n";
        let e = read("log.json", arr.as_bytes()).unwrap();
        assert_eq!(e.files[0].format, "json");
        assert_eq!(get(&e, "1234", DestType::Dns, "a.org"), (1, 0));
        assert_eq!(get(&e, "1234", DestType::Storage, "b1"), (2, 0));
        let lines = "{\"destination_type\": \"DNS\", \"destination\": \"a.org\"}\n\n{\"destination_type\": \"DNS\", \"destination\": \"a.org\", \"access_type\": \"ALLOWED\"}\n";
        let e = read("log.jsonl", lines.as_bytes()).unwrap();
        assert_eq!(e.files[0].format, "jsonl");
        assert_eq!(get(&e, "", DestType::Dns, "a.org"), (1, 1));
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let e = read("x.csv", b"workspace_id,destination\n1,a.org\n").unwrap_err();
        assert!(
            e.0.contains("log `x.csv` has no `destination_type` column"),
            "{e}"
        );
        let e = read("x.csv", b"destination_type,destination\nDNS,a.org\nDNS\n").unwrap_err();
        assert_eq!(
            e.0,
            "log `x.csv` line 3: the row has 1 fields, the header has 2"
        );
        let e = read("x.csv", b"destination_type,destination\nDNS,a.org\nFTP,b\n").unwrap_err();
        assert_eq!(
            e.0,
            "log `x.csv` line 3: `destination_type` is `FTP`; expected DNS, IP or STORAGE"
        );
        let e = read(
            "x.csv",
            b"destination_type,destination,count\nDNS,a.org,-1\n",
        )
        .unwrap_err();
        assert!(e.0.starts_with("log `x.csv` line 2: the count `-1`"), "{e}");
        let e = read("x.json", b"[{\"destination_type\": \"DNS\", \"destination\": \"a\"},\n {\"destination_type\": \"DNS\"}\n]").unwrap_err();
        assert_eq!(e.0, "log `x.json` line 2: the row has no `destination`");
        let e = read("x.json", b"[{\"destination\": \"a\"}]").unwrap_err();
        assert!(e.0.contains("has no `destination_type` column"), "{e}");
        let e = read("x.json", b"[{\"destination_type\": \"DNS\", \"destination\": \"a\"},\n {\"destination_type\": \"DNS\",,}]").unwrap_err();
        assert!(e.0.starts_with("log `x.json` line 2: "), "{e}");
        let e = read(
            "x.jsonl",
            b"{\"destination_type\": \"DNS\", \"destination\": \"a\"}\n{oops}\n",
        )
        .unwrap_err();
        assert!(e.0.starts_with("log `x.jsonl` line 2: "), "{e}");
        let e = read("x.csv", b"  \n").unwrap_err();
        assert!(e.0.contains("is empty"), "{e}");
        let e = read("x.csv", b"destination_type,destination\nDNS,\xff\n").unwrap_err();
        assert_eq!(e.0, "log `x.csv` line 2: not valid UTF-8");
        let mut ev = Events::default();
        let e = ev.read(Path::new("/nonexistent/log.csv")).unwrap_err();
        assert!(
            e.0.starts_with("cannot read log `/nonexistent/log.csv`"),
            "{e}"
        );
    }

    #[test]
    fn access_types_and_buckets() {
        assert_eq!(is_denial("DROP"), Some(true));
        assert_eq!(is_denial("dry_run_denial"), Some(true));
        assert_eq!(is_denial("ALLOW"), Some(false));
        assert_eq!(is_denial(""), Some(true));
        assert_eq!(is_denial("MAYBE"), None);
        assert_eq!(bucket_of("s3://Acme-Landing/some/path"), "acme-landing");
        assert_eq!(bucket_of("acme.s3.us-east-1.amazonaws.com"), "acme");
        assert_eq!(bucket_of("acme.s3-us-west-2.amazonaws.com/k"), "acme");
        assert_eq!(bucket_of("acme"), "acme");
    }
}
