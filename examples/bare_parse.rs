//! Baseline for `scripts/bench.py`: finds the files `policy-lint check` reads, with policy-lint's
//! own discovery (`.gitignore`/`.ignore` honoured; `.git`, `.terraform`, `node_modules` skipped)
//! plus the automatic variable files of each module directory, and parses each once on one thread: `.tf`/`.tfvars` with hcl-edit, `.tf.json`/`.tfvars.json`
//! and the `.json` files policy-lint reads (those naming `"Statement"`, as `engine::load` decides)
//! with serde_json. Nothing else.
//!
//! `cargo build --release --examples && target/release/examples/bare_parse [--list] PATH...`
//!
//! `--list` prints the path of every file parsed (one a line, sorted), so that the set can be
//! compared with the files a policy-lint run opens (`scripts/bench.py --check-files`).

use policy_lint::discover::{discover, FileKind, Filter};
use std::path::PathBuf;
use std::time::Instant;

// The same allocator as the policy-lint binary, with the same options (`configure` in `main`), so
// the baseline is like for like.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    policy_lint::alloc::configure();
    let mut list = false;
    let mut paths = Vec::new();
    for a in std::env::args().skip(1) {
        if a == "--list" {
            list = true;
        } else {
            paths.push(PathBuf::from(a));
        }
    }
    if paths.is_empty() {
        eprintln!("usage: bare_parse [--list] PATH...");
        std::process::exit(2);
    }
    let t0 = Instant::now();
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut found = match discover(&paths, &cwd, &Filter::default()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("bare_parse: {e}");
            std::process::exit(2);
        }
    };
    // A root module reads its automatic variable files (`terraform.tfvars`, `*.auto.tfvars`, and
    // their `.json` forms) even when `.gitignore` hides them from discovery (eval::module's
    // root_inputs): parse those of every directory with Terraform files too.
    let dirs: std::collections::BTreeSet<PathBuf> = found
        .iter()
        .filter(|f| matches!(f.kind, FileKind::Tf | FileKind::TfJson))
        .filter_map(|f| f.path.parent().map(PathBuf::from))
        .collect();
    let known: std::collections::HashSet<PathBuf> = found.iter().map(|f| f.path.clone()).collect();
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let auto = n == "terraform.tfvars" || n.ends_with(".auto.tfvars");
            let auto_json = n == "terraform.tfvars.json" || n.ends_with(".auto.tfvars.json");
            if (auto || auto_json) && p.is_file() && !known.contains(&p) {
                found.push(policy_lint::discover::Found {
                    kind: if auto {
                        FileKind::Tfvars
                    } else {
                        FileKind::TfvarsJson
                    },
                    path: p,
                    explicit: false,
                });
            }
        }
    }
    found.sort();
    let (mut files, mut bytes, mut failed) = (0usize, 0usize, 0usize);
    for f in &found {
        let hcl = matches!(f.kind, FileKind::Tf | FileKind::Tfvars);
        let json = matches!(
            f.kind,
            FileKind::TfJson | FileKind::TfvarsJson | FileKind::Json
        );
        if !(hcl || json) {
            continue;
        }
        let Ok(meta) = std::fs::metadata(&f.path) else {
            continue;
        };
        if meta.len() > policy_lint::engine::load::MAX_INPUT {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&f.path) else {
            continue;
        };
        if f.kind == FileKind::Json && !text.contains("\"Statement\"") {
            continue; // policy-lint reads it but does not parse it
        }
        files += 1;
        bytes += text.len();
        if list {
            println!("{}", f.path.display());
        }
        let ok = if hcl {
            hcl_edit::parser::parse_body(&text).is_ok()
        } else {
            serde_json::from_str::<serde_json::Value>(&text).is_ok()
        };
        failed += usize::from(!ok);
    }
    let summary = format!(
        "{files} files, {:.1} MB, {failed} failed, {:.3}s",
        bytes as f64 / 1e6,
        t0.elapsed().as_secs_f64()
    );
    if list {
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
}
