"""Apply every fix, safe and unsafe, to copies of real applications and check them.

Copies each application under the corpus folder (``bench/run.py`` fills it) to a
temporary folder, never touching the originals, then runs
``check --fix --unsafe-fixes`` there and asserts that:

- every file that parsed still parses;
- every finding with a fix is gone;
- no finding appears that was not there before (lines named in messages may
  move; AHL201 may newly report a route an AHL601 fix moved off GET);
- a second ``--fix`` changes nothing;
- files without a fix are byte for byte the same.

Prints the files changed, the fixes applied per rule, findings before and after,
and the time each step took.

Usage: python bench/fix_corpus.py [--corpus DIR] [--apps NAME ...] [--keep]
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

_LINE_NUMBER = re.compile(r"\b\d+\b")
_EDITS = ("safe", "unsafe")


def check(folder: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    """Run the linter's check command in ``folder``; return it and its wall time."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "api_hardening_lint", "check", "--no-cache", *args, "."],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        check=False,
    )
    if done.returncode == 2:
        raise SystemExit(f"check failed in {folder}:\n{done.stderr.decode()}")
    return done, time.perf_counter() - started


def findings(folder: Path) -> tuple[list[dict], float]:
    done, seconds = check(folder, "--exit-zero", "--format", "json", "-q")
    return json.loads(done.stdout)["findings"], seconds


def snapshot(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*.py")) if p.is_file()}


def parses(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(data)
    except (SyntaxError, ValueError, RecursionError):
        return False
    return True


def is_edit(finding: dict) -> bool:
    return finding.get("fix", {}).get("safety") in _EDITS


def key(finding: dict) -> tuple:
    message = _LINE_NUMBER.sub("#", finding["message"])
    return finding["path"], finding["rule_id"], message


def new_findings(before: list[dict], after: list[dict]) -> Counter:
    """Return findings after the fixes that were not there before.

    AHL201 skips routes that only serve GET, so a route an AHL601 fix moved
    to POST may be reported for its missing authentication; that is expected.
    """
    new = Counter(map(key, after)) - Counter(map(key, before))
    moved = {f["path"] for f in before if f["rule_id"] == "AHL601" and is_edit(f)}
    return Counter(
        {k: n for k, n in new.items() if k[1] != "AHL201" or k[0] not in moved}
    )


def fix_app(source: Path, work: Path) -> dict:
    """Copy one application, fix it, check the result; return its figures."""
    folder = work / source.name
    shutil.copytree(source, folder, symlinks=True)
    before_files = snapshot(folder)
    before, check_seconds = findings(folder)

    _, fix_seconds = check(folder, "--fix", "--unsafe-fixes", "-q")
    after_files = snapshot(folder)
    after, _ = findings(folder)
    check(folder, "--fix", "--unsafe-fixes", "-q")

    problems = []
    fixed_paths = {folder / f["path"] for f in before if is_edit(f)}
    for path, data in before_files.items():
        if path not in fixed_paths:
            if after_files.get(path) != data:
                problems.append(f"{path}: no fix, but changed")
        elif parses(data) and not parses(after_files[path]):
            problems.append(f"{path}: no longer parses")
    survivors = [f for f in after if is_edit(f)]
    problems += [f"{f['path']}:{f['line']}: {f['rule_id']} survived" for f in survivors]
    new = new_findings(before, after)
    problems += [f"new finding: {k} x{n}" for k, n in new.items()]
    if snapshot(folder) != after_files:
        problems.append("a second --fix changed files")

    return {
        "app": source.name,
        "files": len(before_files),
        "changed": sum(after_files[p] != d for p, d in before_files.items()),
        "fixes": Counter(f["rule_id"] for f in before if is_edit(f)),
        "safeties": Counter(f["fix"]["safety"] for f in before if is_edit(f)),
        "suggestions": sum(1 for f in before if f.get("fix") and not is_edit(f)),
        "before": len(before),
        "after": len(after),
        "check_seconds": check_seconds,
        "fix_seconds": fix_seconds,
        "problems": problems,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=Path(__file__).parent / ".corpus"
    )
    parser.add_argument("--apps", nargs="*", help="only these applications")
    parser.add_argument("--keep", action="store_true", help="keep the fixed copies")
    options = parser.parse_args()

    sources = sorted(
        p
        for p in options.corpus.iterdir()
        if p.is_dir()
        and not p.name.startswith((".", "_"))
        and (not options.apps or p.name in options.apps)
    )
    work = Path(tempfile.mkdtemp(prefix="ahl-fix-corpus-"))
    results = []
    try:
        for source in sources:
            result = fix_app(source, work)
            results.append(result)
            fixes = ", ".join(f"{r} {n}" for r, n in sorted(result["fixes"].items()))
            print(
                f"{result['app']:<16} {result['files']:>5} files"
                f" {result['changed']:>4} changed"
                f"  findings {result['before']:>4} -> {result['after']:>4}"
                f"  check {result['check_seconds']:5.1f}s"
                f" fix {result['fix_seconds']:5.1f}s  fixes: {fixes or 'none'}"
            )
            for problem in result["problems"]:
                print(f"    PROBLEM {problem}")
    finally:
        if options.keep:
            print(f"fixed copies kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    total = Counter()
    safeties = Counter()
    for result in results:
        total.update(result["fixes"])
        safeties.update(result["safeties"])
    print(
        f"total: {sum(r['files'] for r in results)} files,"
        f" {sum(r['changed'] for r in results)} changed;"
        f" findings {sum(r['before'] for r in results)} ->"
        f" {sum(r['after'] for r in results)};"
        f" fixes {dict(sorted(total.items()))} ({dict(safeties)});"
        f" suggestions only {sum(r['suggestions'] for r in results)};"
        f" fix runs {sum(r['fix_seconds'] for r in results):.1f}s"
    )
    problems = sum(len(r["problems"]) for r in results)
    print("all checks passed" if not problems else f"{problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
