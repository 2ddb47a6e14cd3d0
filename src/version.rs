//! What `policy-lint --version` prints: the version, the commit it was built from and the build
//! date, computed by `build.rs` with the functions below (shared with it).

/// `0.1.0 (commit 1a2b3c4d5e6f, built 2026-11-29)`; the commit is `unknown` when the build had
/// no way to know it (a source tarball without git).
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("POLICY_LINT_COMMIT"),
    ", built ",
    env!("POLICY_LINT_BUILD_DATE"),
    ")"
);

/// The commit the binary was built from (12 hex digits), or `unknown`.
pub const COMMIT: &str = env!("POLICY_LINT_COMMIT");

// Only build.rs calls these outside the tests.
#[allow(dead_code)]
mod detect {
    include!("build_info.rs");

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::path::Path;
        use std::process::Command;

        fn git(dir: &Path, args: &[&str]) -> bool {
            Command::new("git")
                .arg("-C")
                .arg(dir)
                .args(args)
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@example.com")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@example.com")
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
        }

        #[test]
        fn dates() {
            assert_eq!(utc_date(0), "1970-01-01");
            assert_eq!(utc_date(951_782_400), "2000-02-29");
            assert_eq!(utc_date(1_795_996_799), "2026-11-29");
            assert_eq!(utc_date(4_107_542_400), "2100-03-01");
            assert_eq!(build_date(Some("86400")), "1970-01-02");
            // An invalid SOURCE_DATE_EPOCH is ignored: today.
            assert_eq!(build_date(Some("yesterday")).len(), 10);
        }

        #[test]
        fn a_source_tarball_has_no_commit() {
            let d = tempfile::tempdir().unwrap();
            std::fs::write(d.path().join("Cargo.toml"), "[package]\n").unwrap();
            assert_eq!(commit_of(d.path(), None), None);
            assert!(git_head_files(d.path()).is_empty());
            // A packager who knows it can say so.
            assert_eq!(
                commit_of(d.path(), Some("0123456789abcdef0123")).as_deref(),
                Some("0123456789ab")
            );
            assert_eq!(commit_of(d.path(), Some("  ")), None);
            // crates.io sources carry the commit in .cargo_vcs_info.json.
            std::fs::write(
                d.path().join(".cargo_vcs_info.json"),
                r#"{"git": {"sha1": "fedcba9876543210fedcba9876543210fedcba98"}, "path_in_vcs": ""}"#,
            )
            .unwrap();
            assert_eq!(commit_of(d.path(), None).as_deref(), Some("fedcba987654"));
            std::fs::write(d.path().join(".cargo_vcs_info.json"), "{not json").unwrap();
            assert_eq!(commit_of(d.path(), None), None);
        }

        #[test]
        fn git_work_trees() {
            let d = tempfile::tempdir().unwrap();
            if !git(d.path(), &["init", "-q"]) {
                eprintln!("skipped: git is not installed");
                return;
            }
            // No commit yet.
            assert_eq!(commit_of(d.path(), None), None);
            std::fs::write(d.path().join("a"), "a").unwrap();
            assert!(git(d.path(), &["add", "a"]));
            assert!(git(d.path(), &["commit", "-q", "-m", "a"]));
            let c = commit_of(d.path(), None).expect("a commit");
            assert_eq!(c.len(), 12);
            assert!(c.bytes().all(|b| b.is_ascii_hexdigit()));
            assert!(git_head_files(d.path()).iter().any(|p| p.ends_with("HEAD")));
            // A tarball unpacked inside another repository does not take its commit.
            let inner = d.path().join("vendor/policy-lint");
            std::fs::create_dir_all(&inner).unwrap();
            assert_eq!(commit_of(&inner, None), None);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_version_names_the_commit_and_date() {
        assert!(super::LONG.starts_with(env!("CARGO_PKG_VERSION")));
        assert!(super::LONG.contains(" (commit "));
        assert!(super::LONG.contains(", built 20"));
        assert!(super::COMMIT == "unknown" || super::COMMIT.len() == 12);
    }
}
