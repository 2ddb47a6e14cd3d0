//! A large Terraform file is held a piece at a time (src/parse_large.rs): the evaluator, the
//! checks and suppressions read its blocks through pieces parsed again on demand. The verdicts
//! must be those of the same blocks in a small file: the example configuration's blocks are
//! spread through several megabytes of other blocks, so that references, the module call, the
//! providers, locals and a suppression comment sit in different pieces.

use policy_lint::config::Config;
use policy_lint::engine::{self, Options, Outcome};
use policy_lint::registry::Registry;
use std::fmt::Write as _;
use std::path::Path;

fn run(dir: &Path) -> Outcome {
    let reg = Registry::builtin().expect("built-in rules");
    let mut config = Config::default();
    config.canonicalize(&reg);
    let opts = Options {
        paths: vec![dir.to_path_buf()],
        cwd: dir.to_path_buf(),
        threads: 2,
        ..Options::default()
    };
    engine::run(&opts, &config, &reg).expect("run")
}

/// A finding, with the text it points at (the same in both files, at different lines).
type Verdict = (String, String, String, bool, String);

/// (code, file, message, suppressed, text at the location) of every finding, sorted.
fn verdicts(o: &Outcome) -> Vec<Verdict> {
    let mut v: Vec<_> = o
        .findings
        .iter()
        .map(|f| {
            let text = o.sources.text_of(f.loc.file);
            (
                f.code.clone(),
                o.sources.get(f.loc.file).display.clone(),
                f.message.clone(),
                f.suppression.is_some(),
                text.get(f.loc.range())
                    .unwrap_or("<out of the file>")
                    .to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn blocks_spread_through_a_large_file_give_the_verdicts_of_a_small_one() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/insecure-workspace");
    let small = tempfile::tempdir().unwrap();
    let large = tempfile::tempdir().unwrap();
    copy_dir(&example, small.path());
    copy_dir(&example, large.path());
    // A suppression comment in both: it must cover the same block in a late piece.
    let text = std::fs::read_to_string(example.join("main.tf"))
        .unwrap()
        .replace(
            "resource \"databricks_workspace_network_policy_binding\" \"this\" {",
            &format!(
                "{SUPPRESS}resource \"databricks_workspace_network_policy_binding\" \"this\" {{"
            ),
        );
    std::fs::write(small.path().join("main.tf"), &text).unwrap();
    let body = hcl_edit::parser::parse_body(&text).unwrap();
    let blocks: Vec<&str> = body
        .iter()
        .map(|s| &text[hcl_edit::Span::span(s).unwrap()])
        .collect();
    assert!(blocks.len() >= 8);
    // The example's blocks in reverse order (references point forward and back across pieces),
    // each after about 700 KB of keys and buckets, comments between them.
    let mut big = String::new();
    let mut n = 0;
    for b in blocks.iter().rev() {
        let until = big.len() + 700_000;
        while big.len() < until {
            writeln!(
                big,
                "# padding {n}\nresource \"aws_kms_key\" \"pad{n}\" {{\n  description         = \"padding {n}\"\n  enable_key_rotation = true\n}}\n\nresource \"aws_s3_bucket\" \"pad{n}\" {{\n  bucket = \"pad-{n}\"\n}}\n"
            )
            .unwrap();
            n += 1;
        }
        if b.starts_with("resource \"databricks_workspace_network_policy_binding\"") {
            // The suppression comment is the block's decoration: it must survive the cut.
            big.push_str(SUPPRESS);
        }
        big.push_str(b);
        big.push('\n');
    }
    assert!(big.len() > 2 * crate_piece_bytes());
    std::fs::write(large.path().join("main.tf"), &big).unwrap();

    // The large file is held in pieces (not parsed whole as a fallback).
    let sources = policy_lint::source::SourceMap::default();
    let id = sources.add(
        large.path().join("main.tf"),
        "main.tf".to_string(),
        std::sync::Arc::from(big.as_str()),
    );
    match policy_lint::parse::parse_hcl(&sources, id) {
        policy_lint::parse::Parsed::Hcl(h) => {
            assert!(matches!(h.tree, policy_lint::tree::Tree::Pieces(_)))
        }
        _ => panic!("the large file parses"),
    }

    let want = verdicts(&run(small.path()));
    let got = verdicts(&run(large.path()));
    assert!(want.len() >= 10, "{want:?}");
    assert!(want.iter().any(|v| v.3), "a suppressed finding: {want:?}");
    assert!(
        want.iter().filter(|v| v.1 == "main.tf").count() >= 4,
        "findings in the spread file: {want:?}"
    );
    assert_eq!(got, want);
}

/// Suppresses TF002 (the binding's type is a known misspelling) on the next block.
const SUPPRESS: &str = "# policy-lint:ignore TF002 reason=\"spread test\"\n";

fn crate_piece_bytes() -> usize {
    policy_lint::parse_large::PIECE_BYTES
}
