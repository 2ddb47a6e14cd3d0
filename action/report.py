#!/usr/bin/env python3
"""Turns policy-lint's SARIF into what the GitHub Action shows.

Reads the SARIF log written by the one `policy-lint check --format sarif` run and:

* applies a baseline file (optional; the same fingerprints and multiset matching as
  `policy-lint check --baseline`), removing baselined results from the SARIF file so that
  code scanning does not show them either;
* prints workflow commands (`::error file=..,line=..::`) for unsuppressed results, at most 10
  per severity (GitHub shows no more per step), errors first, optionally only for the files a
  pull request changes;
* appends a Markdown job summary to $GITHUB_STEP_SUMMARY, linking each finding to its file and
  line at the commit;
* prints a console listing (format `concise`: one line per finding, `path:line:col:
  severity[CODE] message`, like `policy-lint check --format concise`) or the SARIF (format
  `sarif`);
* writes step outputs (findings, errors, warnings, notes, suppressed, baselined, failed) to
  $GITHUB_OUTPUT.

Everything comes from environment variables (never from the command line of a `run:` block), so
that no input can be interpreted by the shell:

  SARIF_FILE      the SARIF log (required)
  BASELINE        a baseline written by `policy-lint baseline` (optional)
  FAIL_ON         error | warning | note | never (default error)
  ANNOTATIONS     true | false | auto (default auto: annotate unless SARIF_UPLOADED is true)
  SARIF_UPLOADED  true when the SARIF log was uploaded to code scanning (for ANNOTATIONS=auto)
  ONLY_CHANGED    true: annotate only files the pull request changes (GitHub API, GITHUB_TOKEN)
  PART            all (default) | annotations (only the annotations, from an already filtered log)
  SUMMARY         true | false (default true)
  FORMAT          concise | sarif | none (default concise; `pretty`, the former name, means concise)
  CLI_EXIT_CODE   policy-lint's exit code, to cross-check the verdict (optional)
  PATHS  CONFIG  ENVIRONMENT  VAR_FILES
                  the run's inputs, to name the command that regenerates a baseline (optional)

Only the Python standard library is used.
"""

import json
import os
import re
import shlex
import sys
from urllib.parse import quote, unquote

RANK = {"note": 1, "warning": 2, "error": 3}
THRESHOLD = {"note": 1, "warning": 2, "error": 3, "never": None}
COMMAND = {"error": "error", "warning": "warning", "note": "notice"}
MAX_SUMMARY_ROWS = 500
# GitHub shows at most 10 error, 10 warning (and 10 notice) annotations per step and 50 per job.
MAX_ANNOTATIONS_PER_TYPE = 10
MAX_ANNOTATIONS_PER_JOB = 50
MAX_PR_FILE_PAGES = 30  # the API lists at most 3,000 files of a pull request


def truthy(name, default):
    v = os.environ.get(name, "").strip().lower()
    if not v:
        return default
    return v in ("1", "true", "yes", "on")


def plural(n, word, plural_word=None):
    return f"{n} {word if n == 1 else (plural_word or word + 's')}"


def counts_text(counts):
    return ", ".join(
        [plural(counts["error"], "error"), plural(counts["warning"], "warning"), plural(counts["note"], "note")]
    )


def escape_data(s):
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(s):
    return escape_data(s).replace(":", "%3A").replace(",", "%2C")


def md_cell(s):
    return (
        s.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("\r", " ")
        .replace("\n", "<br>")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("&lt;br&gt;", "<br>")
    )


def location(result):
    """(path, start line, start column, end line, end column) of a result."""
    locs = result.get("locations") or []
    if not locs:
        return ("", 1, 1, 1, 1)
    phys = locs[0].get("physicalLocation", {})
    uri = unquote(phys.get("artifactLocation", {}).get("uri", ""))
    region = phys.get("region", {})
    sl = region.get("startLine", 1)
    sc = region.get("startColumn", 1)
    return (uri, sl, sc, region.get("endLine", sl), region.get("endColumn", sc))


# The fingerprint scheme: the SARIF key and the baseline files' `version` (policy-lint's
# output::FINGERPRINT_VERSION).
FINGERPRINT_VERSION = 2
FINGERPRINT_KEY = f"policyLint/v{FINGERPRINT_VERSION}"
CODE = re.compile(r"^[A-Z]{3}[0-9]{3}$")


def fingerprint(result):
    return (result.get("partialFingerprints") or {}).get(FINGERPRINT_KEY)


def regenerate_command(baseline):
    """The `policy-lint baseline` command for this action's inputs, writing to `baseline`."""
    words = ["policy-lint", "baseline"]
    words += (os.environ.get("PATHS", "") or ".").split() or ["."]
    if os.environ.get("CONFIG", "").strip():
        words += ["--config", os.environ["CONFIG"].strip()]
    if os.environ.get("ENVIRONMENT", "").strip():
        words += ["--environment", os.environ["ENVIRONMENT"].strip()]
    for f in os.environ.get("VAR_FILES", "").split():
        words += ["--var-file", f]
    words += ["--output", baseline]
    return " ".join(shlex.quote(w) for w in words)


def eval_origins(message):
    """The rules an EVAL001 stands for: the codes its message starts with."""
    out = []
    for word in message.split():
        more = word.endswith(",")
        code = word[:-1] if more else word
        if not CODE.match(code):
            break
        out.append(code)
        if not more:
            break
    return out


def load_baseline(path):
    with open(path, encoding="utf-8") as f:
        base = json.load(f)
    if not isinstance(base, dict) or not isinstance(base.get("findings"), list):
        raise ValueError("not a policy-lint baseline (no `findings` list)")
    version = base.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError("not a policy-lint baseline (no numeric `version`)")
    if version < FINGERPRINT_VERSION:
        raise ValueError(
            f"it has version {version}: it holds version {version} fingerprints, and this policy-lint "
            f"computes version {FINGERPRINT_VERSION} fingerprints (they include the offending value, so that "
            f"a baseline never hides a different one), which cannot be derived from the old ones. Regenerate "
            f"it from a reviewed run: `{regenerate_command(path)}` (it records every current finding: review "
            f"the new file before committing it)"
        )
    if version > FINGERPRINT_VERSION:
        raise ValueError(
            f"it has version {version}, written by a newer policy-lint; this one reads version "
            f"{FINGERPRINT_VERSION}: use a newer version of the action"
        )
    return base


def apply_baseline(results, path, not_run=frozenset()):
    """Removes the results a baseline accepts; returns (kept, baselined count, stale entries).

    Like `policy-lint check --baseline`: each entry accepts one unsuppressed result; a suppressed
    result is kept but uses up its entry (it still exists); an entry left over is stale only if
    its rule ran (`not_run`: the codes SARIF says were disabled in this run)."""
    base = load_baseline(path)
    remaining = {}
    for e in base["findings"]:
        fp = e.get("fingerprint")
        remaining.setdefault(fp, []).append(e)

    def take(fp):
        if fp is not None and remaining.get(fp):
            remaining[fp].pop()
            return True
        return False

    kept, baselined = [], 0
    for r in results:
        fp = fingerprint(r)
        if r.get("suppressions"):
            take(fp)
            kept.append(r)
        elif take(fp):
            baselined += 1
        else:
            kept.append(r)

    def ran(e):
        code = e.get("code", "")
        if code != "EVAL001":
            return code not in not_run
        origins = eval_origins(e.get("message", ""))
        return "EVAL001" not in not_run and (not origins or any(c not in not_run for c in origins))

    stale = sum(1 for entries in remaining.values() for e in entries if ran(e))
    return kept, baselined, stale


def rules_not_run(run):
    """Codes of the rules the run's invocation says were disabled."""
    out = set()
    for inv in run.get("invocations") or []:
        for o in inv.get("ruleConfigurationOverrides") or []:
            if (o.get("configuration") or {}).get("enabled") is False:
                rid = (o.get("descriptor") or {}).get("id")
                if rid:
                    out.add(rid)
    return frozenset(out)


def changed_files():
    """The files the pull request of this run changes, or None (not a pull request, or the API
    did not answer: then every file is annotated, with a notice)."""
    event_path = os.environ.get("GITHUB_EVENT_PATH", "")
    try:
        with open(event_path, encoding="utf-8") as f:
            event = json.load(f)
    except (OSError, ValueError):
        return None
    pr = event.get("pull_request") if isinstance(event, dict) else None
    number = pr.get("number") if isinstance(pr, dict) else None
    repo = os.environ.get("GITHUB_REPOSITORY", "")
    if not isinstance(number, int) or not repo:
        print("only-changed: not a pull request; annotating every file")
        return None
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    token = os.environ.get("GITHUB_TOKEN", "")
    files = set()
    import urllib.request

    for page in range(1, MAX_PR_FILE_PAGES + 1):
        req = urllib.request.Request(f"{api}/repos/{repo}/pulls/{number}/files?per_page=100&page={page}")
        req.add_header("Accept", "application/vnd.github+json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                batch = json.load(r)
        except Exception as e:  # network, HTTP or JSON errors: annotate everything instead
            print(f"::notice::only-changed: cannot list the pull request's files ({e}); annotating every file")
            return None
        if not isinstance(batch, list):
            print("::notice::only-changed: unexpected answer listing the pull request's files; annotating every file")
            return None
        files.update(x.get("filename") for x in batch if isinstance(x, dict) and x.get("filename"))
        if len(batch) < 100:
            break
    return files


def annotate(active, title):
    """Prints the annotations: errors first, at most MAX_ANNOTATIONS_PER_TYPE of each severity."""
    if truthy("ONLY_CHANGED", False):
        changed = changed_files()
        if changed is not None:
            kept = [r for r in active if location(r)[0] in changed]
            left = len(active) - len(kept)
            if left:
                print(f"only-changed: {plural(left, 'finding')} in files the pull request does not change not annotated")
            active = kept
    order = sorted(active, key=lambda r: -RANK.get(r.get("level", "warning"), 0))
    shown = {}
    skipped = 0
    total = 0
    for r in order:
        cmd = COMMAND.get(r.get("level", "warning"), "warning")
        if shown.get(cmd, 0) >= MAX_ANNOTATIONS_PER_TYPE or total >= MAX_ANNOTATIONS_PER_JOB:
            skipped += 1
            continue
        shown[cmd] = shown.get(cmd, 0) + 1
        total += 1
        path, sl, sc, el, ec = location(r)
        props = f"file={escape_property(path)},line={sl},col={sc},endLine={el},endColumn={ec},title={escape_property(title(r))}"
        print(f"::{cmd} {props}::{escape_data(r.get('message', {}).get('text', ''))}")
    if skipped:
        print(
            f"policy-lint: {plural(skipped, 'more finding')} not annotated (GitHub shows at most "
            f"{MAX_ANNOTATIONS_PER_TYPE} annotations of each severity per step); see the job summary or the SARIF log"
        )


def blob_url(path, line):
    """A link to `path` at `line` at the commit of this run, or None outside GitHub Actions."""
    server = os.environ.get("GITHUB_SERVER_URL", "").rstrip("/")
    repo = os.environ.get("GITHUB_REPOSITORY", "")
    sha = os.environ.get("GITHUB_SHA", "")
    if not (server and repo and sha) or path.startswith("../") or path.startswith("/"):
        return None
    return f"{server}/{repo}/blob/{sha}/{quote(path)}#L{line}"


def main():
    sarif_path = os.environ.get("SARIF_FILE", "")
    part = os.environ.get("PART", "all").strip() or "all"
    baseline = os.environ.get("BASELINE", "").strip()
    fail_on = os.environ.get("FAIL_ON", "error").strip() or "error"
    fmt = os.environ.get("FORMAT", "concise").strip() or "concise"
    if fmt == "pretty":
        fmt = "concise"
    if fail_on not in THRESHOLD:
        print(f"::error::fail-on must be error, warning, note or never, not `{fail_on}`")
        return 2
    if fmt not in ("concise", "sarif", "none"):
        print(f"::error::format must be concise, sarif or none, not `{fmt}`")
        return 2
    try:
        with open(sarif_path, encoding="utf-8") as f:
            log = json.load(f)
        run = log["runs"][0]
    except (OSError, ValueError, KeyError, IndexError) as e:
        print(f"::error::cannot read policy-lint's SARIF file `{sarif_path}`: {e}")
        return 2

    rules = run.get("tool", {}).get("driver", {}).get("rules", [])
    rule_by_id = {r.get("id"): r for r in rules}
    results = run.get("results", [])

    def title(r):
        rid = r.get("ruleId", "")
        name = rule_by_id.get(rid, {}).get("name", "")
        return f"{rid} {name}".strip()

    def wants_annotations():
        mode = os.environ.get("ANNOTATIONS", "auto").strip().lower() or "auto"
        if mode == "auto":
            return os.environ.get("SARIF_UPLOADED", "").strip().lower() != "true"
        return truthy("ANNOTATIONS", True)

    if part == "annotations":
        if wants_annotations():
            annotate([r for r in results if not r.get("suppressions")], title)
        else:
            print("policy-lint: the SARIF log was uploaded; code scanning shows the findings (annotations: auto)")
        return 0

    baselined = stale = 0
    if baseline:
        try:
            results, baselined, stale = apply_baseline(results, baseline, rules_not_run(run))
        except (OSError, ValueError) as e:
            print(f"::error::cannot use baseline `{baseline}`: {e}")
            return 2
        run["results"] = results
        with open(sarif_path, "w", encoding="utf-8") as f:
            json.dump(log, f, indent=2, ensure_ascii=False)
            f.write("\n")
        if stale:
            print(
                f"::notice::{stale} baseline entr{'y' if stale == 1 else 'ies'} of {baseline} no longer "
                f"match any finding (fixed or changed); once this run passes, regenerate it with "
                f"`{regenerate_command(baseline)}` so it only shrinks"
            )

    active = [r for r in results if not r.get("suppressions")]
    suppressed = len(results) - len(active)
    counts = {"error": 0, "warning": 0, "note": 0}
    for r in active:
        lvl = r.get("level", "warning")
        counts[lvl] = counts.get(lvl, 0) + 1
    threshold = THRESHOLD[fail_on]
    failed = threshold is not None and any(RANK.get(r.get("level", "warning"), 0) >= threshold for r in active)

    cli = os.environ.get("CLI_EXIT_CODE", "").strip()
    if cli in ("0", "1") and not baseline and (cli == "1") != failed:
        print(f"::warning::policy-lint exited with {cli}, but its SARIF says failed={failed}; using the SARIF")

    # Console listing: the concise format of `policy-lint check --format concise`.
    if fmt == "concise":
        for r in active:
            path, sl, sc, _, _ = location(r)
            lvl = r.get("level", "warning")
            text = " ".join(r.get("message", {}).get("text", "").split())
            print(f"{path}:{sl}:{sc}: {lvl}[{r.get('ruleId', '')}] {text}")
        extra = []
        if suppressed:
            extra.append(f"{suppressed} suppressed")
        if baselined:
            extra.append(f"{baselined} baselined")
        tail = f" ({', '.join(extra)})" if extra else ""
        print(f"{counts_text(counts)}{tail}")
    elif fmt == "sarif":
        with open(sarif_path, encoding="utf-8") as f:
            sys.stdout.write(f.read())

    # Annotations (the action runs them as their own step, after the upload: PART=annotations).
    if wants_annotations():
        annotate(active, title)

    # Job summary.
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY", "")
    if truthy("SUMMARY", True) and summary_path:
        lines = ["## policy-lint", ""]
        verdict = "failed" if failed else "passed"
        lines.append(
            f"**{counts_text(counts)}** "
            f"— {suppressed} suppressed, {baselined} baselined — `fail-on: {fail_on}`: **{verdict}**"
        )
        lines.append("")
        lines.append("| Severity | Count |")
        lines.append("|---|---:|")
        for lvl in ("error", "warning", "note"):
            lines.append(f"| {lvl} | {counts[lvl]} |")
        lines.append(f"| suppressed | {suppressed} |")
        lines.append(f"| baselined | {baselined} |")
        lines.append("")
        if active:
            lines.append("| Severity | Rule | Location | Message |")
            lines.append("|---|---|---|---|")
            for r in active[:MAX_SUMMARY_ROWS]:
                path, sl, _, _, _ = location(r)
                rid = r.get("ruleId", "")
                rule = rule_by_id.get(rid, {})
                link = f"[{rid}]({rule['helpUri']})" if rule.get("helpUri") else rid
                name = rule.get("name", "")
                rule_cell = f"{link} {md_cell(name)}".strip()
                url = blob_url(path, sl)
                where = f"`{md_cell(path)}:{sl}`"
                if url:
                    where = f"[{where}]({url})"
                lines.append(
                    f"| {r.get('level', '')} | {rule_cell} | {where} | {md_cell(r.get('message', {}).get('text', ''))} |"
                )
            if len(active) > MAX_SUMMARY_ROWS:
                lines.append("")
                lines.append(f"… and {len(active) - MAX_SUMMARY_ROWS} more (see the SARIF file or code scanning).")
            lines.append("")
        else:
            lines.append("No findings.")
            lines.append("")
        with open(summary_path, "a", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")

    # Step outputs.
    out_path = os.environ.get("GITHUB_OUTPUT", "")
    if out_path:
        with open(out_path, "a", encoding="utf-8") as f:
            f.write(f"findings={len(active)}\n")
            f.write(f"errors={counts['error']}\n")
            f.write(f"warnings={counts['warning']}\n")
            f.write(f"notes={counts['note']}\n")
            f.write(f"suppressed={suppressed}\n")
            f.write(f"baselined={baselined}\n")
            f.write(f"failed={'true' if failed else 'false'}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
