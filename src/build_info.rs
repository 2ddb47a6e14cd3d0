// Where `policy-lint --version` gets its commit and build date. Shared by `build.rs` (which
// computes them once, at build time, and passes them to the crate as `POLICY_LINT_COMMIT` and
// `POLICY_LINT_BUILD_DATE`) and `src/version.rs` (which tests them), so both agree.
//
// The commit comes from, in order: the `POLICY_LINT_COMMIT` environment variable (a packager who
// builds from a tarball and knows the commit), git (only when the crate's own directory is the top
// level of a git work tree, so a source tarball unpacked inside another repository does not take
// that repository's commit), `.cargo_vcs_info.json` (which `cargo package` writes into every
// crate published to crates.io), else `unknown`. The date is `SOURCE_DATE_EPOCH` (reproducible
// builds) or the time of the build, as `YYYY-MM-DD` in UTC.

/// Length of the commit hash shown by `--version`.
const COMMIT_LEN: usize = 12;

/// The commit of the sources in `manifest_dir`, or `None` when it cannot be known.
fn commit_of(manifest_dir: &std::path::Path, env_commit: Option<&str>) -> Option<String> {
    if let Some(c) = env_commit.map(str::trim).filter(|c| !c.is_empty()) {
        return Some(c.chars().take(COMMIT_LEN).collect());
    }
    git_commit(manifest_dir).or_else(|| cargo_vcs_commit(manifest_dir))
}

/// `git rev-parse HEAD` of `dir`, when `dir` is the top level of a git work tree.
fn git_commit(dir: &std::path::Path) -> Option<String> {
    let top = git_output(dir, &["rev-parse", "--show-toplevel"])?;
    let same = std::fs::canonicalize(&top).ok()? == std::fs::canonicalize(dir).ok()?;
    if !same {
        return None;
    }
    let head = git_output(dir, &["rev-parse", "HEAD"])?;
    is_hex_commit(&head).then(|| head[..COMMIT_LEN].to_string())
}

/// The files git changes when HEAD moves (HEAD itself, the branch's ref, packed refs), for
/// `cargo:rerun-if-changed`; empty outside a git work tree.
fn git_head_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    if git_commit(dir).is_none() {
        return Vec::new();
    }
    let mut names = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(r) = git_output(dir, &["symbolic-ref", "-q", "HEAD"]) {
        names.push(r);
    }
    names
        .iter()
        .filter_map(|n| git_output(dir, &["rev-parse", "--git-path", n]))
        .map(|p| dir.join(p))
        .filter(|p| p.is_file())
        .collect()
}

fn git_output(dir: &std::path::Path, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// `git.sha1` of the `.cargo_vcs_info.json` that `cargo package` writes (crates.io sources).
fn cargo_vcs_commit(dir: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(".cargo_vcs_info.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let sha = v.get("git")?.get("sha1")?.as_str()?;
    is_hex_commit(sha).then(|| sha[..COMMIT_LEN].to_string())
}

fn is_hex_commit(s: &str) -> bool {
    s.len() >= COMMIT_LEN && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `YYYY-MM-DD` (UTC) of a Unix time in seconds.
fn utc_date(secs: u64) -> String {
    // Howard Hinnant's days-to-civil algorithm.
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The build date: `SOURCE_DATE_EPOCH` when set and valid, else now.
fn build_date(source_date_epoch: Option<&str>) -> String {
    let secs = source_date_epoch
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
    utc_date(secs)
}
