//! Evaluation: the values Terraform would compute, with unknowns that say why.

use policy_lint::discover::{self, Filter};
use policy_lint::engine::load;
use policy_lint::eval::{evaluate_unit, EvalOptions, Unit};
use policy_lint::value::{Kind, Reason, Value};
use std::path::Path;

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

fn eval_with(
    files: &[(&str, &str)],
    opts: EvalOptions,
) -> (Unit, std::sync::Arc<policy_lint::source::SourceMap>) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), files);
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let found = discover::discover(std::slice::from_ref(&root), &root, &Filter::default()).unwrap();
    let loaded = load::load(&found, &root, vec![root.clone()]);
    let unit = evaluate_unit(&loaded.loader, &opts, &loaded.units[0]);
    (unit, loaded.sources.clone())
}

fn eval(files: &[(&str, &str)]) -> Unit {
    eval_with(files, EvalOptions::default()).0
}

fn attr<'a>(u: &'a Unit, address: &str, name: &str) -> &'a Value {
    let r = u
        .resources
        .iter()
        .find(|r| r.full_address() == address)
        .unwrap_or_else(|| {
            panic!(
                "no {address} in {:?}",
                u.resources
                    .iter()
                    .map(|r| r.full_address())
                    .collect::<Vec<_>>()
            )
        });
    r.attr(name)
        .unwrap_or_else(|| panic!("no {name} in {address}: {:?}", r.body))
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v:?}"))
}

#[test]
fn variables_locals_templates_and_functions() {
    let u = eval(&[(
        "main.tf",
        r#"
variable "acct" { default = "414351767826" }
variable "partition" { default = "aws" }
locals {
  principal = "arn:${var.partition}:iam::${local.account}:root"
  account   = var.acct
  names     = [for n in ["a", "b"] : upper(n) if n != "c"]
  joined    = join(",", local.names)
}
resource "x" "y" {
  p = local.principal
  j = local.joined
  n = length(local.names) + 1
  c = var.acct == "414351767826" ? "yes" : "no"
}
"#,
    )]);
    assert_eq!(s(attr(&u, "x.y", "p")), "arn:aws:iam::414351767826:root");
    assert_eq!(s(attr(&u, "x.y", "j")), "A,B");
    assert_eq!(attr(&u, "x.y", "n").as_number(), Some(3.0));
    assert_eq!(s(attr(&u, "x.y", "c")), "yes");
}

#[test]
fn tfvars_precedence_and_tf_var() {
    let files = [
        ("main.tf", "variable \"a\" {}\nvariable \"b\" {}\nvariable \"c\" {}\nvariable \"d\" { default = \"def\" }\nresource \"x\" \"y\" {\n  a = var.a\n  b = var.b\n  c = var.c\n  d = var.d\n}\n"),
        ("terraform.tfvars", "a = \"tfvars\"\nb = \"tfvars\"\n"),
        ("b.auto.tfvars", "b = \"auto\"\n"),
        ("cli.tfvars", "c = \"varfile\"\n"),
    ];
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &files);
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let opts = EvalOptions {
        env_vars: vec![("a".into(), "env".into()), ("c".into(), "env".into())],
        var_files: vec![root.join("cli.tfvars")],
        ..EvalOptions::default()
    };
    let found = discover::discover(std::slice::from_ref(&root), &root, &Filter::default()).unwrap();
    let loaded = load::load(&found, &root, vec![root.clone()]);
    let u = evaluate_unit(&loaded.loader, &opts, &loaded.units[0]);
    assert_eq!(s(attr(&u, "x.y", "a")), "tfvars"); // tfvars beats TF_VAR_
    assert_eq!(s(attr(&u, "x.y", "b")), "auto"); // *.auto.tfvars beats terraform.tfvars
    assert_eq!(s(attr(&u, "x.y", "c")), "varfile"); // --var-file beats TF_VAR_
    assert_eq!(s(attr(&u, "x.y", "d")), "def");
    // The value remembers the tfvars line it came from.
    let a = attr(&u, "x.y", "a");
    let loc = a.loc().unwrap();
    let f = loaded.sources.get(loc.file);
    assert!(f.display.ends_with("terraform.tfvars"), "{}", f.display);
}

#[test]
fn unset_variable_is_unknown_naming_it() {
    let u = eval(&[(
        "main.tf",
        "variable \"acct\" {}\nresource \"x\" \"y\" { p = \"arn:aws:iam::${var.acct}:root\" }\n",
    )]);
    let p = attr(&u, "x.y", "p");
    match &p.kind {
        Kind::Partial(_) => {}
        other => panic!("expected a partial string, got {other:?}"),
    }
    let frags = p.known_fragments().unwrap();
    assert_eq!(
        frags,
        vec!["arn:aws:iam::".to_string(), ":root".to_string()]
    );
    let u0 = p.first_unknown().unwrap();
    assert!(matches!(&u0.reason, Reason::Variable { name } if name == "acct"));
    assert!(u0.reason.to_string().contains("TF_VAR_acct"));
}

#[test]
fn count_for_each_and_references() {
    let u = eval(&[(
        "main.tf",
        r#"
resource "aws_kms_key" "k" {
  count = 0
}
resource "aws_kms_key" "real" {}
resource "x" "e" {
  for_each = toset(["a", "b"])
  name     = "n-${each.key}"
  key      = aws_kms_key.real.arn
}
"#,
    )]);
    assert!(!u.resources.iter().any(|r| r.address() == "aws_kms_key.k"));
    assert_eq!(s(attr(&u, "x.e[\"a\"]", "name")), "n-a");
    let key = attr(&u, "x.e[\"b\"]", "key");
    let r = key.reference().expect("a reference");
    assert_eq!(r.address, "aws_kms_key.real");
    assert_eq!(r.attr, "arn");
}

#[test]
fn modules_pass_inputs_and_outputs() {
    let u = eval(&[
        (
            "main.tf",
            "module \"m\" {\n  source = \"./mod\"\n  name = \"hello\"\n}\nresource \"x\" \"y\" {\n  v = module.m.out\n  k = module.m.key\n}\n",
        ),
        (
            "mod/main.tf",
            "variable \"name\" {}\nresource \"aws_kms_key\" \"k\" {}\noutput \"out\" { value = upper(var.name) }\noutput \"key\" { value = aws_kms_key.k.arn }\n",
        ),
    ]);
    assert_eq!(s(attr(&u, "x.y", "v")), "HELLO");
    let r = attr(&u, "x.y", "k").reference().expect("reference").clone();
    assert_eq!(r.address, "module.m.aws_kms_key.k");
    assert!(u
        .resources
        .iter()
        .any(|r| r.address() == "module.m.aws_kms_key.k"));
}

#[test]
fn policy_document_renders_like_the_provider() {
    let u = eval(&[(
        "main.tf",
        r#"
data "aws_iam_policy_document" "p" {
  statement {
    sid     = "A"
    actions = ["kms:Encrypt"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::414351767826:root"]
    }
    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = [true]
    }
  }
}
resource "aws_kms_key" "k" { policy = data.aws_iam_policy_document.p.json }
"#,
    )]);
    let pol = attr(&u, "aws_kms_key.k", "policy");
    let doc = u.decode_json(pol).expect("decodes");
    let st = &doc.get("Statement").unwrap().as_list().unwrap()[0];
    assert_eq!(s(st.get("Effect").unwrap()), "Allow");
    assert_eq!(s(st.get("Action").unwrap()), "kms:Encrypt");
    assert_eq!(
        s(st.get("Principal").unwrap().get("AWS").unwrap()),
        "arn:aws:iam::414351767826:root"
    );
    assert!(st.get("Condition").unwrap().get("Bool").is_some());
}

#[test]
fn heredoc_json_points_into_the_tf_file() {
    let (u, sources) = eval_with(
        &[(
            "main.tf",
            "resource \"aws_kms_key\" \"k\" {\n  policy = <<EOF\n{\n  \"Statement\": [{\"Effect\": \"Allow\"}]\n}\nEOF\n}\n",
        )],
        EvalOptions::default(),
    );
    let pol = attr(&u, "aws_kms_key.k", "policy");
    let doc = u.decode_json(pol).expect("decodes");
    let eff = doc.get("Statement").unwrap().as_list().unwrap()[0]
        .get("Effect")
        .unwrap();
    let loc = eff.loc().unwrap();
    let f = sources.get(loc.file);
    assert_eq!(f.line_col(loc.start).line, 4);
    assert_eq!(&f.text[loc.range()], "\"Allow\"");
}

#[test]
fn cyclic_locals_terminate_with_eval001() {
    let u = eval(&[(
        "main.tf",
        "locals {\n  a = local.b\n  b = local.a\n}\nresource \"x\" \"y\" { v = local.a }\n",
    )]);
    assert!(!attr(&u, "x.y", "v").is_known());
    assert!(u.diags.iter().any(|d| d.code == "EVAL001"));
}

#[test]
fn file_outside_the_tree_is_not_read() {
    let u = eval(&[(
        "main.tf",
        "resource \"x\" \"y\" { v = file(\"/etc/passwd\") }\n",
    )]);
    let v = attr(&u, "x.y", "v");
    let r = v.first_unknown().unwrap();
    assert!(
        r.reason.to_string().contains("outside the scanned tree"),
        "{}",
        r.reason
    );
}

#[test]
fn templatefile_renders_with_locations() {
    let u = eval(&[
        ("main.tf", "resource \"aws_kms_key\" \"k\" { policy = templatefile(\"${path.module}/p.json.tftpl\", { acct = \"414351767826\" }) }\n"),
        ("p.json.tftpl", "{\n  \"Statement\": [{\"Principal\": {\"AWS\": \"arn:aws:iam::${acct}:root\"}}]\n}\n"),
    ]);
    let pol = attr(&u, "aws_kms_key.k", "policy");
    let doc = u.decode_json(pol).expect("decodes");
    let p = doc.get("Statement").unwrap().as_list().unwrap()[0]
        .get("Principal")
        .unwrap()
        .get("AWS")
        .unwrap();
    assert_eq!(s(p), "arn:aws:iam::414351767826:root");
}

#[test]
fn json_syntax_evaluates_like_native_syntax() {
    let (u, sources) = eval_with(
        &[
            (
                "main.tf.json",
                r#"{
  "//": "comments are ignored",
  "variable": {
    "n": {"type": "number", "default": 2},
    "raw": {"type": "string", "default": "${not_a_template}"},
    "strict": {"type": "string", "default": "d", "nullable": false}
  },
  "locals": {
    "//": "not a local",
    "k": "kk",
    "obj": {"//": "kept: an object value is not a block body", "${local.k}": 1},
    "escapes": "a\"b\u0041\/$${x}\\"
  },
  "provider": {
    "aws": [{"region": "us-east-1"}, {"alias": "west", "region": "us-west-2"}]
  },
  "module": {
    "m": {"source": "./mod", "strict": null, "name": "${upper(\"hello\")}"}
  },
  "resource": {
    "x": {
      "counted": {"count": "${var.n}", "i": "${count.index}", "n": "${var.n}", "s": "p-${var.n}"},
      "each": {"for_each": {"a": 1, "b": 2}, "v": "${each.value}"},
      "values": {
        "provider": "aws.west",
        "raw": "${var.raw}",
        "obj": "${local.obj}",
        "escapes": "${local.escapes}",
        "from_module": "${module.m.out}",
        "strict": "${module.m.strict}",
        "lifecycle": {"ignore_changes": ["tags"]}
      }
    }
  },
  "data": {
    "aws_iam_policy_document": {
      "p": {
        "statement": {
          "sid": "One",
          "actions": ["kms:Encrypt"],
          "principals": {"type": "AWS", "identifiers": ["arn:aws:iam::414351767826:root"]}
        },
        "dynamic": {
          "statement": {
            "for_each": ["kms:Decrypt", "kms:DescribeKey"],
            "iterator": "a",
            "content": {"sid": "${replace(a.value, \":\", \"\")}", "actions": ["${a.value}"]}
          }
        }
      }
    }
  }
}"#,
            ),
            (
                "mod/main.tf.json",
                r#"{"variable": {"name": {}, "strict": {"default": "fallback", "nullable": false}},
                    "output": {"out": {"value": "${lower(var.name)}"}, "strict": {"value": "${var.strict}"}}}"#,
            ),
        ],
        EvalOptions::default(),
    );
    assert!(u.diags.is_empty(), "{:?}", u.diags);
    // `count` from a variable, `count.index`, a single interpolation keeps its type.
    assert_eq!(attr(&u, "x.counted[1]", "i").as_number(), Some(1.0));
    assert_eq!(attr(&u, "x.counted[0]", "n").as_number(), Some(2.0));
    assert_eq!(s(attr(&u, "x.counted[0]", "s")), "p-2");
    assert!(!u
        .resources
        .iter()
        .any(|r| r.full_address() == "x.counted[2]"));
    assert_eq!(attr(&u, "x.each[\"b\"]", "v").as_number(), Some(2.0));
    // A variable's default is a literal value; "//" is a comment only in bodies.
    assert_eq!(s(attr(&u, "x.values", "raw")), "${not_a_template}");
    let obj = attr(&u, "x.values", "obj").as_object().expect("object");
    assert_eq!(obj.keys().collect::<Vec<_>>(), ["//", "kk"]);
    assert_eq!(s(attr(&u, "x.values", "escapes")), "a\"bA/${x}\\");
    assert_eq!(s(attr(&u, "x.values", "from_module")), "hello");
    assert_eq!(s(attr(&u, "x.values", "strict")), "fallback");
    let values = u
        .resources
        .iter()
        .find(|r| r.full_address() == "x.values")
        .unwrap();
    assert_eq!(values.provider.as_deref(), Some("aws.west"));
    assert!(values.attr("lifecycle").is_none());
    assert_eq!(u.aws_regions.len(), 2);
    assert_eq!(
        u.aws_regions
            .iter()
            .find(|(a, _)| a.as_deref() == Some("west"))
            .map(|(_, v)| s(v)),
        Some("us-west-2")
    );
    // The policy document: a statement written as one object, two from a dynamic block.
    let doc = u
        .resources
        .iter()
        .find(|r| r.full_address() == "data.aws_iam_policy_document.p")
        .unwrap();
    let rendered = u.decode_json(doc.attr("json").unwrap()).expect("decodes");
    let sids: Vec<&str> = rendered
        .get("Statement")
        .unwrap()
        .as_list()
        .unwrap()
        .iter()
        .map(|st| s(st.get("Sid").unwrap()))
        .collect();
    assert_eq!(sids, ["One", "kmsDecrypt", "kmsDescribeKey"]);
    // Locations are in the native form until findings are resolved into the JSON file.
    let text_at = |v: &Value| {
        let r = sources.resolve(v.loc().unwrap());
        let f = sources.get(r.file);
        assert!(f.display.ends_with("main.tf.json"), "{}", f.display);
        f.text[r.range()].to_string()
    };
    assert_eq!(
        text_at(attr(&u, "x.values", "raw")),
        "\"${not_a_template}\""
    );
    assert_eq!(text_at(attr(&u, "x.counted[1]", "i")), "count.index");
    assert_eq!(
        text_at(attr(&u, "x.values", "escapes")),
        r#""a\"b\u0041\/$${x}\\""#
    );
}
