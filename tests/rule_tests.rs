//! Every `[[tests]]` case shipped inside the rule files of `rules/` runs here: its `source`,
//! written as `file` in a fresh directory, must give exactly `expect` findings of the rule's code
//! (suppressed findings do not count).

use policy_lint::config::Config;
use policy_lint::engine::{self, Options};
use policy_lint::registry::Registry;

fn toml_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => format!("{s:?}"),
        serde_json::Value::Array(a) => format!(
            "[{}]",
            a.iter().map(toml_value).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

#[test]
fn embedded_rule_tests_pass() {
    let reg = Registry::builtin().expect("built-in rules");
    let mut failures = Vec::new();
    let mut ran = 0;
    for rule in &reg.rules {
        if !engine::is_implemented(&reg, &rule.code) {
            continue;
        }
        for t in &rule.tests {
            ran += 1;
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(&t.file);
            if let Some(p) = path.parent() {
                std::fs::create_dir_all(p).unwrap();
            }
            std::fs::write(&path, &t.source).unwrap();
            let mut cfg_text = String::new();
            if !t.params.is_empty() {
                cfg_text.push_str(&format!("[rules.{}]\n", rule.code));
                for (k, v) in &t.params {
                    cfg_text.push_str(&format!("{k} = {}\n", toml_value(v)));
                }
            }
            let mut config = Config::parse(&cfg_text, "policy-lint.toml").expect("test params");
            config.validate(&reg).expect("valid params");
            config.canonicalize(&reg);
            let opts = Options {
                paths: vec![dir.path().to_path_buf()],
                cwd: dir.path().to_path_buf(),
                environment: t.environment.clone(),
                ..Options::default()
            };
            let outcome = engine::run(&opts, &config, &reg).expect("run");
            let n = outcome
                .findings
                .iter()
                .filter(|f| f.code == rule.code && f.suppression.is_none())
                .count();
            if n != t.expect as usize {
                let all: Vec<String> = outcome
                    .findings
                    .iter()
                    .map(|f| {
                        let file = outcome.sources.get(f.loc.file);
                        format!(
                            "{}:{} {} {}",
                            file.display,
                            file.line_col(f.loc.start).line,
                            f.code,
                            f.message
                        )
                    })
                    .collect();
                failures.push(format!(
                    "{} `{}`: expected {} finding(s) of {}, got {n}\n    {}",
                    rule.source_path,
                    t.name,
                    t.expect,
                    rule.code,
                    all.join("\n    ")
                ));
            }
        }
    }
    assert!(
        ran > 50,
        "the rule files carry their test cases ({ran} ran)"
    );
    assert!(
        failures.is_empty(),
        "{} of {ran} rule tests failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
