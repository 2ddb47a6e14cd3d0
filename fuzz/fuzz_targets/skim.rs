//! Differential target for the recognizer that decides which blocks need no tree
//! (`policy_lint::skim`): whatever it accepts, hcl-edit must accept, with the same top-level
//! structures at the same offsets; and blanking the skippable resources must leave a text that
//! hcl-edit parses into the same structures minus the blanked ones.
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
    // Blank every resource whose type does not start with `aws_kms_`.
    let plan = skim::plan_blanks(&[text], &|t: &str| t.starts_with("aws_kms_")).expect("skimmed");
    let blanked = skim::blank(text, &plan[0]);
    let body2 = hcl_edit::parser::parse_body(&blanked).expect("blanked text parses");
    let kept: Vec<_> = spans
        .iter()
        .filter(|(r, _)| !plan[0].contains(r))
        .cloned()
        .collect();
    let spans2: Vec<_> = body2
        .iter()
        .map(|s| (s.span().expect("parsed structures have spans"), s.is_block()))
        .collect();
    assert_eq!(kept, spans2, "blanking changed the kept structures");
});
