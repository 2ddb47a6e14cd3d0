//! Baseline for `scripts/bench.py`: walks a directory and parses every `.tf`/`.tfvars` file with
//! hcl-edit and every `.json` file with serde_json, on one thread, and nothing else.
//!
//! `cargo build --release --examples && target/release/examples/bare_parse DIR`

use std::path::PathBuf;
use std::time::Instant;

// The same allocator as the policy-lint binary, so the baseline is like for like.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let root = PathBuf::from(std::env::args().nth(1).expect("usage: bare_parse DIR"));
    let t0 = Instant::now();
    let mut stack = vec![root];
    let (mut files, mut bytes, mut failed) = (0usize, 0usize, 0usize);
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let Ok(t) = e.file_type() else { continue };
            if t.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let hcl = name.ends_with(".tf") || name.ends_with(".tfvars");
            let json = name.ends_with(".json");
            if !(hcl || json) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            files += 1;
            bytes += text.len();
            let ok = if hcl {
                hcl_edit::parser::parse_body(&text).is_ok()
            } else {
                serde_json::from_str::<serde_json::Value>(&text).is_ok()
            };
            failed += usize::from(!ok);
        }
    }
    println!(
        "{files} files, {:.1} MB, {failed} failed, {:.3}s",
        bytes as f64 / 1e6,
        t0.elapsed().as_secs_f64()
    );
}
