//! Fingerprints: the identity of a finding across runs, for baselines, SARIF
//! `partialFingerprints` and JSON output.
//!
//! Version 2 hashes (64-bit FNV-1a) the rule code, the file's path relative to the repository
//! root, the resource address (else the trimmed text of the finding's first line), the
//! attribute path, and what the finding is about within that attribute: the normalised
//! offending value with the identity of the statement that holds it ([`Finding::subject`]),
//! else the text the finding points at, up to the end of its first line. Line numbers are not
//! part of it, so it survives lines inserted above; a different value gives a different
//! fingerprint, so a baseline never hides it. Two findings of one run never share one: the
//! second and later findings with the same inputs (in report order) get an occurrence number.

use super::rel_path_of;
use crate::finding::Finding;
use crate::hash::HashSet;
use crate::source::SourceMap;
use std::path::Path;

/// Version of the fingerprint scheme: the SARIF `partialFingerprints` key is
/// `policyLint/v{VERSION}`, and baseline files carry it as their `version`.
pub const VERSION: u32 = 2;

/// 64-bit FNV-1a.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(PRIME);
    }
    h
}

/// The text `f` points at, up to the end of its first line, with runs of whitespace as one space.
fn pointed_text(f: &Finding, sources: &SourceMap) -> String {
    let file = sources.get(f.loc.file);
    let text = file.text.get(f.loc.range()).unwrap_or("");
    let first = text.split('\n').next().unwrap_or("");
    first.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What is hashed for `f` (before any occurrence number).
fn key(f: &Finding, rel_path: &str, sources: &SourceMap) -> String {
    let mut key = String::new();
    key.push_str(&f.code);
    key.push('\0');
    key.push_str(rel_path);
    key.push('\0');
    match &f.address {
        Some(address) => {
            key.push_str("address:");
            key.push_str(address);
        }
        None => {
            let file = sources.get(f.loc.file);
            let line = file.line_col(f.loc.start).line;
            key.push_str("line:");
            key.push_str(file.line_text(line).trim());
        }
    }
    key.push('\0');
    match &f.subject {
        // An unknown is identified by what is unknown and the expression that is (one EVAL001
        // stands for every rule it blocks, so the attribute path, which depends on the rules that
        // ran, is not part of it).
        Some(s) if f.code == "EVAL001" && s.starts_with("unknown:") => {
            key.push('\0');
            key.push_str("subject:");
            key.push_str(s);
            key.push('\0');
            key.push_str("text:");
            key.push_str(&pointed_text(f, sources));
            return key;
        }
        _ => {}
    }
    key.push_str(f.attr_path.as_deref().unwrap_or(""));
    key.push('\0');
    match &f.subject {
        Some(s) => {
            key.push_str("subject:");
            key.push_str(s);
        }
        None => {
            key.push_str("text:");
            key.push_str(&pointed_text(f, sources));
        }
    }
    key
}

/// The fingerprint of `f` alone, as 16 lowercase hex digits: what [`assign`] gives the first
/// finding with these inputs. `rel_path` is the path of `f`'s file relative to the repository
/// root.
pub fn fingerprint(f: &Finding, rel_path: &str, sources: &SourceMap) -> String {
    format!("{:016x}", fnv1a64(key(f, rel_path, sources).as_bytes()))
}

/// Sets the fingerprint of every finding of a run (in report order, suppressed ones included):
/// a finding whose inputs equal those of an earlier one gets the hash of its inputs and its
/// occurrence number (`#1`, `#2`, ...), so no two findings share a fingerprint.
pub fn assign(findings: &mut [Finding], sources: &SourceMap, repo_root: &Path) {
    use rayon::prelude::*;
    let keys: Vec<String> = findings
        .par_iter()
        .map(|f| key(f, &rel_path_of(sources, &f.loc, repo_root).0, sources))
        .collect();
    let mut used: HashSet<u64> =
        HashSet::with_capacity_and_hasher(findings.len(), Default::default());
    for (f, k) in findings.iter_mut().zip(keys) {
        let mut h = fnv1a64(k.as_bytes());
        let mut n = 0u32;
        while !used.insert(h) {
            n += 1;
            h = fnv1a64(format!("{k}\0#{n}").as_bytes());
        }
        f.fingerprint = format!("{h:016x}");
    }
}

#[cfg(test)]
mod tests {
    use super::super::testdata;
    use super::*;
    use crate::source::Location;
    use std::sync::Arc;

    #[test]
    fn fnv1a_known_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn stable_when_lines_move() {
        let t = testdata::sample();
        let moved = testdata::sample_with_prefix("# a comment\n\n# another\n");
        assert_eq!(t.findings.len(), moved.findings.len());
        for (a, b) in t.findings.iter().zip(moved.findings.iter()) {
            assert_ne!(a.loc.start, b.loc.start);
            assert_eq!(a.fingerprint.len(), 16);
            assert_eq!(a.fingerprint, b.fingerprint);
        }
        let mut all: Vec<&str> = t.findings.iter().map(|f| f.fingerprint.as_str()).collect();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), t.findings.len());
    }

    /// Two destinations of one policy: same code, address and attribute path.
    fn destinations(a: &str, b: &str) -> (SourceMap, Vec<Finding>) {
        let sources = SourceMap::new();
        let text = format!("destinations = [\"{a}\",\n  \"{b}\"]\n");
        let id = sources.add(
            "/r/main.tf".into(),
            "main.tf".into(),
            Arc::from(text.as_str()),
        );
        let at = |s: &str| {
            let i = text.find(&format!("\"{s}\"")).unwrap();
            Location::new(id, i..i + s.len() + 2)
        };
        let f = |s: &str| {
            Finding::new("NET003", at(s), "wildcard")
                .with_address("databricks_account_network_policy.p")
                .with_path("egress.network_access.allowed_internet_destinations[].destination")
        };
        (sources, vec![f(a), f(b)])
    }

    #[test]
    fn the_value_is_part_of_it() {
        let fp = |a: &str, b: &str, subjects: bool| {
            let (sources, mut fs) = destinations(a, b);
            if subjects {
                fs[0].subject = Some(format!("str:{a}"));
                fs[1].subject = Some(format!("str:{b}"));
            }
            assign(&mut fs, &sources, Path::new("/r"));
            (fs[0].fingerprint.clone(), fs[1].fingerprint.clone())
        };
        for subjects in [true, false] {
            let (x, y) = fp("*.pythonhosted.org", "*.example.com", subjects);
            assert_ne!(x, y);
            // Another value in its place: another fingerprint.
            let (x2, _) = fp("*.attacker-controlled.example", "*.example.com", subjects);
            assert_ne!(x, x2);
            // The same values, reformatted or reordered: the same fingerprints.
            let (y3, x3) = fp("*.example.com", "*.pythonhosted.org", subjects);
            assert_eq!((x, y), (x3, y3));
        }
    }

    #[test]
    fn equal_inputs_get_occurrence_numbers() {
        let (sources, mut fs) = destinations("*.a.example", "*.a.example");
        let base = fingerprint(&fs[0], "main.tf", &sources);
        assert_eq!(base, fingerprint(&fs[1], "main.tf", &sources));
        assign(&mut fs, &sources, Path::new("/r"));
        // The first keeps the plain fingerprint; the second differs, deterministically.
        assert_eq!(fs[0].fingerprint, base);
        assert_ne!(fs[1].fingerprint, base);
        let mut again = fs.clone();
        assign(&mut again, &sources, Path::new("/r"));
        assert_eq!(again[1].fingerprint, fs[1].fingerprint);
        // A third copy gets a third fingerprint.
        fs.push(fs[1].clone());
        assign(&mut fs, &sources, Path::new("/r"));
        let set: HashSet<&str> = fs.iter().map(|f| f.fingerprint.as_str()).collect();
        assert_eq!(set.len(), 3);
    }
}
