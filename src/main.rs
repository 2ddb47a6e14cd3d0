//! The `policy-lint` command line.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use policy_lint::{cli, help, suggest};
use std::path::PathBuf;
use std::process::ExitCode;

// policy-lint allocates and frees many small objects (syntax trees, values); mimalloc does that
// with a fraction of glibc malloc's instructions. The bare-parse baseline of scripts/bench.py
// uses the same allocator, so the comparison stays like for like. The wrapper ends the run with
// a clear error (exit 2) naming the file or module and the address-space limit when memory runs
// out, instead of aborting (src/alloc.rs).
#[global_allocator]
static GLOBAL: policy_lint::alloc::Allocator = policy_lint::alloc::Allocator;

#[derive(Parser, Debug)]
#[command(
    name = "policy-lint",
    version = policy_lint::version::LONG,
    about = help::ABOUT,
    override_usage = help::USAGE,
    after_help = help::AFTER_HELP,
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check Terraform and key-policy files (the default command).
    #[command(after_help = help::CHECK_AFTER_HELP)]
    Check(CheckArgs),
    /// Record today's findings as a baseline: later runs with --baseline report only new ones.
    #[command(after_help = help::BASELINE_AFTER_HELP)]
    Baseline(BaselineArgs),
    /// List every rule with its code, name, default severity and summary.
    Rules {
        /// Output format: a table fitted to the terminal, JSON, or a Markdown table.
        #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
        format: RulesFormat,
        /// Configuration file whose rules_dirs add rules (default: the nearest policy-lint.toml).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Compare an exported log of serverless egress denials (system.access.outbound_network)
    /// with the network policies' allow-lists; --write adds the missing destinations.
    EgressReport(EgressArgs),
    /// Show a rule's documentation with a bad and a good example.
    Explain {
        /// Rule code (NET002) or name (egress-unrestricted).
        rule: String,
        /// Configuration file whose rules_dirs add rules (default: the nearest policy-lint.toml).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Run the [[tests]] of every rule the configuration loads (users' rules_dirs included).
    #[command(after_help = help::TEST_AFTER_HELP)]
    Test {
        /// Only these rules (codes or names; default: all).
        rules: Vec<String>,
        /// Configuration file whose rules_dirs add rules (default: the nearest policy-lint.toml).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Print a shell completion script to standard output.
    #[command(after_help = help::COMPLETIONS_AFTER_HELP)]
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
}

/// What decides the findings of a run: shared by `check` and `baseline`.
#[derive(Args, Debug, Clone)]
struct RunArgs {
    /// Files or directories to check (default: the current directory).
    paths: Vec<PathBuf>,
    /// Configuration file for every path (default: the nearest policy-lint.toml of each directory,
    /// up to the repository root).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Environment of every file in this run (overrides [environments] in the config).
    #[arg(long, value_name = "NAME")]
    environment: Option<String>,
    /// Set a root-module variable: NAME=VALUE (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// Read root-module variables from a .tfvars or .tfvars.json file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<PathBuf>,
    /// Values Terraform knew when it planned: the output of `terraform show -json PLANFILE`, as
    /// FILE (the run's only root) or DIR=FILE (the root in DIR). Repeatable.
    #[arg(long = "plan", value_name = "[DIR=]FILE")]
    plans: Vec<String>,
    /// Only these rules (codes or names, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Vec<String>,
    /// Not these rules (codes or names, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    threads: usize,
}

#[derive(Args, Debug, Clone)]
struct CheckArgs {
    #[command(flatten)]
    run: RunArgs,
    /// Output format: pretty (snippets and a summary), concise (one line per finding), json,
    /// sarif (GitHub code scanning) or github (workflow annotations).
    #[arg(long, value_enum, default_value_t = cli::Format::Pretty)]
    format: cli::Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit 1 when a finding at or above this severity remains.
    #[arg(long, value_enum, default_value_t = cli::FailOn::Error)]
    fail_on: cli::FailOn,
    /// Unresolved values (EVAL001) are errors.
    #[arg(long)]
    strict: bool,
    /// Colour: auto (a terminal, NO_COLOR unset, TERM not dumb), always, never.
    #[arg(long, value_enum, default_value_t = cli::Color::Auto)]
    color: cli::Color,
    /// Print findings only (no documentation links, summary or hint).
    #[arg(long, short = 'q')]
    quiet: bool,
    /// Show each finding's documentation link under it (pretty), instead of once per rule at the end.
    #[arg(long)]
    show_urls: bool,
    /// Show unresolved values (EVAL001 notes) with their full context instead of one line each.
    #[arg(long, short = 'v')]
    verbose: bool,
    /// Report only findings that are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// SARIF automationDetails.id category (default from config, else "policy-lint/").
    #[arg(long, value_name = "CATEGORY")]
    sarif_category: Option<String>,
    /// Apply the safe fixes in place, then report what remains (docs/fixes.md).
    #[arg(long)]
    fix: bool,
    /// With --fix or --diff: apply the unsafe fixes too (they change behaviour; review them).
    #[arg(long)]
    unsafe_fixes: bool,
    /// Print a unified diff of what --fix would change and write nothing; exit 1 when there is
    /// something to fix.
    #[arg(long)]
    diff: bool,
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
    /// Report format: pretty (terminal), json (docs/egress-report.md) or markdown (a pull
    /// request comment or job summary).
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
    /// Values Terraform knew when it planned (workspace IDs): the output of `terraform show
    /// -json PLANFILE`, as FILE or DIR=FILE. Repeatable.
    #[arg(long = "plan", value_name = "[DIR=]FILE")]
    plans: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

#[derive(Args, Debug)]
struct BaselineArgs {
    #[command(flatten)]
    run: RunArgs,
    /// The baseline file to write (JSON).
    #[arg(long, short = 'o', value_name = "FILE", required = true)]
    output: PathBuf,
    /// Do not print the number of findings recorded.
    #[arg(long, short = 'q')]
    quiet: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum RulesFormat {
    /// A table fitted to the terminal (a narrow layout when piped).
    Table,
    /// Every rule's metadata as a JSON array.
    Json,
    /// A Markdown table.
    Markdown,
}

/// The names the first argument is read as a subcommand under (aliases included).
fn subcommand_names() -> Vec<String> {
    let mut names: Vec<String> = Cli::command()
        .get_subcommands()
        .flat_map(|c| {
            std::iter::once(c.get_name().to_string()).chain(c.get_all_aliases().map(str::to_string))
        })
        .collect();
    names.push("help".into());
    names
}

fn main() -> ExitCode {
    policy_lint::alloc::configure();
    // `policy-lint [PATHS]` means `policy-lint check [PATHS]`. A subcommand's name is always
    // the subcommand (a directory with that name is `./NAME`); a first word that is no path and
    // within two edits of a subcommand is a typo, not a path.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let first = args.get(1).and_then(|a| a.to_str()).map(str::to_string);
    let names = subcommand_names();
    let top_level = ["-h", "--help", "-V", "--version"];
    match first.as_deref() {
        Some(s) if names.iter().any(|n| n == s) || top_level.contains(&s) => {}
        Some(s) if !std::path::Path::new(s).exists() => {
            if let Some(near) = suggest::subcommand(s, names.iter().map(String::as_str)) {
                eprintln!(
                    "error: `{s}` is neither a subcommand nor an existing path\n\n  tip: a similar subcommand exists: `{near}`\n\nUsage: {}\n\nFor more information, try '--help'.",
                    help::USAGE
                );
                return ExitCode::from(2);
            }
            args.insert(1, "check".into());
        }
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
        Command::Check(a) => cli::check(to_req(a)),
        Command::Baseline(b) => cli::check(baseline_req(b)),
        Command::Rules { format, config } => cli::rules(
            match format {
                RulesFormat::Table => "table",
                RulesFormat::Json => "json",
                RulesFormat::Markdown => "markdown",
            },
            config,
        ),
        Command::Explain { rule, config } => cli::explain(&rule, config),
        Command::Test { rules, config } => cli::test(&rules, config),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "policy-lint", &mut std::io::stdout());
            0
        }
        Command::EgressReport(a) => {
            policy_lint::egress_report::run(policy_lint::egress_report::Request {
                paths: a.paths,
                logs: a.logs,
                config: a.config,
                environment: a.environment,
                vars: a.vars,
                var_files: a.var_files,
                plans: a.plans,
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

fn to_req(a: CheckArgs) -> cli::CheckRequest {
    let r = a.run;
    cli::CheckRequest {
        paths: r.paths,
        format: a.format,
        output: a.output,
        config: r.config,
        environment: r.environment,
        vars: r.vars,
        var_files: r.var_files,
        plans: r.plans,
        select: r.select,
        ignore: r.ignore,
        fail_on: a.fail_on,
        strict: a.strict,
        color: a.color,
        quiet: a.quiet,
        baseline: a.baseline,
        write_baseline: None,
        sarif_category: a.sarif_category,
        threads: r.threads,
        show_urls: a.show_urls,
        verbose: a.verbose,
        fix: a.fix,
        unsafe_fixes: a.unsafe_fixes,
        diff: a.diff,
    }
}

fn baseline_req(b: BaselineArgs) -> cli::CheckRequest {
    let r = b.run;
    cli::CheckRequest {
        paths: r.paths,
        format: cli::Format::Pretty,
        output: None,
        config: r.config,
        environment: r.environment,
        vars: r.vars,
        var_files: r.var_files,
        plans: r.plans,
        select: r.select,
        ignore: r.ignore,
        fail_on: cli::FailOn::Never,
        strict: false,
        color: cli::Color::Never,
        quiet: b.quiet,
        baseline: None,
        write_baseline: Some(b.output),
        sarif_category: None,
        threads: r.threads,
        show_urls: false,
        verbose: false,
        fix: false,
        unsafe_fixes: false,
        diff: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_argument_has_a_description() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                if a.get_help().is_none() && a.get_long_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for s in cmd.get_subcommands() {
                if s.get_about().is_none() && s.get_name() != "help" {
                    missing.push(format!("{path} {}", s.get_name()));
                }
                walk(s, &format!("{path} {}", s.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "policy-lint", &mut missing);
        assert!(missing.is_empty(), "without a description: {missing:?}");
    }

    #[test]
    fn baseline_lists_only_the_flags_it_honours() {
        let cmd = Cli::command();
        let b = cmd.find_subcommand("baseline").unwrap();
        let flags: Vec<&str> = b.get_arguments().filter_map(|a| a.get_long()).collect();
        for ignored in [
            "format",
            "fail-on",
            "color",
            "baseline",
            "sarif-category",
            "strict",
            "show-urls",
            "verbose",
        ] {
            assert!(!flags.contains(&ignored), "baseline lists --{ignored}");
        }
        for honoured in ["output", "config", "select", "ignore", "var", "var-file"] {
            assert!(flags.contains(&honoured), "baseline lacks --{honoured}");
        }
    }
}
