//! bytes -> policy-lint's JSON parser -> KMS policy model -> the standalone key-policy checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_lint::config::Config;
use policy_lint::registry::Registry;
use policy_lint::source::SourceMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

fn registry() -> &'static (Registry, Config) {
    static R: OnceLock<(Registry, Config)> = OnceLock::new();
    R.get_or_init(|| {
        let reg = Registry::builtin().expect("built-in rules");
        let mut config = Config::default();
        config.canonicalize(&reg);
        (reg, config)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (registry, config) = registry();
    let sources = SourceMap::new();
    let base = PathBuf::from("/nonexistent-policy-lint-fuzz");
    let id = sources.add(base.join("key.json"), "key.json".into(), Arc::from(text));
    let Ok(doc) = policy_lint::json::parse_file(text, id) else {
        return;
    };
    let policy = policy_lint::kms::Policy::from_value(&doc);
    let _ = format!("{policy:?}");
    let enabled = |_: &str| true;
    let params = |code: &str, key: &str| {
        policy_lint::engine::stamp::param(registry, config, code, key).map(std::sync::Arc::new)
    };
    let _ = policy_lint::checks::kms_link::check_standalone(
        id, &doc, "key.json", registry, config, &params, &enabled,
    );
});
