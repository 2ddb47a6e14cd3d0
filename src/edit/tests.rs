use super::*;

fn s(x: &str) -> Element {
    Element::Str(x.to_string())
}

fn dns(x: &str) -> Element {
    Element::object_of_strings(&[
        ("destination", x),
        ("internet_destination_type", "DNS_NAME"),
    ])
}

/// Appends `elements` to the array that is the value of top-level attribute `attr`.
fn append_to_attribute(text: &str, syntax: Syntax, attr: &str, elements: &[Element]) -> String {
    let doc = Document::parse(text, syntax).expect("parses");
    let span = doc.attribute(attr).expect("attribute");
    let array = doc.array_at(span).expect("an array").clone();
    let edits = doc.insert_elements(&array, elements).expect("edits");
    apply_checked(text, syntax, &edits).expect("still parses")
}

#[test]
fn tfvars_list_keeps_comments_and_trailing_commas() {
    let text = "# Rollout: still in log-only mode.\nenforcement_mode = \"DRY_RUN\"\n\nallowed_destinations = [\n  \"pypi.org\", # Python packages\n  # mirrors\n  \"files.pythonhosted.org\", // wheels\n]\n";
    let out = append_to_attribute(
        text,
        Syntax::Hcl,
        "allowed_destinations",
        &[s("github.com"), s("api.github.com")],
    );
    assert_eq!(
        out,
        "# Rollout: still in log-only mode.\nenforcement_mode = \"DRY_RUN\"\n\nallowed_destinations = [\n  \"pypi.org\", # Python packages\n  # mirrors\n  \"files.pythonhosted.org\", // wheels\n  \"github.com\",\n  \"api.github.com\",\n]\n"
    );
}

#[test]
fn variable_default_without_trailing_comma() {
    let text = "variable \"mirrors\" {\n  type = list(string)\n  default = [\n    \"pypi.org\",\n    \"files.pythonhosted.org\"\n  ]\n}\n";
    let doc = Document::parse(text, Syntax::Hcl).unwrap();
    let span = doc.variable_default("mirrors").unwrap();
    let array = doc.array_at(span).unwrap().clone();
    let out = apply_checked(
        text,
        Syntax::Hcl,
        &doc.insert_elements(&array, &[s("github.com")]).unwrap(),
    )
    .unwrap();
    assert_eq!(
        out,
        "variable \"mirrors\" {\n  type = list(string)\n  default = [\n    \"pypi.org\",\n    \"files.pythonhosted.org\",\n    \"github.com\"\n  ]\n}\n"
    );
}

#[test]
fn literal_list_of_one_line_objects() {
    let text = "resource \"x\" \"y\" {\n  list = [\n    { destination = \"pypi.org\", internet_destination_type = \"DNS_NAME\" },\n  ]\n}\n";
    let doc = Document::parse(text, Syntax::Hcl).unwrap();
    // The array that holds the first object.
    let first = doc.arrays[0].elements[0].clone();
    let array = doc.array_holding(first).unwrap().clone();
    let out = apply_checked(
        text,
        Syntax::Hcl,
        &doc.insert_elements(&array, &[dns("github.com")]).unwrap(),
    )
    .unwrap();
    assert_eq!(
        out,
        "resource \"x\" \"y\" {\n  list = [\n    { destination = \"pypi.org\", internet_destination_type = \"DNS_NAME\" },\n    { destination = \"github.com\", internet_destination_type = \"DNS_NAME\" },\n  ]\n}\n"
    );
}

#[test]
fn literal_list_of_multi_line_objects() {
    let text = "list = [\n  {\n    destination = \"pypi.org\"\n    internet_destination_type = \"DNS_NAME\"\n  }\n]\n";
    let out = append_to_attribute(text, Syntax::Hcl, "list", &[dns("github.com")]);
    assert_eq!(
        out,
        "list = [\n  {\n    destination = \"pypi.org\"\n    internet_destination_type = \"DNS_NAME\"\n  },\n  {\n    destination               = \"github.com\"\n    internet_destination_type = \"DNS_NAME\"\n  }\n]\n"
    );
}

#[test]
fn empty_arrays() {
    assert_eq!(
        append_to_attribute("a = []\n", Syntax::Hcl, "a", &[s("x.org"), s("y.org")]),
        "a = [\"x.org\", \"y.org\"]\n"
    );
    // Nothing to insert: no edit.
    let doc = Document::parse("a = []\n", Syntax::Hcl).unwrap();
    let array = doc.array_at(doc.attribute("a").unwrap()).unwrap().clone();
    assert!(doc.insert_elements(&array, &[]).unwrap().is_empty());
}

#[test]
fn empty_array_of_objects_becomes_one_object_per_line() {
    let text = "resource \"a\" \"b\" {\n  egress = {\n    list = []\n  }\n}\n";
    let doc = Document::parse(text, Syntax::Hcl).unwrap();
    let array = doc.arrays[0].clone();
    let out = apply_checked(
        text,
        Syntax::Hcl,
        &doc.insert_elements(&array, &[dns("pypi.org")]).unwrap(),
    )
    .unwrap();
    assert_eq!(
        out,
        "resource \"a\" \"b\" {\n  egress = {\n    list = [\n      { destination = \"pypi.org\", internet_destination_type = \"DNS_NAME\" },\n    ]\n  }\n}\n"
    );
}

#[test]
fn empty_multi_line_array_keeps_its_comment() {
    let text = "a = [\n  # nothing yet\n]\n";
    assert_eq!(
        append_to_attribute(text, Syntax::Hcl, "a", &[s("x.org")]),
        "a = [\n  # nothing yet\n  \"x.org\",\n]\n"
    );
}

#[test]
fn one_line_arrays_stay_on_one_line() {
    assert_eq!(
        append_to_attribute(
            "a = [\"x.org\", \"y.org\"] # keep\n",
            Syntax::Hcl,
            "a",
            &[s("z.org")]
        ),
        "a = [\"x.org\", \"y.org\", \"z.org\"] # keep\n"
    );
    assert_eq!(
        append_to_attribute("a = [\"x.org\",]\n", Syntax::Hcl, "a", &[s("z.org")]),
        "a = [\"x.org\", \"z.org\",]\n"
    );
}

#[test]
fn crlf_and_tabs_are_kept() {
    let text = "a = [\r\n\t\"x.org\",\r\n]\r\n";
    assert_eq!(
        append_to_attribute(text, Syntax::Hcl, "a", &[s("z.org")]),
        "a = [\r\n\t\"x.org\",\r\n\t\"z.org\",\r\n]\r\n"
    );
}

#[test]
fn strings_are_escaped() {
    assert_eq!(
        append_to_attribute("a = []\n", Syntax::Hcl, "a", &[s("a\"b${c}\\")]),
        "a = [\"a\\\"b$${c}\\\\\"]\n"
    );
}

#[test]
fn json_arrays() {
    let text = "{\n  \"allowed_destinations\": [\n    \"pypi.org\"\n  ],\n  \"other\": 1\n}\n";
    assert_eq!(
        append_to_attribute(text, Syntax::Json, "allowed_destinations", &[s("x.org"), s("y.org")]),
        "{\n  \"allowed_destinations\": [\n    \"pypi.org\",\n    \"x.org\",\n    \"y.org\"\n  ],\n  \"other\": 1\n}\n"
    );
    assert_eq!(
        append_to_attribute("{\"a\": []}", Syntax::Json, "a", &[s("x.org")]),
        "{\"a\": [\"x.org\"]}"
    );
    assert_eq!(
        append_to_attribute(
            "{\"a\": [\n]}",
            Syntax::Json,
            "a",
            &[s("x.org"), s("y.org")]
        ),
        "{\"a\": [\n  \"x.org\",\n  \"y.org\"\n]}"
    );
    assert_eq!(
        append_to_attribute(
            "{\"a\": [{\"destination\": \"p.org\"}]}",
            Syntax::Json,
            "a",
            &[Element::object_of_strings(&[("destination", "x.org")])]
        ),
        "{\"a\": [{\"destination\": \"p.org\"}, {\"destination\": \"x.org\"}]}"
    );
}

#[test]
fn attribute_into_a_multi_line_object() {
    let text = "resource \"a\" \"b\" {\n  egress = {\n    network_access = {\n      restriction_mode = \"RESTRICTED_ACCESS\" # deny by default\n      policy_enforcement = {\n        enforcement_mode = \"DRY_RUN\"\n      }\n    }\n  }\n}\n";
    let doc = Document::parse(text, Syntax::Hcl).unwrap();
    let na = doc
        .objects
        .iter()
        .find(|o| o.attributes.iter().any(|(k, _)| k == "restriction_mode"))
        .unwrap()
        .clone();
    let edits = doc
        .insert_attribute(
            &na,
            "allowed_internet_destinations",
            &Element::Array(vec![dns("pypi.org")]),
        )
        .unwrap();
    assert_eq!(
        apply_checked(text, Syntax::Hcl, &edits).unwrap(),
        "resource \"a\" \"b\" {\n  egress = {\n    network_access = {\n      restriction_mode = \"RESTRICTED_ACCESS\" # deny by default\n      policy_enforcement = {\n        enforcement_mode = \"DRY_RUN\"\n      }\n      allowed_internet_destinations = [\n        { destination = \"pypi.org\", internet_destination_type = \"DNS_NAME\" },\n      ]\n    }\n  }\n}\n"
    );
    // A key that is already there is refused.
    assert!(doc
        .insert_attribute(&na, "restriction_mode", &s("x"))
        .is_err());
}

#[test]
fn attribute_into_a_block_and_an_empty_object() {
    let text = "network_access {\n  restriction_mode = \"RESTRICTED_ACCESS\"\n}\nx = {}\n";
    let doc = Document::parse(text, Syntax::Hcl).unwrap();
    let block = doc
        .objects
        .iter()
        .find(|o| o.span.start == 0)
        .unwrap()
        .clone();
    let edits = doc.insert_attribute(&block, "a", &s("1")).unwrap();
    assert_eq!(
        apply(text, &edits).unwrap(),
        "network_access {\n  restriction_mode = \"RESTRICTED_ACCESS\"\n  a = \"1\"\n}\nx = {}\n"
    );
    let empty = doc.object_at(doc.attribute("x").unwrap()).unwrap().clone();
    let edits = doc.insert_attribute(&empty, "b", &s("2")).unwrap();
    assert_eq!(
        apply_checked(text, Syntax::Hcl, &edits).unwrap(),
        "network_access {\n  restriction_mode = \"RESTRICTED_ACCESS\"\n}\nx = {\n  b = \"2\"\n}\n"
    );
}

#[test]
fn replacing_exact_spans_and_refusing_bad_edits() {
    let text = "a = \"x\" # keep\nb = 1\n";
    let doc = Document::parse(text, Syntax::Hcl).unwrap();
    let r = doc.attribute("a").unwrap();
    assert_eq!(&text[r.clone()], "\"x\"");
    assert_eq!(
        apply_checked(text, Syntax::Hcl, &[Edit::replace(r.clone(), "\"y\"")]).unwrap(),
        "a = \"y\" # keep\nb = 1\n"
    );
    // Overlapping edits, edits outside the text, and a result that no longer parses.
    assert!(apply(text, &[Edit::replace(0..3, "x"), Edit::replace(2..4, "y")]).is_err());
    assert!(apply(text, &[Edit::insert(999, "x")]).is_err());
    assert!(apply_checked(text, Syntax::Hcl, &[Edit::replace(r, "[")]).is_err());
    // Nothing is located in a file that does not parse.
    assert!(Document::parse("a = [", Syntax::Hcl).is_err());
    assert!(Document::parse("{\"a\": ", Syntax::Json).is_err());
}

#[test]
fn arrays_are_found_by_their_elements() {
    let text = "x = {\n  d = [\"a.org\", \"b.org\"]\n}\n";
    let doc = Document::parse(text, Syntax::Hcl).unwrap();
    let b = text.find("\"b.org\"").unwrap();
    let array = doc.array_holding(b..b + 7).unwrap();
    assert_eq!(&text[array.span.clone()], "[\"a.org\", \"b.org\"]");
    assert!(doc.array_holding(b..b + 6).is_none());
    assert_eq!(
        Syntax::of_path(Path::new("terraform.tfvars.json")),
        Syntax::Json
    );
    assert_eq!(Syntax::of_path(Path::new("main.tf")), Syntax::Hcl);
}

#[test]
fn new_attribute_follows_the_alignment_and_elements_are_removed() {
    let text = "resource \"a\" \"b\" {\n  description = \"x\"\n  policy      = \"y\"\n}\n";
    let doc = Document::parse(text, Syntax::Hcl).unwrap();
    let block = doc.object_starting_at(0).unwrap().clone();
    let edits = doc
        .insert_attribute(&block, "rotate", &Element::Raw("true".into()))
        .unwrap();
    assert_eq!(
        apply_checked(text, Syntax::Hcl, &edits).unwrap(),
        "resource \"a\" \"b\" {\n  description = \"x\"\n  policy      = \"y\"\n  rotate      = true\n}\n"
    );
    // Removing the middle, the last and (refused) the only element; a comment next to the
    // element is not guessed at.
    let text = "l = [\n  \"a\",\n  \"b\",\n  \"c\",\n]\nm = [\"x\", \"y\"]\nn = [\"z\"]\no = [\n  \"p\", # keep\n  \"q\",\n]\n";
    let doc = Document::parse(text, Syntax::Hcl).unwrap();
    let l = doc.array_at(doc.attribute("l").unwrap()).unwrap().clone();
    let e = doc.remove_element(&l, 1).unwrap();
    assert_eq!(apply(text, &e).unwrap(), text.replace("  \"b\",\n", ""));
    let e = doc.remove_element(&l, 2).unwrap();
    assert_eq!(
        apply(text, &e).unwrap(),
        text.replace(",\n  \"c\",\n", ",\n")
    );
    let m = doc.array_at(doc.attribute("m").unwrap()).unwrap().clone();
    let e = doc.remove_element(&m, 1).unwrap();
    assert_eq!(
        apply(text, &e).unwrap(),
        text.replace("[\"x\", \"y\"]", "[\"x\"]")
    );
    let n = doc.array_at(doc.attribute("n").unwrap()).unwrap().clone();
    assert!(doc.remove_element(&n, 0).is_err());
    let o = doc.array_at(doc.attribute("o").unwrap()).unwrap().clone();
    assert!(doc.remove_element(&o, 0).is_err());
    // The element that holds a span: the innermost one.
    let b = text.find("\"b\"").unwrap();
    let (a, i) = doc.element_containing(b..b + 3).unwrap();
    assert_eq!((a.span.clone(), i), (l.span.clone(), 1));
}
