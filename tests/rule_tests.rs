//! Every `[[tests]]` case shipped inside the rule files of `rules/` runs here (through the
//! harness `policy-lint test` uses): its `source`, written as `file` in a fresh directory, must
//! give exactly `expect` findings of the rule's code (suppressed findings do not count).

use policy_lint::registry::Registry;
use policy_lint::ruletest::{self, Outcome};

#[test]
fn embedded_rule_tests_pass() {
    let reg = Registry::builtin().expect("built-in rules");
    let results = ruletest::run(&reg, &|_| true);
    assert!(
        results.len() > 50,
        "the rule files carry their test cases ({} ran)",
        results.len()
    );
    let failed = results
        .iter()
        .filter(|r| r.outcome != Outcome::Passed)
        .count();
    assert!(
        failed == 0,
        "{failed} of {} rule tests failed:\n{}",
        results.len(),
        ruletest::render(&results, &|_| false)
    );
}
