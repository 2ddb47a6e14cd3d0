//! Helpers shared by the integration tests that use tools from outside the Rust toolchain
//! (actionlint, zizmor, python3 with xmlschema, pre-commit's dependencies). `.ci/run` installs
//! them; on a developer's machine a missing tool skips the test with a message, but under
//! `CI=true` it fails the test, so that CI never passes by skipping.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Whether `program args...` runs and exits 0.
pub fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// `true` when the tool is there. Otherwise: under `CI=true` the test fails, naming how to
/// install the tool; elsewhere it prints why the test is skipped and returns `false`.
pub fn require(available: bool, what: &str, install: &str) -> bool {
    if available {
        return true;
    }
    if in_ci() {
        panic!("{what} is required under CI=true (.ci/run installs it): {install}");
    }
    eprintln!("skipped: {what} is not installed ({install}; under CI=true this fails)");
    false
}

/// python3 with the given module importable.
pub fn python_module(module: &str) -> bool {
    runs("python3", &["-c", &format!("import {module}")])
}
