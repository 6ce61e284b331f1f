"""Measure api-hardening-lint against bandit on the same real applications.

Downloads the applications pinned in ``bench/corpus.txt`` from PyPI (wheels
only, no dependencies), then times, on the same files in one run:

- api-hardening-lint on one core, cold (``--jobs 1 --no-cache``);
- api-hardening-lint on all cores, cold (``--no-cache``);
- api-hardening-lint warm: a second run over the unchanged corpus with the cache;
- bandit (``bandit -r``, which has one process).

Each command runs in a fresh process; its CPU time and peak memory come from
``getrusage`` of that process and its children. Peak memory is the largest
single process (a worker or the parent), not the sum over workers.

Usage: python bench/run.py [--corpus DIR] [--apps NAME ...] [--skip-bandit]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent
PINS = HERE / "corpus.txt"
_MEASURE = r"""
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stdout.write(json.dumps({
    "wall": wall,
    "cpu": usage.ru_utime + usage.ru_stime,
    "rss_mb": usage.ru_maxrss / 1024,
    "code": done.returncode,
    "out": done.stdout.decode("utf-8", "replace"),
}))
"""


def read_pins() -> list[tuple[str, str, str]]:
    """Return ``(name, pin, framework)`` for each pinned application."""
    pins = []
    for line in PINS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pin, framework = line.split()[:2]
        pins.append((pin.split("==")[0], pin, framework))
    return pins


def fetch(corpus: Path, name: str, pin: str) -> Path:
    """Download and unpack one application's wheel unless it is already there."""
    target = corpus / name
    if target.is_dir():
        return target

    wheels = corpus / "_wheels" / name
    wheels.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--only-binary=:all:",
            "--python-version",
            "3.12",
            "-d",
            str(wheels),
            pin,
        ],
        check=True,
    )
    (wheel,) = wheels.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def count_lines(folder: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in folder.rglob("*.py"))


def measure(command: list[str]) -> dict:
    """Run ``command`` in a fresh process and return its wall, CPU and memory."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], stdout=subprocess.PIPE, check=True
    )
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=HERE / ".corpus")
    parser.add_argument("--apps", nargs="*", help="only these applications")
    parser.add_argument("--skip-bandit", action="store_true")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "latest.md")
    args = parser.parse_args()

    pins = [p for p in read_pins() if not args.apps or p[0] in args.apps]
    folders = []
    lines = 0
    for name, pin, framework in pins:
        folder = fetch(args.corpus, name, pin)
        count = count_lines(folder)
        lines += count
        folders.append(str(folder))
        print(f"{name} ({framework}): {count} lines", file=sys.stderr)

    cache = args.corpus / ".api-hardening-lint-cache"
    linter = [
        sys.executable,
        "-m",
        "api_hardening_lint",
        "check",
        "--format",
        "json",
        "--exit-zero",
    ]
    cores = os.cpu_count() or 1
    runs: dict[str, dict] = {}
    runs["one core, cold"] = measure([*linter, "--jobs", "1", "--no-cache", *folders])
    runs[f"{cores} cores, cold"] = measure([*linter, "--no-cache", *folders])
    # The cache lives beside the configuration; run from the corpus folder so
    # it is written there and not into the project.
    os.chdir(args.corpus)
    subprocess.run(
        [*linter, *folders],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    runs[f"{cores} cores, warm cache"] = measure([*linter, *folders])
    if not args.skip_bandit:
        bandit = [sys.executable, "-m", "bandit", "-r", "-q", "-f", "json", *folders]
        runs["bandit -r"] = measure(bandit)

    report = render(lines, len(pins), runs, cache)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report, encoding="utf-8")
    print(report)


def render(lines: int, apps: int, runs: dict[str, dict], cache: Path) -> str:
    bandit = runs.get("bandit -r")
    rows = [
        f"Corpus: {apps} applications, {lines:,} lines of Python; "
        f"{os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}.",
        "",
        "| run | wall s | CPU s | lines/s (wall) | lines per CPU-s | peak MB |"
        " vs bandit (wall) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, run in runs.items():
        ratio = f"{bandit['wall'] / run['wall']:.1f}x" if bandit else "n/a"
        rows.append(
            f"| {label} | {run['wall']:.1f} | {run['cpu']:.1f} | "
            f"{lines / run['wall']:,.0f} | {lines / max(run['cpu'], 1e-9):,.0f} | "
            f"{run['rss_mb']:.0f} | {ratio} |"
        )

    cold = json.loads(runs["one core, cold"]["out"])
    per_rule = Counter(f["rule_id"] for f in cold["findings"])
    rows += ["", "Findings per rule (cold run):", ""]
    rows += [f"- {rule}: {count}" for rule, count in sorted(per_rule.items())]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    main()
