//! Hostile and huge input: policy-lint must never crash, hang or exhaust memory. Each case runs in
//! a temporary directory under a watchdog (a hang fails the test instead of blocking it) and
//! checks that the run finishes with the expected kind of finding (SYN001 for what cannot be
//! parsed, EVAL001 for what cannot be evaluated).
//!
//! Sizes are moderate so the whole file runs quickly in a debug build, but large enough to catch
//! recursion (tens of thousands of levels), quadratic work (100k resources, thousands of files)
//! and exponential growth (values doubled 60 times).

use policy_lint::config::Config;
use policy_lint::engine::{self, Options, Outcome};
use policy_lint::registry::Registry;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Runs policy-lint (library API) on `dir`, failing the test if it takes longer than `limit`.
fn run_within(dir: &Path, limit: Duration) -> Outcome {
    let dir = dir.to_path_buf();
    let (tx, rx) = mpsc::channel();
    let t0 = Instant::now();
    std::thread::spawn(move || {
        let reg = Registry::builtin().expect("built-in rules");
        let mut config = Config::default();
        config.canonicalize(&reg);
        let opts = Options {
            paths: vec![dir.clone()],
            cwd: dir,
            threads: 2,
            ..Options::default()
        };
        let _ = tx.send(engine::run(&opts, &config, &reg));
    });
    match rx.recv_timeout(limit) {
        Ok(r) => {
            eprintln!("run took {:?}", t0.elapsed());
            r.expect("run")
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("policy-lint did not finish within {limit:?}")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("policy-lint panicked"),
    }
}

fn run(dir: &Path) -> Outcome {
    run_within(dir, Duration::from_secs(60))
}

/// (code, file display path, message) of every finding.
fn findings(o: &Outcome) -> Vec<(String, String, String)> {
    o.findings
        .iter()
        .map(|f| {
            (
                f.code.clone(),
                o.sources.get(f.loc.file).display.clone(),
                f.message.clone(),
            )
        })
        .collect()
}

fn codes_in(o: &Outcome, file: &str) -> Vec<String> {
    findings(o)
        .into_iter()
        .filter(|(_, f, _)| f == file)
        .map(|(c, _, _)| c)
        .collect()
}

fn has(o: &Outcome, code: &str, file: &str) -> bool {
    codes_in(o, file).iter().any(|c| c == code)
}

fn show(o: &Outcome) -> String {
    findings(o)
        .iter()
        .map(|(c, f, m)| format!("{c} {f}: {}", m.chars().take(200).collect::<String>()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p
}

const N: usize = 20_000;

// ------------------------------------------------------------------------------- deep nesting

#[test]
fn deeply_nested_brackets_braces_parens_are_syn001() {
    let d = tmp();
    write(
        d.path(),
        "list.tf",
        format!("locals {{\n  a = {}1{}\n}}\n", "[".repeat(N), "]".repeat(N)),
    );
    write(
        d.path(),
        "paren.tf",
        format!("locals {{\n  a = {}1{}\n}}\n", "(".repeat(N), ")".repeat(N)),
    );
    write(
        d.path(),
        "object.tf",
        format!(
            "locals {{\n  a = {}1{}\n}}\n",
            "{ a = ".repeat(N),
            " }".repeat(N)
        ),
    );
    write(
        d.path(),
        "blocks.tf",
        format!("{}\n{}\n", "b {\n".repeat(N), "}\n".repeat(N)),
    );
    write(
        d.path(),
        "calls.tf",
        format!(
            "locals {{\n  a = {}1{}\n}}\n",
            "max(".repeat(N),
            ")".repeat(N)
        ),
    );
    let o = run(d.path());
    for f in ["list.tf", "paren.tf", "object.tf", "blocks.tf", "calls.tf"] {
        assert!(has(&o, "SYN001", f), "{f}: {}", show(&o));
    }
}

#[test]
fn deeply_nested_templates_are_syn001() {
    let d = tmp();
    // "${"${"${ ... }"}"}"
    let mut t = String::from("locals {\n  a = ");
    t.push_str(&"\"${".repeat(N));
    t.push('1');
    t.push_str(&"}\"".repeat(N));
    t.push_str("\n}\n");
    write(d.path(), "interp.tf", t);
    // %{ if true }%{ if true } ... %{ endif }%{ endif } in a heredoc: no bracket nesting at all.
    let heredoc = format!(
        "locals {{\n  a = <<EOT\n{}x{}\nEOT\n}}\n",
        "%{ if true }".repeat(N),
        "%{ endif }".repeat(N)
    );
    write(d.path(), "directives.tf", heredoc);
    let quoted = format!(
        "locals {{\n  a = \"{}x{}\"\n}}\n",
        "%{ if true }".repeat(N),
        "%{ endif }".repeat(N)
    );
    write(d.path(), "quoted_directives.tf", quoted);
    let fors = format!(
        "locals {{\n  a = \"{}x{}\"\n}}\n",
        "%{ for i in [1] }".repeat(N),
        "%{ endfor }".repeat(N)
    );
    write(d.path(), "for_directives.tf", fors);
    let o = run(d.path());
    for f in [
        "interp.tf",
        "directives.tf",
        "quoted_directives.tf",
        "for_directives.tf",
    ] {
        let c = codes_in(&o, f);
        assert!(
            c.iter().any(|c| c == "SYN001" || c == "EVAL001"),
            "{f}: {}",
            show(&o)
        );
    }
}

#[test]
fn long_operator_chains_do_not_overflow() {
    let d = tmp();
    // Unary and conditional chains nest without any bracket.
    write(
        d.path(),
        "not.tf",
        format!("locals {{\n  a = {}true\n}}\n", "!".repeat(N)),
    );
    write(
        d.path(),
        "neg.tf",
        format!("locals {{\n  a = {}1\n}}\n", "-".repeat(N)),
    );
    write(
        d.path(),
        "cond.tf",
        format!("locals {{\n  a = {}1\n}}\n", "true ? 1 : ".repeat(N)),
    );
    write(
        d.path(),
        "sum.tf",
        format!("locals {{\n  a = 1{}\n}}\n", " + 1".repeat(N)),
    );
    write(
        d.path(),
        "and.tf",
        format!("locals {{\n  a = true{}\n}}\n", " && true".repeat(N)),
    );
    write(
        d.path(),
        "attr.tf",
        format!(
            "locals {{\n  a = local.b{}\n  b = {{}}\n}}\n",
            ".c".repeat(N)
        ),
    );
    write(
        d.path(),
        "index.tf",
        format!(
            "locals {{\n  a = local.b{}\n  b = [1]\n}}\n",
            "[0]".repeat(N)
        ),
    );
    write(
        d.path(),
        "splat.tf",
        format!(
            "locals {{\n  a = local.b{}\n  b = [1]\n}}\n",
            "[*]".repeat(N)
        ),
    );
    let o = run(d.path());
    // Whatever the outcome (parsed and evaluated, evaluation limit, or refused), the run finished.
    eprintln!("{}", show(&o));
}

#[test]
fn deeply_nested_json_is_syn001() {
    let d = tmp();
    let deep = format!("{{\"Statement\": {}1{}}}", "[".repeat(N), "]".repeat(N));
    write(d.path(), "policy.json", &deep);
    let deep_obj = format!(
        "{{\"Statement\": {}1{}}}",
        "{\"a\":".repeat(N),
        "}".repeat(N)
    );
    write(d.path(), "policy_obj.json", &deep_obj);
    write(d.path(), "x.tf.json", &deep);
    write(d.path(), "x.tfvars.json", &deep);
    // The same JSON inside Terraform: a heredoc key policy and jsondecode().
    write(
        d.path(),
        "kms.tf",
        format!(
            "resource \"aws_kms_key\" \"k\" {{\n  policy = <<EOF\n{deep}\nEOF\n}}\n\nlocals {{\n  j = jsondecode(\"{}1{}\")\n}}\n",
            "[".repeat(N),
            "]".repeat(N)
        ),
    );
    let o = run(d.path());
    assert!(has(&o, "SYN001", "policy.json"), "{}", show(&o));
    assert!(has(&o, "SYN001", "policy_obj.json"), "{}", show(&o));
}

#[test]
fn hostile_tf_json_is_syn001_or_evaluated_never_a_crash() {
    let d = tmp();
    let p = d.path();
    // Deep nesting: of the JSON, of a resource argument, of an expression inside a string (also
    // after `//`, which is not a comment in a template), of a template inside a template.
    write(
        p,
        "deep_json.tf.json",
        format!("{}1{}", "{\"a\":".repeat(N), "}".repeat(N)),
    );
    write(
        p,
        "deep_arg.tf.json",
        format!(
            "{{\"resource\": {{\"x\": {{\"y\": {{\"a\": {}1{}}}}}}}}}",
            "[".repeat(N),
            "]".repeat(N)
        ),
    );
    write(
        p,
        "deep_interp.tf.json",
        format!(
            "{{\"locals\": {{\"a\": \"// ${{{}1{}}}\"}}}}",
            "(".repeat(N),
            ")".repeat(N)
        ),
    );
    write(
        p,
        "deep_template.tf.json",
        format!(
            "{{\"locals\": {{\"a\": \"{}x{}\"}}}}",
            "${\\\"".repeat(N),
            "\\\"}".repeat(N)
        ),
    );
    // Not Terraform's JSON syntax at the top level, or in the shape of a block.
    for (name, text) in [
        ("array.tf.json", "[1, 2]"),
        ("string.tf.json", "\"resource\""),
        ("null.tf.json", "null"),
        ("number.tf.json", "42"),
        ("resource_array.tf.json", "{\"resource\": [1]}"),
        (
            "body_string.tf.json",
            "{\"resource\": {\"x\": {\"y\": \"z\"}}}",
        ),
        ("locals_number.tf.json", "{\"locals\": 3}"),
        (
            "variable_type.tf.json",
            "{\"variable\": {\"v\": {\"type\": \"list(\"}}}",
        ),
        (
            "dynamic.tf.json",
            "{\"resource\": {\"x\": {\"y\": {\"dynamic\": {\"b\": 1}}}}}",
        ),
        ("label.tf.json", "{\"resource\": {\"${x}\": {\"y\": {}}}}"),
        ("template.tf.json", "{\"locals\": {\"a\": \"%{ if x }\"}}"),
        ("control.tf.json", "{\"locals\": {\"a\": \"${\\u0000}\"}}"),
        ("duplicate.tf.json", "{\"locals\": {\"a\": 1, \"a\": 2}}"),
        (
            "duplicate_key.tf.json",
            "{\"locals\": {\"a\": {\"k\": 1, \"k\": 2}}}",
        ),
    ] {
        write(p, name, text);
    }
    // Large but valid: a 4 MiB string of escapes, strings with every kind of escape and control
    // character, lone surrogates, 20k resources.
    write(
        p,
        "big_string.tf.json",
        format!(
            "{{\"locals\": {{\"big\": \"{}\", \"odd\": \"\\u0000\\b\\f\\t\\ud800\\udc00x\\ud800\\u00e9\\/\\\\${{\\\"a\\\"}}%%{{\"}}}}",
            "\\u0041\\\"".repeat(400_000)
        ),
    );
    let mut many = String::from("{\"resource\": {\"aws_kms_key\": {");
    for i in 0..20_000 {
        if i > 0 {
            many.push(',');
        }
        write!(many, "\"k{i}\": {{\"description\": \"key ${{{i} + 1}}\"}}").unwrap();
    }
    many.push_str("}}}");
    write(p, "many.tf.json", many);
    let o = run_within(p, Duration::from_secs(90));
    for f in [
        "deep_json.tf.json",
        "deep_arg.tf.json",
        "deep_interp.tf.json",
        "deep_template.tf.json",
        "array.tf.json",
        "string.tf.json",
        "null.tf.json",
        "number.tf.json",
        "resource_array.tf.json",
        "body_string.tf.json",
        "locals_number.tf.json",
        "variable_type.tf.json",
        "dynamic.tf.json",
        "label.tf.json",
        "template.tf.json",
        "control.tf.json",
        "duplicate.tf.json",
        "duplicate_key.tf.json",
    ] {
        assert!(has(&o, "SYN001", f), "{f}: {}", show(&o));
    }
    for f in ["big_string.tf.json", "many.tf.json"] {
        assert!(!has(&o, "SYN001", f), "{f}: {}", show(&o));
    }
}

// ------------------------------------------------------------------------------- cycles and limits

#[test]
fn cyclic_locals_and_self_referencing_variables_are_eval001() {
    let d = tmp();
    write(
        d.path(),
        "main.tf",
        r#"
locals {
  a = local.b
  b = local.c
  c = local.a
  self = "${local.self}-x"
}

variable "v" {
  default = var.v
}

resource "aws_kms_key" "k" {
  description = local.a
  policy      = local.self
  tags        = { v = var.v }
}

resource "aws_kms_alias" "a" {
  name          = aws_kms_alias.a.name
  target_key_id = aws_kms_key.k.key_id
}
"#,
    );
    let o = run(d.path());
    assert!(has(&o, "EVAL001", "main.tf"), "{}", show(&o));
}

#[test]
fn exponential_growth_through_locals_is_bounded() {
    let d = tmp();
    let mut t = String::from("locals {\n  s0 = \"ab\"\n  l0 = [1, 2]\n  m0 = { a = 1 }\n");
    for i in 1..=60 {
        let p = i - 1;
        writeln!(t, "  s{i} = \"${{local.s{p}}}${{local.s{p}}}\"").unwrap();
        writeln!(t, "  l{i} = concat(local.l{p}, local.l{p})").unwrap();
        writeln!(t, "  f{i} = flatten([local.l{p}, [local.l{p}]])").unwrap();
        writeln!(t, "  j{i} = join(\",\", [local.s{p}, local.s{p}])").unwrap();
        writeln!(t, "  r{i} = replace(local.s{p}, \"a\", local.s{p})").unwrap();
        writeln!(t, "  m{i} = {{ a = local.m{p}, b = local.m{p} }}").unwrap();
        writeln!(t, "  p{i} = format(\"%s%s\", local.s{p}, local.s{p})").unwrap();
        writeln!(t, "  x{i} = strrev(local.s{i})").unwrap();
    }
    t.push_str("}\n\nresource \"aws_kms_key\" \"k\" {\n  description = local.s60\n  policy = local.j60\n  tags = { l = length(local.l60), r = local.r60, j = local.j60, p = local.p60, f = length(local.f60), x = local.x60 }\n}\n");
    write(d.path(), "main.tf", t);
    let o = run_within(d.path(), Duration::from_secs(120));
    assert!(has(&o, "EVAL001", "main.tf"), "{}", show(&o));
}

/// A map doubled through 60 locals shares its halves, so memory stays small: the binary runs
/// under a 2.5 GB address-space limit (it needed 4 GB when values were copied on every
/// reference) and reports the local where the size limit is hit.
#[cfg(target_os = "linux")]
#[test]
fn doubling_maps_stay_within_memory() {
    let d = tmp();
    let mut t = String::from("locals {\n  m0 = { a = 1 }\n");
    for i in 1..=60 {
        writeln!(
            t,
            "  m{i} = {{ a = local.m{}, b = local.m{} }}",
            i - 1,
            i - 1
        )
        .unwrap();
    }
    t.push_str("}\n\nresource \"aws_kms_key\" \"k\" {\n  policy = jsonencode(local.m60)\n}\n");
    write(d.path(), "main.tf", t);
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v 2500000 && exec '{}' check --format json '{}'",
            env!("CARGO_BIN_EXE_policy-lint"),
            d.path().display()
        ))
        .output()
        .expect("run policy-lint");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "status {:?}\n{}\n{}",
        out.status,
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("\"EVAL001\"") && stdout.contains("is larger than"),
        "{stdout}"
    );
}

/// A module larger than an address-space limit allows ends with a clear error (exit 2) naming the
/// module and the limit, with nothing on standard output; it used to abort (SIGABRT) in the
/// allocator. The same limit leaves room for an ordinary run.
#[cfg(target_os = "linux")]
#[test]
fn out_of_memory_is_a_clear_error_not_an_abort() {
    let run_limited = |dir: &Path| {
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v 307200 && exec '{}' check --format json --threads 1 '{}'",
                env!("CARGO_BIN_EXE_policy-lint"),
                dir.display()
            ))
            .output()
            .expect("run policy-lint")
    };
    let small = tmp();
    write(
        small.path(),
        "main.tf",
        "resource \"aws_kms_key\" \"k\" {\n  description = \"k\"\n}\n",
    );
    let out = run_limited(small.path());
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "a small run under the limit: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let big = tmp();
    // Large enough to exceed the limit although a large file's tree is never held whole.
    let mut t = String::with_capacity(15 * 1024 * 1024);
    for i in 0..160_000 {
        writeln!(
            t,
            "resource \"aws_kms_key\" \"k{i:06}\" {{\n  description = \"key {i}\"\n  enable_key_rotation = true\n}}"
        )
        .unwrap();
    }
    write(big.path(), "main.tf", t);
    let out = run_limited(big.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{:?}\n{stderr}", out.status);
    assert!(
        stderr.contains("error: policy-lint ran out of memory while ")
            && stderr.contains(&*big.path().file_name().unwrap().to_string_lossy())
            && stderr.contains("`ulimit -v`: 307200 KiB"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "no half-written output");
}

#[test]
fn huge_counts_and_ranges_are_limited() {
    let d = tmp();
    write(
        d.path(),
        "main.tf",
        r#"
locals {
  big    = range(1000000000)
  nested = [for i in range(100000) : [for j in range(100000) : i * j]]
  str    = join("", [for i in range(100000000) : "x"])
  rep    = format("%s", strrev(join("", formatlist("%s", range(1000000)))))
}

resource "aws_s3_bucket" "count" {
  count  = 1000000000
  bucket = "b-${count.index}"
}

resource "aws_s3_bucket" "each" {
  for_each = toset([for i in range(10000000) : tostring(i)])
  bucket   = each.key
}

resource "aws_s3_bucket" "neg" {
  count  = -5
  bucket = "neg"
}

resource "aws_kms_key" "k" {
  description = length(local.big)
  policy      = length(local.nested)
  tags        = { s = length(local.str), r = length(local.rep) }
}
"#,
    );
    let o = run_within(d.path(), Duration::from_secs(120));
    assert!(has(&o, "EVAL001", "main.tf"), "{}", show(&o));
}

#[test]
fn module_call_loops_and_fan_out_terminate() {
    let d = tmp();
    // a -> b -> a
    write(
        d.path(),
        "loop/a/main.tf",
        "module \"b\" {\n  source = \"../b\"\n}\n",
    );
    write(
        d.path(),
        "loop/b/main.tf",
        "module \"a\" {\n  source = \"../a\"\n}\nresource \"aws_kms_key\" \"k\" {}\n",
    );
    // a module calling itself
    write(
        d.path(),
        "self/main.tf",
        "module \"me\" {\n  source = \"./\"\n}\nmodule \"me2\" {\n  source = \"../self\"\n}\n",
    );
    // fan-out: m0 calls m1 four times, m1 calls m2 four times, ... (4^15 instances if unbounded)
    for i in 0..16 {
        let mut t = String::new();
        for k in 0..4 {
            writeln!(
                t,
                "module \"c{k}\" {{\n  source   = \"../m{}\"\n  for_each = toset([\"a\", \"b\", \"c\"])\n}}",
                i + 1
            )
            .unwrap();
        }
        t.push_str("resource \"aws_kms_key\" \"k\" {\n  description = \"x\"\n}\n");
        write(d.path(), &format!("fan/m{i}/main.tf"), t);
    }
    write(
        d.path(),
        "fan/m16/main.tf",
        "resource \"aws_kms_key\" \"k\" {}\n",
    );
    let o = run_within(d.path(), Duration::from_secs(120));
    eprintln!("{}", show(&o));
    assert!(
        o.findings.iter().any(|f| f.code == "EVAL001"),
        "{}",
        show(&o)
    );
}

// ------------------------------------------------------------------------------- bytes

#[test]
fn binary_non_utf8_nul_bom_crlf_files() {
    let d = tmp();
    let mut binary = Vec::new();
    for i in 0..70_000u32 {
        binary.extend_from_slice(&i.wrapping_mul(2_654_435_761).to_le_bytes());
    }
    write(d.path(), "binary.tf", &binary);
    write(d.path(), "binary.json", &binary);
    write(d.path(), "binary.tfvars", &binary);
    write(d.path(), "latin1.tf", b"locals {\n  a = \"caf\xe9\"\n}\n");
    write(d.path(), "nul.tf", b"locals {\n  a = \"x\0y\"\n}\n");
    write(d.path(), "nul.json", b"{\"Statement\": [\0]}");
    write(d.path(), "bom.tf", "\u{FEFF}locals {\n  bom = 1\n}\n");
    write(d.path(), "crlf.tf", "locals {\r\n  crlf = \"a\"\r\n}\r\n\r\nresource \"aws_kms_key\" \"crlf\" {\r\n  policy = <<EOF\r\n{\"Statement\": []}\r\nEOF\r\n}\r\n");
    write(
        d.path(),
        "bom_crlf.tf",
        "\u{FEFF}locals {\r\n  both = 1\r\n}\r\n",
    );
    write(
        d.path(),
        "bom.json",
        "\u{FEFF}{\"Version\": \"2012-10-17\", \"Statement\": []}\r\n",
    );
    write(d.path(), "lone_cr.tf", "locals {\r  a = 1\r}\r");
    write(d.path(), "utf16.tf", b"\xff\xfel\0o\0c\0a\0l\0s\0");
    let o = run(d.path());
    for f in [
        "binary.tf",
        "binary.tfvars",
        "latin1.tf",
        "nul.tf",
        "utf16.tf",
    ] {
        assert!(has(&o, "SYN001", f), "{f}: {}", show(&o));
    }
    for f in ["crlf.tf", "bom.json"] {
        assert!(!has(&o, "SYN001", f), "{f}: {}", show(&o));
    }
    // A binary .json file is not a policy anybody asked about: skipped, not reported.
    assert!(codes_in(&o, "binary.json").is_empty(), "{}", show(&o));
}

#[test]
fn empty_files() {
    let d = tmp();
    for f in [
        "empty.tf",
        "empty.tfvars",
        "empty.json",
        "empty.tf.json",
        "empty.tfvars.json",
        "sub/main.tf",
    ] {
        write(d.path(), f, "");
    }
    write(d.path(), "blank.tf", "\n\n   \n");
    write(d.path(), "comment.tf", "# nothing\n");
    let o = run(d.path());
    for f in [
        "empty.tf",
        "blank.tf",
        "comment.tf",
        "sub/main.tf",
        "empty.tfvars",
    ] {
        assert!(!has(&o, "SYN001", f), "{f}: {}", show(&o));
    }
}

// ------------------------------------------------------------------------------- size

#[test]
fn hundred_thousand_resources_in_one_file() {
    let d = tmp();
    let mut t = String::with_capacity(12 * 1024 * 1024);
    for i in 0..25_000 {
        writeln!(
            t,
            "resource \"aws_kms_key\" \"k{i}\" {{\n  description = \"key {i}\"\n}}\n\
             resource \"aws_kms_alias\" \"a{i}\" {{\n  name          = \"alias/k{i}\"\n  target_key_id = aws_kms_key.k{i}.key_id\n}}\n\
             resource \"aws_s3_bucket\" \"b{i}\" {{\n  bucket = \"bucket-{i}\"\n}}\n\
             resource \"aws_s3_bucket_server_side_encryption_configuration\" \"e{i}\" {{\n  bucket = aws_s3_bucket.b{i}.id\n  rule {{\n    apply_server_side_encryption_by_default {{\n      sse_algorithm     = \"aws:kms\"\n      kms_master_key_id = aws_kms_key.k{i}.arn\n    }}\n  }}\n}}"
        )
        .unwrap();
    }
    write(d.path(), "main.tf", t);
    let t0 = Instant::now();
    let o = run_within(d.path(), Duration::from_secs(90));
    eprintln!(
        "100k resources: {:?}, {} findings",
        t0.elapsed(),
        o.findings.len()
    );
    assert!(!has(&o, "SYN001", "main.tf"), "{}", show(&o));
}

#[test]
fn heredoc_of_several_megabytes() {
    let d = tmp();
    let mut stmts = Vec::new();
    for i in 0..20_000 {
        stmts.push(format!(
            "{{\"Sid\": \"S{i}\", \"Effect\": \"Allow\", \"Principal\": {{\"AWS\": \"arn:aws:iam::111122223333:role/r{i}\"}}, \"Action\": [\"kms:Decrypt\", \"kms:Encrypt\"], \"Resource\": \"*\"}}"
        ));
    }
    let doc = format!(
        "{{\n\"Version\": \"2012-10-17\",\n\"Statement\": [\n{}\n]}}",
        stmts.join(",\n")
    );
    assert!(doc.len() > 3_000_000);
    write(
        d.path(),
        "main.tf",
        format!("resource \"aws_kms_key\" \"big\" {{\n  policy = <<-EOF\n{doc}\n  EOF\n}}\n\nlocals {{\n  plain = <<EOT\n{}\nEOT\n}}\n", "line of text\n".repeat(300_000)),
    );
    write(d.path(), "big.json", &doc);
    let o = run_within(d.path(), Duration::from_secs(90));
    assert!(!has(&o, "SYN001", "main.tf"), "{}", show(&o));
}

#[test]
fn thousands_of_files() {
    let d = tmp();
    for i in 0..1500 {
        write(
            d.path(),
            &format!("mods/m{i:04}/main.tf"),
            format!("module \"k\" {{\n  source = \"../../shared\"\n  name   = \"k{i}\"\n}}\nresource \"aws_s3_bucket\" \"b\" {{\n  bucket = \"b{i}\"\n}}\n"),
        );
        write(
            d.path(),
            &format!("mods/m{i:04}/terraform.tfvars"),
            format!("x = {i}\n"),
        );
        write(
            d.path(),
            &format!("mods/m{i:04}/key.json"),
            "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"*\"}, \"Action\": \"kms:*\", \"Resource\": \"*\"}]}",
        );
    }
    write(
        d.path(),
        "common/main.tf",
        "variable \"name\" {}\nresource \"aws_kms_key\" \"k\" {\n  description = var.name\n}\n",
    );
    let o = run_within(d.path(), Duration::from_secs(90));
    assert!(o.files_checked >= 4500, "{}", o.files_checked);
}

// ------------------------------------------------------------------------------- the file system

#[cfg(unix)]
#[test]
fn symlink_loops_and_special_files() {
    let d = tmp();
    write(
        d.path(),
        "main.tf",
        "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b\"\n}\n",
    );
    std::os::unix::fs::symlink(d.path(), d.path().join("loop")).unwrap();
    std::os::unix::fs::symlink(".", d.path().join("dot")).unwrap();
    std::fs::create_dir(d.path().join("sub")).unwrap();
    std::os::unix::fs::symlink("..", d.path().join("sub/up")).unwrap();
    std::os::unix::fs::symlink("self.tf", d.path().join("self.tf")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.path().join("zero.tf")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", d.path().join("zero.json")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/x.tf", d.path().join("dangling.tf")).unwrap();
    let fifo = d.path().join("fifo.tf");
    let _ = Command::new("mkfifo").arg(&fifo).status();
    let o = run_within(d.path(), Duration::from_secs(30));
    assert!(o.files_checked >= 1);
}

#[cfg(unix)]
#[test]
fn file_and_templatefile_outside_the_tree_special_or_self() {
    let d = tmp();
    let _ = Command::new("mkfifo")
        .arg(d.path().join("fifo.json"))
        .status();
    std::os::unix::fs::symlink("/dev/zero", d.path().join("zero.txt")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", d.path().join("passwd.txt")).unwrap();
    write(d.path(), "blob.bin", [0u8, 159, 146, 150]);
    write(
        d.path(),
        "main.tf",
        r#"
resource "aws_kms_key" "outside" { policy = file("/etc/passwd") }
resource "aws_kms_key" "dotdot" { policy = file("${path.module}/../../../../../etc/hostname") }
resource "aws_kms_key" "zero" { policy = file("/dev/zero") }
resource "aws_kms_key" "zero_link" { policy = file("${path.module}/zero.txt") }
resource "aws_kms_key" "passwd_link" { policy = file("${path.module}/passwd.txt") }
resource "aws_kms_key" "urandom" { policy = templatefile("/dev/urandom", {}) }
resource "aws_kms_key" "fifo" { policy = file("${path.module}/fifo.json") }
resource "aws_kms_key" "itself" { policy = file("${path.module}/main.tf") }
resource "aws_kms_key" "tpl_itself" { policy = templatefile("${path.module}/main.tf", {}) }
resource "aws_kms_key" "dir" { policy = file(path.module) }
resource "aws_kms_key" "binary" { policy = file("${path.module}/blob.bin") }
resource "aws_kms_key" "missing" { policy = file("${path.module}/missing.json") }
resource "aws_kms_key" "proc" { policy = file("/proc/self/status") }
"#,
    );
    let o = run_within(d.path(), Duration::from_secs(30));
    assert!(has(&o, "EVAL001", "main.tf"), "{}", show(&o));
    // Nothing outside the tree was read.
    for f in o.sources.all() {
        assert!(
            f.path.starts_with(std::fs::canonicalize(d.path()).unwrap()),
            "read {}",
            f.path.display()
        );
    }
}

// ------------------------------------------------------------------------------- determinism

fn write_corpus(dir: &Path) {
    for i in 0..40 {
        write(
            dir,
            &format!("ws{i:02}/main.tf"),
            format!(
                r#"
module "cmk" {{
  source = "../modules/cmk"
  alias  = "ws{i}"
}}

resource "aws_kms_key" "inline" {{
  policy = jsonencode({{
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ AWS = "*" }}
      Action    = "kms:*"
      Resource  = "*"
    }}]
  }})
}}

resource "databricks_account_network_policy" "egress" {{
  network_policy_id = "p{i}"
  egress = {{
    network_access = {{
      restriction_mode = "RESTRICTED_ACCESS"
      allowed_internet_destinations = [{{ destination = "*.example.com", internet_destination_type = "DNS_NAME" }}]
      policy_enforcement = {{ enforcement_mode = "MONITOR_ONLY" }}
    }}
  }}
}}

locals {{
  a = local.b
  b = local.a
}}
"#
            ),
        );
        write(
            dir,
            &format!("ws{i:02}/key.json"),
            "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"kms:*\", \"Resource\": \"*\"}]}",
        );
        if i % 5 == 0 {
            write(dir, &format!("ws{i:02}/broken.tf"), "resource \"x\" {\n");
        }
    }
    write(
        dir,
        "modules/cmk/main.tf",
        r#"
variable "alias" {}
data "aws_iam_policy_document" "p" {
  statement {
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
  }
}
resource "aws_kms_key" "k" {
  description = var.alias
  policy      = data.aws_iam_policy_document.p.json
}
"#,
    );
}

#[test]
fn output_is_identical_across_thread_counts_and_runs() {
    let d = tmp();
    write_corpus(d.path());
    let bin = env!("CARGO_BIN_EXE_policy-lint");
    for format in ["json", "sarif"] {
        let mut outputs = Vec::new();
        for threads in ["1", "2", "1", "2"] {
            let out = Command::new(bin)
                .current_dir(d.path())
                .args(["check", ".", "--format", format, "--threads", threads])
                .output()
                .expect("run policy-lint");
            assert!(
                out.status.code() == Some(0) || out.status.code() == Some(1),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!out.stdout.is_empty());
            outputs.push(out.stdout);
        }
        for (i, o) in outputs.iter().enumerate().skip(1) {
            assert!(
                o == &outputs[0],
                "{format} output of run {i} differs from run 0"
            );
        }
    }
}

/// Found by the `hcl_eval` fuzz target: hcl-edit can report a syntax error at an offset inside a
/// multi-byte character (`_ eé` → offset 4, inside `é`), and taking the highlighted character
/// there panicked.
#[test]
fn syntax_errors_next_to_multi_byte_characters() {
    let d = tmp();
    let cases: [(&str, &str); 6] = [
        ("fuzz.tf", "_ eé"),
        ("fuzz2.tf", "_ é"),
        ("arrow.tf", "locals {\n  a → 1\n}\n"),
        ("emoji.tf", "resource \"aws_kms_key\" \"k\" {\n  x 🔑\n}\n"),
        ("vars.tfvars", "a eé"),
        ("policy.json", "{\"Statement\": [é]}"),
    ];
    for (name, text) in cases {
        write(d.path(), name, text);
    }
    let o = run(d.path());
    for (name, _) in cases.iter().filter(|(n, _)| !n.ends_with(".json")) {
        assert!(has(&o, "SYN001", name), "{name}: {}", show(&o));
    }
    // Columns count characters, like the rendered snippet: `é` starts column 4.
    assert!(
        findings(&o).iter().any(|(c, file, m)| c == "SYN001"
            && file.ends_with("fuzz.tf")
            && m.contains("line 1, column 4:")),
        "{}",
        show(&o)
    );
    for f in &o.findings {
        let text = &o.sources.get(f.loc.file).text;
        assert!(
            text.is_char_boundary(f.loc.start as usize)
                && text.is_char_boundary(f.loc.end as usize),
            "{}: {:?}",
            f.code,
            f.loc
        );
    }
}
