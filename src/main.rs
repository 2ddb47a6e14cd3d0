//! The `policy-lint` command line.

use clap::{Args, Parser, Subcommand, ValueEnum};
use policy_lint::cli;
use std::path::PathBuf;
use std::process::ExitCode;

// policy-lint allocates and frees many small objects (syntax trees, values); mimalloc does that
// with a fraction of glibc malloc's instructions. The bare-parse baseline of scripts/bench.py
// uses the same allocator, so the comparison stays like for like.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "policy-lint",
    version,
    about = "Policy-as-code checker for Databricks-on-AWS security configuration (Terraform and KMS key policies)",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check Terraform and key-policy files (the default command).
    Check(CheckArgs),
    /// Record today's findings as a baseline: later runs with --baseline report only new ones.
    Baseline(BaselineArgs),
    /// List every rule with its code, name, default severity and summary.
    Rules {
        #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
        format: RulesFormat,
        /// Configuration file (for rules_dirs).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Compare an exported log of serverless egress denials (system.access.outbound_network)
    /// with the network policies' allow-lists; --write adds the missing destinations.
    EgressReport(EgressArgs),
    /// Show a rule's documentation with a bad and a good example.
    Explain {
        /// Rule code (NET002) or name (egress-unrestricted).
        rule: String,
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

#[derive(Args, Debug, Clone)]
struct CheckArgs {
    /// Files or directories to check (default: the current directory).
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = cli::Format::Pretty)]
    format: cli::Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
    /// Configuration file for every path (default: the nearest policy-lint.toml of each directory,
    /// up to the repository root).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Environment of every file in this run (overrides [environments] in the config).
    #[arg(long)]
    environment: Option<String>,
    /// Set a root-module variable: NAME=VALUE (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// Read root-module variables from a .tfvars or .tfvars.json file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<PathBuf>,
    /// Only these rules (codes or names, comma-separated).
    #[arg(long, value_delimiter = ',')]
    select: Vec<String>,
    /// Not these rules (codes or names, comma-separated).
    #[arg(long, value_delimiter = ',')]
    ignore: Vec<String>,
    /// Exit 1 when a finding at or above this severity remains.
    #[arg(long, value_enum, default_value_t = cli::FailOn::Error)]
    fail_on: cli::FailOn,
    /// Unresolved values (EVAL001) are errors.
    #[arg(long)]
    strict: bool,
    /// Colour: auto (terminal and no NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = cli::Color::Auto)]
    color: cli::Color,
    /// Print findings only (no summary line).
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Report only findings that are not in this baseline file.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// SARIF automationDetails.id category (default from config, else "policy-lint/").
    #[arg(long)]
    sarif_category: Option<String>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

#[derive(Args, Debug)]
struct EgressArgs {
    /// Terraform files or directories (default: the current directory).
    paths: Vec<PathBuf>,
    /// Exported log: CSV with a header row, a JSON array or JSON Lines (repeatable).
    #[arg(long = "log", value_name = "FILE", required = true)]
    logs: Vec<PathBuf>,
    /// The network policy (ID or address) of events without a workspace_id; needed when the
    /// configuration has several policies.
    #[arg(long, value_name = "NETWORK_POLICY_ID")]
    policy: Option<String>,
    /// A workspace ID the configuration computes, and its policy (repeatable).
    #[arg(long = "workspace", value_name = "ID=NETWORK_POLICY_ID")]
    workspaces: Vec<String>,
    #[arg(long, value_enum, default_value_t = policy_lint::egress_report::Format::Pretty)]
    format: policy_lint::egress_report::Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
    /// Add the missing destinations to the Terraform (comments and formatting kept).
    #[arg(long)]
    write: bool,
    /// With --write: print the changes as a unified diff instead of writing them.
    #[arg(long, requires = "write")]
    diff: bool,
    /// Configuration file (default: the nearest policy-lint.toml of each directory).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Environment of every root (decides which per-environment var files are read and edited).
    #[arg(long)]
    environment: Option<String>,
    /// Set a root-module variable: NAME=VALUE (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// Read root-module variables from a .tfvars or .tfvars.json file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

#[derive(Args, Debug)]
struct BaselineArgs {
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum RulesFormat {
    Table,
    Json,
    Markdown,
}

fn main() -> ExitCode {
    // `policy-lint [PATHS]` means `policy-lint check [PATHS]`.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let sub = args.get(1).and_then(|a| a.to_str()).map(str::to_string);
    let known = [
        "check",
        "baseline",
        "rules",
        "explain",
        "egress-report",
        "help",
        "-h",
        "--help",
        "-V",
        "--version",
    ];
    match sub.as_deref() {
        Some(s) if known.contains(&s) => {}
        _ => args.insert(1.min(args.len()), "check".into()),
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Check(a) => cli::check(to_req(a, None)),
        Command::Baseline(b) => {
            let out = b.check.output.clone();
            match out {
                Some(o) => cli::check(to_req(b.check, Some(o))),
                None => {
                    eprintln!("error: `policy-lint baseline` needs --output FILE");
                    2
                }
            }
        }
        Command::Rules { format, config } => cli::rules(
            match format {
                RulesFormat::Table => "table",
                RulesFormat::Json => "json",
                RulesFormat::Markdown => "markdown",
            },
            config,
        ),
        Command::Explain { rule, config } => cli::explain(&rule, config),
        Command::EgressReport(a) => {
            policy_lint::egress_report::run(policy_lint::egress_report::Request {
                paths: a.paths,
                logs: a.logs,
                config: a.config,
                environment: a.environment,
                vars: a.vars,
                var_files: a.var_files,
                policy: a.policy,
                workspaces: a.workspaces,
                format: a.format,
                output: a.output,
                write: a.write,
                diff: a.diff,
                threads: a.threads,
            })
        }
    };
    ExitCode::from(code)
}

fn to_req(a: CheckArgs, baseline_out: Option<PathBuf>) -> cli::CheckRequest {
    cli::CheckRequest {
        paths: a.paths,
        format: a.format,
        output: if baseline_out.is_some() {
            None
        } else {
            a.output
        },
        config: a.config,
        environment: a.environment,
        vars: a.vars,
        var_files: a.var_files,
        select: a.select,
        ignore: a.ignore,
        fail_on: a.fail_on,
        strict: a.strict,
        color: a.color,
        quiet: a.quiet,
        baseline: a.baseline,
        write_baseline: baseline_out,
        sarif_category: a.sarif_category,
        threads: a.threads,
    }
}
