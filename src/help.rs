//! The texts of `policy-lint --help` and of each subcommand's help: the implicit
//! `policy-lint [PATHS]` form, exit codes and examples.

/// One line under the name.
pub const ABOUT: &str = "Policy-as-code checker for Databricks-on-AWS security configuration (Terraform and KMS key policies)";

/// The usage lines of `policy-lint --help`: the implicit check first.
pub const USAGE: &str =
    "policy-lint [OPTIONS] [PATHS]...\n       policy-lint <COMMAND> [OPTIONS] [ARGS]...";

/// After the list of commands of `policy-lint --help`.
pub const AFTER_HELP: &str = "\
`policy-lint [PATHS]...` is `policy-lint check [PATHS]...`: with no command, the arguments are
those of `check` (see `policy-lint check --help`). A directory named like a command is checked
as `./NAME`.

Exit codes:
  0  no finding at or above --fail-on (default: error)
  1  findings at or above --fail-on (`policy-lint test`: a rule test failed)
  2  usage, configuration or internal error

Examples:
  policy-lint                                  check the current directory
  policy-lint infra/ --format concise          one line per finding, for editors and grep
  policy-lint check . --format sarif -o policy-lint.sarif
  policy-lint explain NET002                   what a rule checks and how to fix it";

/// After `policy-lint check --help`.
pub const CHECK_AFTER_HELP: &str = "\
Exit codes: 0 no finding at or above --fail-on; 1 findings; 2 usage, configuration or internal
error. With --fix, the findings that remain decide; with --diff, 1 when there is something to fix.

Examples:
  policy-lint check infra/ --var-file prod.tfvars --environment production
  policy-lint check . --baseline .policy-lint-baseline.json --fail-on warning
  policy-lint check . --diff                   what --fix would change (docs/fixes.md)
  policy-lint check . --fix";

/// After `policy-lint baseline --help`.
pub const BASELINE_AFTER_HELP: &str = "\
Review the file before committing it: every finding it records is accepted. Later runs with
`check --baseline FILE` report only findings that are not in it.

Examples:
  policy-lint baseline . --output .policy-lint-baseline.json
  policy-lint check . --baseline .policy-lint-baseline.json";

/// After `policy-lint test --help`.
pub const TEST_AFTER_HELP: &str = "\
Runs the [[tests]] cases of every rule the configuration loads: the built-in rules and those of
its rules_dirs. Exit codes: 0 every case passed; 1 a case failed; 2 usage or configuration error.

Examples:
  policy-lint test                             the nearest policy-lint.toml
  policy-lint test --config policy-lint.toml ACME001";

/// After `policy-lint completions --help`.
pub const COMPLETIONS_AFTER_HELP: &str = "\
Examples:
  policy-lint completions bash > ~/.local/share/bash-completion/completions/policy-lint
  policy-lint completions zsh > \"${fpath[1]}/_policy-lint\"
  policy-lint completions fish > ~/.config/fish/completions/policy-lint.fish
  policy-lint completions powershell >> $PROFILE";
