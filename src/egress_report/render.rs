//! The report as text: `pretty` (a terminal), `json` (docs/egress-report.md) and `markdown` (a
//! pull-request comment or a job summary).

use super::report::{Dest, PolicyReport, Report};
use std::fmt::Write;

/// The JSON report, written as it is serialised (a large report is never held as text).
pub fn write_json(r: &Report, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, r).map_err(std::io::Error::other)?;
    w.write_all(b"\n")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn policy_title(p: &PolicyReport) -> String {
    match &p.network_policy_id {
        Some(id) => format!("{id} ({})", p.address),
        None => p.address.clone(),
    }
}

fn where_(p: &PolicyReport) -> String {
    let mut parts = Vec::new();
    if p.root != "." {
        parts.push(format!("root {}", p.root));
    }
    parts.push(format!("environment {}", p.environment));
    parts.join(", ")
}

fn verdict(r: &Report) -> String {
    let s = &r.summary;
    if s.would_block {
        let mut parts = Vec::new();
        if s.missing > 0 {
            parts.push(plural(
                s.missing,
                "missing destination",
                "missing destinations",
            ));
        }
        if s.not_allowable > 0 {
            parts.push(plural(
                s.not_allowable,
                "destination no entry can allow",
                "destinations no entry can allow",
            ));
        }
        if s.unattributed_events > 0 {
            parts.push(format!(
                "{} unattributed event{}",
                s.unattributed_events,
                if s.unattributed_events == 1 { "" } else { "s" }
            ));
        }
        format!("would be blocked under enforcement: {}", parts.join(", "))
    } else {
        "nothing in the log would be blocked under enforcement".into()
    }
}

fn dest_line(d: &Dest) -> String {
    let mut s = format!(
        "{} ({}, {} event{}",
        d.destination,
        d.destination_type,
        d.events,
        if d.events == 1 { "" } else { "s" }
    );
    if !d.workspaces.is_empty() {
        let _ = write!(
            s,
            ", workspace{} {}",
            if d.workspaces.len() == 1 { "" } else { "s" },
            d.workspaces.join(", ")
        );
    }
    s.push(')');
    s
}

pub fn pretty(r: &Report) -> String {
    let mut o = String::new();
    let logs: Vec<String> = r
        .logs
        .iter()
        .map(|l| {
            format!(
                "{} ({}, {} rows, {} events)",
                l.file, l.format, l.rows, l.events
            )
        })
        .collect();
    let _ = writeln!(o, "policy-lint egress-report: {}", logs.join("; "));
    for p in &r.policies {
        let _ = writeln!(
            o,
            "\nnetwork policy {} at {}:{} ({})",
            policy_title(p),
            p.location.file,
            p.location.line,
            where_(p)
        );
        let _ = writeln!(
            o,
            "  enforcement_mode {}, restriction_mode {}, workspaces {}, {}",
            p.enforcement_mode.as_deref().unwrap_or("not set"),
            p.restriction_mode.as_deref().unwrap_or("not set"),
            if p.workspaces.is_empty() {
                "none known".to_string()
            } else {
                p.workspaces.join(", ")
            },
            plural(p.events as usize, "event", "events")
        );
        if !p.missing.is_empty() {
            let _ = writeln!(
                o,
                "  missing ({}): denied, and the configuration does not allow them:",
                p.missing.len()
            );
            for d in &p.missing {
                let mut line = format!("    {}", dest_line(d));
                if let (Some(list), Some(at)) = (d.list, &d.location) {
                    let _ = write!(line, " -> {list} at {}:{}", at.file, at.line);
                }
                if let Some(rg) = &d.region {
                    let assumed = d
                        .region_source
                        .as_deref()
                        .is_some_and(|s| s.starts_with("assumed"));
                    let _ = write!(
                        line,
                        ", region {rg}{}",
                        if assumed {
                            " (assumed: the workspace's region)"
                        } else {
                            ""
                        }
                    );
                }
                if let Some(why) = &d.not_writable {
                    let _ = write!(line, " (not written by --write: {why})");
                }
                let _ = writeln!(o, "{line}");
                if d.region.is_none() && d.destination_type == "STORAGE" {
                    if let Some(src) = &d.region_source {
                        let _ = writeln!(o, "      region {src}");
                    }
                }
            }
        }
        if !p.not_allowable.is_empty() {
            let _ = writeln!(
                o,
                "  not allowable ({}): no allow-list entry can admit them:",
                p.not_allowable.len()
            );
            for d in &p.not_allowable {
                let _ = writeln!(
                    o,
                    "    {}: {}",
                    dest_line(d),
                    d.reason.as_deref().unwrap_or("")
                );
            }
        }
        if !p.allowed.is_empty() {
            let _ = writeln!(
                o,
                "  allowed ({}): denied in the log, allowed by the configuration now:",
                p.allowed.len()
            );
            for d in &p.allowed {
                let at = d
                    .location
                    .as_ref()
                    .map(|l| format!(" at {}:{}", l.file, l.line))
                    .unwrap_or_default();
                let _ = writeln!(o, "    {}{at}", dest_line(d));
            }
        }
        match &p.unused {
            Some(u) if !u.is_empty() => {
                let _ = writeln!(
                    o,
                    "  unused ({}): allow-list entries without events (candidates for removal):",
                    u.len()
                );
                for e in u {
                    let at = e
                        .location
                        .as_ref()
                        .map(|l| format!(" at {}:{}", l.file, l.line))
                        .unwrap_or_default();
                    let _ = writeln!(o, "    {} ({}){at}", e.destination, e.list);
                }
            }
            Some(_) => {
                let _ = writeln!(o, "  unused: none, every allow-list entry has events");
            }
            None => {}
        }
        for n in &p.notes {
            let _ = writeln!(o, "  note: {n}");
        }
    }
    if !r.unattributed.is_empty() {
        let _ = writeln!(
            o,
            "\nunattributed: events of workspaces no network policy of the configuration governs:"
        );
        for u in &r.unattributed {
            let _ = writeln!(
                o,
                "  workspace {}: {} events, {}: {}\n    {}",
                u.workspace_id,
                u.events,
                plural(u.destinations.len(), "destination", "destinations"),
                u.destinations.join(", "),
                u.reason
            );
        }
    }
    for w in &r.warnings {
        let _ = writeln!(o, "\nwarning: {w}");
    }
    if let Some(changes) = &r.changes {
        let _ = writeln!(o);
        if changes.is_empty() {
            let _ = writeln!(o, "--write: nothing to add");
        }
        for c in changes {
            let _ = writeln!(
                o,
                "{} {}:{} {} ({}): {}",
                if c.written { "wrote" } else { "would write" },
                c.file,
                c.line,
                c.list,
                c.policy,
                c.added.join(", ")
            );
        }
    }
    let _ = writeln!(
        o,
        "\nsummary: {}, {} missing, {} not allowable, {} allowed, {} unused, {} unattributed events: {}",
        plural(r.summary.policies, "policy", "policies"),
        r.summary.missing,
        r.summary.not_allowable,
        r.summary.allowed,
        r.summary
            .unused
            .map(|u| u.to_string())
            .unwrap_or_else(|| "unknown".into()),
        r.summary.unattributed_events,
        verdict(r)
    );
    if let Some(d) = &r.diff {
        o.push('\n');
        o.push_str(d);
    }
    o
}

/// A Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn code(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!("`{}`", cell(s).replace('`', "'"))
    }
}

pub fn markdown(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "## policy-lint egress report\n");
    let _ = writeln!(
        o,
        "{} **{}**\n",
        if r.summary.would_block {
            ":x:"
        } else {
            ":white_check_mark:"
        },
        {
            let v = verdict(r);
            let mut c = v.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or(v)
        }
    );
    for l in &r.logs {
        let _ = writeln!(
            o,
            "- Log {} ({}, {} rows, {} events)",
            code(&l.file),
            l.format,
            l.rows,
            l.events
        );
    }
    for p in &r.policies {
        let _ = writeln!(
            o,
            "\n### Network policy {}\n\n{} at {}, {}; `enforcement_mode` {}; workspaces {}; {} events.\n",
            code(p.network_policy_id.as_deref().unwrap_or(&p.address)),
            code(&p.address),
            code(&format!("{}:{}", p.location.file, p.location.line)),
            where_(p),
            code(p.enforcement_mode.as_deref().unwrap_or("not set")),
            if p.workspaces.is_empty() {
                "none known".into()
            } else {
                p.workspaces.iter().map(|w| code(w)).collect::<Vec<_>>().join(", ")
            },
            p.events
        );
        if !p.missing.is_empty() {
            let _ = writeln!(
                o,
                "**Missing**: denied, and the configuration does not allow them.\n"
            );
            let _ = writeln!(
                o,
                "| Destination | Type | Events | Workspaces | List | Edit at | Note |"
            );
            let _ = writeln!(o, "|---|---|---:|---|---|---|---|");
            for d in &p.missing {
                let mut note = Vec::new();
                if let Some(r) = &d.region {
                    note.push(format!("region {r}"));
                }
                if let Some(w) = &d.not_writable {
                    note.push(format!("not written by --write: {w}"));
                }
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    code(&d.destination),
                    d.destination_type,
                    d.events,
                    cell(&d.workspaces.join(", ")),
                    code(d.list.unwrap_or("")),
                    d.location
                        .as_ref()
                        .map(|l| code(&format!("{}:{}", l.file, l.line)))
                        .unwrap_or_default(),
                    cell(&note.join("; "))
                );
            }
            o.push('\n');
        }
        if !p.not_allowable.is_empty() {
            let _ = writeln!(
                o,
                "**Not allowable**: no allow-list entry can admit them.\n"
            );
            let _ = writeln!(o, "| Destination | Type | Events | Workspaces | Reason |");
            let _ = writeln!(o, "|---|---|---:|---|---|");
            for d in &p.not_allowable {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} |",
                    code(&d.destination),
                    d.destination_type,
                    d.events,
                    cell(&d.workspaces.join(", ")),
                    cell(d.reason.as_deref().unwrap_or(""))
                );
            }
            o.push('\n');
        }
        if !p.allowed.is_empty() {
            let _ = writeln!(
                o,
                "**Allowed now**: denied in the log, allowed by the configuration.\n"
            );
            let _ = writeln!(o, "| Destination | Type | Events | Allowed at |");
            let _ = writeln!(o, "|---|---|---:|---|");
            for d in &p.allowed {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} |",
                    code(&d.destination),
                    d.destination_type,
                    d.events,
                    d.location
                        .as_ref()
                        .map(|l| code(&format!("{}:{}", l.file, l.line)))
                        .unwrap_or_default()
                );
            }
            o.push('\n');
        }
        if let Some(u) = &p.unused {
            if !u.is_empty() {
                let _ = writeln!(
                    o,
                    "**Unused**: allow-list entries without events (candidates for removal).\n"
                );
                let _ = writeln!(o, "| Entry | List | At |");
                let _ = writeln!(o, "|---|---|---|");
                for e in u {
                    let _ = writeln!(
                        o,
                        "| {} | {} | {} |",
                        code(&e.destination),
                        code(e.list),
                        e.location
                            .as_ref()
                            .map(|l| code(&format!("{}:{}", l.file, l.line)))
                            .unwrap_or_default()
                    );
                }
                o.push('\n');
            }
        }
        for n in &p.notes {
            let _ = writeln!(o, "> {}\n", cell(n));
        }
    }
    if !r.unattributed.is_empty() {
        let _ = writeln!(o, "\n### Unattributed events\n");
        let _ = writeln!(o, "| Workspace | Events | Destinations | Why |");
        let _ = writeln!(o, "|---|---:|---|---|");
        for u in &r.unattributed {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} |",
                code(&u.workspace_id),
                u.events,
                cell(&u.destinations.join(", ")),
                cell(&u.reason)
            );
        }
    }
    for w in &r.warnings {
        let _ = writeln!(o, "\n> **Warning**: {}", cell(w));
    }
    if let Some(changes) = &r.changes {
        if !changes.is_empty() {
            let _ = writeln!(o, "\n### Changes\n");
            for c in changes {
                let _ = writeln!(
                    o,
                    "- {} {} ({}, {}): {}",
                    if c.written { "Wrote" } else { "Would write" },
                    code(&format!("{}:{}", c.file, c.line)),
                    code(c.list),
                    code(&c.policy),
                    c.added
                        .iter()
                        .map(|a| code(a))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
    }
    if let Some(d) = &r.diff {
        if !d.is_empty() {
            let _ = writeln!(o, "\n```diff\n{}```", d);
        }
    }
    o
}
