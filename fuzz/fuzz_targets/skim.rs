//! Differential target for the recognizer the editor and the fixes use to find top-level items
//! without a parse (`policy_lint::skim`): whatever it accepts, hcl-edit must accept, with the same
//! top-level structures at the same offsets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use hcl_edit::Span;
use policy_lint::skim;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(items) = skim::skim(text) else {
        return;
    };
    let body = match hcl_edit::parser::parse_body(text) {
        Ok(b) => b,
        Err(e) => panic!("skim accepted what hcl-edit refuses: {e}"),
    };
    let spans: Vec<_> = body
        .iter()
        .map(|s| (s.span().expect("parsed structures have spans"), s.is_block()))
        .collect();
    let ours: Vec<_> = items.iter().map(|i| (i.range.clone(), i.is_block)).collect();
    assert_eq!(spans, ours, "top-level structures differ");
});
