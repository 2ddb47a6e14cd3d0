//! Unified diffs of an edit, for `--diff` (what would be written, without writing it).

/// A unified diff (`---`/`+++` headers, `@@` hunks with `context` lines around each change) from
/// `old` to `new`, both shown under `path`. Empty when the texts are equal.
pub fn unified(path: &str, old: &str, new: &str, context: usize) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let ops = line_ops(&a, &b);
    // Group the operations into hunks: changes closer than 2 * context lines share one.
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, o)| !matches!(o, Op::Same(..)))
        .map(|(i, _)| i)
        .collect();
    let mut i = 0;
    while i < changed.len() {
        let mut j = i;
        while j + 1 < changed.len() && changed[j + 1] - changed[j] <= 2 * context + 1 {
            j += 1;
        }
        let start = changed[i].saturating_sub(context);
        let end = (changed[j] + context + 1).min(ops.len());
        let (mut a_start, mut b_start) = (None, None);
        let (mut a_len, mut b_len) = (0, 0);
        let mut body = String::new();
        for op in &ops[start..end] {
            match op {
                Op::Same(x, y) => {
                    a_start.get_or_insert(*x);
                    b_start.get_or_insert(*y);
                    a_len += 1;
                    b_len += 1;
                    push_line(&mut body, ' ', a[*x]);
                }
                Op::Del(x, y) => {
                    a_start.get_or_insert(*x);
                    b_start.get_or_insert(*y);
                    a_len += 1;
                    push_line(&mut body, '-', a[*x]);
                }
                Op::Ins(x, y) => {
                    a_start.get_or_insert(*x);
                    b_start.get_or_insert(*y);
                    b_len += 1;
                    push_line(&mut body, '+', b[*y]);
                }
            }
        }
        // Line numbers are 1-based; an empty side starts at the line before.
        let a_first = a_start.unwrap_or(0) + usize::from(a_len > 0);
        let b_first = b_start.unwrap_or(0) + usize::from(b_len > 0);
        out.push_str(&format!(
            "@@ -{a_first},{a_len} +{b_first},{b_len} @@\n{body}"
        ));
        i = j + 1;
    }
    out
}

fn push_line(out: &mut String, mark: char, line: &str) {
    out.push(mark);
    out.push_str(line.trim_end_matches(['\n', '\r']));
    out.push('\n');
    if !line.ends_with('\n') {
        out.push_str("\\ No newline at end of file\n");
    }
}

/// One line of the diff: kept (old index, new index), deleted or inserted (with the position
/// on the other side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same(usize, usize),
    Del(usize, usize),
    Ins(usize, usize),
}

/// The line operations from `a` to `b`: common prefix and suffix, and a longest common
/// subsequence of the middle (edits are small and local, so the middle is short).
fn line_ops(a: &[&str], b: &[&str]) -> Vec<Op> {
    let mut pre = 0;
    while pre < a.len() && pre < b.len() && a[pre] == b[pre] {
        pre += 1;
    }
    let mut suf = 0;
    while suf < a.len() - pre && suf < b.len() - pre && a[a.len() - 1 - suf] == b[b.len() - 1 - suf]
    {
        suf += 1;
    }
    let am = &a[pre..a.len() - suf];
    let bm = &b[pre..b.len() - suf];
    let mut ops: Vec<Op> = (0..pre).map(|i| Op::Same(i, i)).collect();
    // LCS table of the middle.
    let (n, m) = (am.len(), bm.len());
    let mut t = vec![0u32; (n + 1) * (m + 1)];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i * (m + 1) + j] = if am[i] == bm[j] {
                t[(i + 1) * (m + 1) + j + 1] + 1
            } else {
                t[(i + 1) * (m + 1) + j].max(t[i * (m + 1) + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && am[i] == bm[j] {
            ops.push(Op::Same(pre + i, pre + j));
            i += 1;
            j += 1;
        } else if i < n && (j == m || t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1]) {
            ops.push(Op::Del(pre + i, pre + j));
            i += 1;
        } else {
            ops.push(Op::Ins(pre + i, pre + j));
            j += 1;
        }
    }
    for k in 0..suf {
        ops.push(Op::Same(a.len() - suf + k, b.len() - suf + k));
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_inserted_line() {
        let old = "a\nb\nc\nd\n";
        let new = "a\nb\nx\nc\nd\n";
        assert_eq!(
            unified("f.tf", old, new, 1),
            "--- a/f.tf\n+++ b/f.tf\n@@ -2,2 +2,3 @@\n b\n+x\n c\n"
        );
        assert_eq!(unified("f.tf", old, old, 3), "");
    }

    #[test]
    fn changed_line_and_far_apart_hunks() {
        let old: String = (1..=20).map(|i| format!("l{i}\n")).collect();
        let new = old
            .replace("l2\n", "l2,\nnew\n")
            .replace("l18\n", "l18\nz\n");
        let d = unified("x", &old, &new, 1);
        assert_eq!(
            d,
            "--- a/x\n+++ b/x\n@@ -1,3 +1,4 @@\n l1\n-l2\n+l2,\n+new\n l3\n@@ -18,2 +19,3 @@\n l18\n+z\n l19\n"
        );
    }
}
