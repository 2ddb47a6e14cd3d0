//! Where the documentation of a rule lives.
//!
//! Built-in rules are documented in `docs/rules.md` of the repository the binary was built from
//! (Cargo.toml `repository`), pinned to the release's tag (`v0.1.0`), so that a link printed by a
//! release shows the documentation of that release. `docs_url` in `policy-lint.toml` replaces
//! that page (an internal mirror); the rule's anchor (`#net001`) is appended. Users' rules link
//! to their own `doc_url`, or to nothing: `docs/rules.md` does not document them.

use crate::registry::RuleDef;

/// The repository of this build (Cargo.toml `repository`).
pub const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// The tag of this release (`v` and the crate version).
pub fn release_tag() -> String {
    format!("v{}", env!("CARGO_PKG_VERSION"))
}

/// The page that documents the built-in rules: `{repository}/blob/{tag}/docs/rules.md`.
pub fn default_base() -> String {
    format!(
        "{}/blob/{}/docs/rules.md",
        REPOSITORY.trim_end_matches('/'),
        release_tag()
    )
}

/// The anchor of a rule on the rules page (`net001`).
pub fn anchor(code: &str) -> String {
    code.to_ascii_lowercase()
}

/// The documentation link of a rule: its own `doc_url`, else for a built-in rule its section of
/// the rules page (`base`, `docs_url` of the configuration, or [`default_base`]); empty for a
/// user's rule without a `doc_url`.
pub fn rule_url(rule: &RuleDef, base: Option<&str>) -> String {
    if let Some(u) = rule.doc_url.as_deref().filter(|u| !u.trim().is_empty()) {
        return u.to_string();
    }
    if !rule.builtin {
        return String::new();
    }
    let base = match base {
        Some(b) if !b.trim().is_empty() => b.trim().to_string(),
        _ => default_base(),
    };
    let base = base.split('#').next().unwrap_or_default();
    format!("{base}#{}", anchor(&rule.code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    #[test]
    fn built_in_rules_link_to_the_release_tag_of_the_repository() {
        let reg = Registry::builtin().unwrap();
        let r = reg.get("NET001").unwrap();
        let url = rule_url(r, None);
        assert_eq!(
            url,
            format!(
                "{}/blob/v{}/docs/rules.md#net001",
                env!("CARGO_PKG_REPOSITORY"),
                env!("CARGO_PKG_VERSION")
            )
        );
        assert!(!url.contains("/blob/main/"), "pinned to a tag: {url}");
        assert_eq!(
            rule_url(r, Some("https://docs.example.com/policy-lint/rules.html")),
            "https://docs.example.com/policy-lint/rules.html#net001"
        );
    }

    #[test]
    fn users_rules_link_to_their_own_page_or_nothing() {
        let reg = Registry::builtin().unwrap();
        let mut r = reg.get("NET001").unwrap().clone();
        r.builtin = false;
        assert_eq!(rule_url(&r, None), "");
        assert_eq!(rule_url(&r, Some("https://x.example/rules.md")), "");
        r.doc_url = Some("https://wiki.example.com/acme001".into());
        assert_eq!(rule_url(&r, None), "https://wiki.example.com/acme001");
    }
}
