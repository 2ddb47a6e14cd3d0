//! bytes -> a Terraform file in memory -> parse (as the engine does) -> evaluate the unit -> run
//! the Rust checks.
//!
//! Nothing is written to disk: the file is registered in a SourceMap under a path that does not
//! exist, and the Loader's roots are empty, so file(), templatefile() and module sources are
//! refused (their failing stat calls are the only filesystem access).
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_lint::checks;
use policy_lint::config::Config;
use policy_lint::eval::{evaluate_unit, EvalOptions, Loader, TypeFilter};
use policy_lint::parse::{self, Parsed};
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
    let (registry, config) = registry();
    let sources = Arc::new(SourceMap::new());
    let dir = PathBuf::from("/nonexistent-policy-lint-fuzz/root");
    let path = dir.join("main.tf");
    let Ok(text) = parse::decode_text(data) else {
        return;
    };
    let id = sources.add(path.clone(), "main.tf".into(), Arc::from(text));
    // As the engine runs it: only the wanted types are evaluated eagerly.
    let wanted = Arc::new(TypeFilter {
        prefixes: vec!["databricks_".into(), "aws_kms_".into()],
        names: ["aws_iam_policy_document".to_string()].into_iter().collect(),
    });
    let loader = Loader::new(sources.clone(), vec![], dir.clone());
    loader.register(&path, id);
    if !matches!(loader.parsed(&path), Some(Parsed::Hcl(_))) {
        return;
    }
    let opts = EvalOptions {
        types: Some(wanted),
        ..EvalOptions::default()
    };
    let unit = evaluate_unit(&loader, &opts, &dir);
    let params = |code: &str, key: &str| {
        policy_lint::engine::stamp::param(registry, config, code, key).map(std::sync::Arc::new)
    };
    let enabled = |_: &str| true;
    let _ = checks::check_all(&unit, &params, &enabled, registry);
});
