"""The ``api-hardening-lint`` command."""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import time
from pathlib import Path

import click

from api_hardening_lint import __version__, baseline, output
from api_hardening_lint.baseline import Baseline, BaselineError
from api_hardening_lint.config import (
    Config,
    ConfigError,
    find_pyproject,
    load_config,
    parse_codes,
)
from api_hardening_lint.registry import catalogue, catalogue_dir
from api_hardening_lint.rule import SAFE, Finding, Level, severity_counts
from api_hardening_lint.runner import RunResult, discover, read_file, run

logger = logging.getLogger(__name__)

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
# Below this many files a progress bar only flickers.
_PROGRESS_MIN_FILES = 200
_LEVELS = click.Choice(["low", "medium", "high"], case_sensitive=False)


def _configure_logging(verbose: int, quiet: bool) -> None:
    if quiet:
        level = logging.ERROR
    elif verbose >= 2:
        level = logging.DEBUG
    elif verbose == 1:
        level = logging.INFO
    else:
        level = logging.WARNING
    logging.basicConfig(
        level=level, format="%(levelname)s: %(message)s", stream=sys.stderr, force=True
    )


def _split_codes(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return tuple(code.strip().upper() for code in value.split(",") if code.strip())


def _load(config_path: str | None, paths: tuple[str, ...]) -> Config:
    if config_path is not None:
        return load_config(Path(config_path))

    start = Path(paths[0]) if paths else Path.cwd()
    found = find_pyproject(start if start.exists() else Path.cwd())
    if found is None:
        return load_config(None, Path.cwd())
    return load_config(found)


def _override(config: Config, **changes: object) -> Config:
    values = {key: value for key, value in changes.items() if value is not None}
    if not values:
        return config

    for key in ("select", "ignore"):
        if key in values:
            try:
                parse_codes(f"--{key}", list(values[key]), "")
            except ConfigError as exc:
                raise click.UsageError(str(exc).removeprefix(": ")) from None
    return dataclasses.replace(config, **values)


def _use_colour(option: bool | None) -> bool | None:
    if option is not None:
        return option
    if os.environ.get("NO_COLOR"):
        return False
    return None  # click decides: colour only on a terminal


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="api-hardening-lint")
def main() -> None:
    """Find security weaknesses in Flask, FastAPI and Django APIs."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "output_format",
    type=click.Choice(output.FORMATS),
    default="text",
    show_default=True,
    help="How to print findings.",
)
@click.option("--select", help="Comma-separated rule codes or prefixes to run.")
@click.option("--ignore", help="Comma-separated rule codes or prefixes to skip.")
@click.option("--min-severity", type=_LEVELS, help="Drop findings below this severity.")
@click.option(
    "--min-confidence", type=_LEVELS, help="Drop findings below this confidence."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="pyproject.toml to read instead of the nearest one.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Worker processes [default: all cores].",
)
@click.option(
    "--no-cache", is_flag=True, help="Analyze every file, even unchanged ones."
)
@click.option(
    "--baseline",
    "baseline_path",
    type=click.Path(dir_okay=False),
    help="Report only findings not recorded in this baseline file.",
)
@click.option(
    "--write-baseline",
    "write_baseline",
    type=click.Path(dir_okay=False),
    help="Record every finding of this run in a baseline file, and exit 0.",
)
@click.option(
    "--report-unused-noqa",
    is_flag=True,
    help="Also report noqa comments naming AHL codes that silenced nothing (AHL006).",
)
@click.option(
    "--fix", "apply_fixes", is_flag=True, help="Apply safe fixes to the files."
)
@click.option(
    "--unsafe-fixes",
    is_flag=True,
    help="With --fix, also apply fixes that need a person to check them.",
)
@click.option(
    "--diff",
    "show_diff",
    is_flag=True,
    help="Print every available fix, safe and unsafe, as a diff; write nothing.",
)
@click.option(
    "--show-fixes", is_flag=True, help="Print what each finding's fix does or suggests."
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option(
    "--color/--no-color", "colour", default=None, help="Force colour on or off."
)
@click.option("-v", "--verbose", count=True, help="Say more on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")
def check(
    paths: tuple[str, ...],
    output_format: str,
    select: str | None,
    ignore: str | None,
    min_severity: str | None,
    min_confidence: str | None,
    config_path: str | None,
    jobs: int | None,
    no_cache: bool,
    baseline_path: str | None,
    write_baseline: str | None,
    report_unused_noqa: bool,
    apply_fixes: bool,
    unsafe_fixes: bool,
    show_diff: bool,
    show_fixes: bool,
    exit_zero: bool,
    colour: bool | None,
    verbose: int,
    quiet: bool,
) -> None:
    """Check PATHS (default: the current folder) for weaknesses."""
    _configure_logging(verbose, quiet)
    try:
        config = _load(config_path, paths)
    except ConfigError as exc:
        click.echo(f"api-hardening-lint: configuration error: {exc}", err=True)
        sys.exit(EXIT_ERROR)

    config = _override(
        config,
        select=_split_codes(select),
        ignore=_split_codes(ignore),
        min_severity=Level.parse(min_severity) if min_severity else None,
        min_confidence=Level.parse(min_confidence) if min_confidence else None,
    )
    logger.debug("configuration: %s", config)

    if write_baseline is not None and (apply_fixes or show_diff):
        raise click.UsageError(
            "--write-baseline cannot be combined with --fix or --diff"
        )

    if apply_fixes and show_diff:
        raise click.UsageError("--diff writes nothing; use it without --fix")

    accepted = None
    if write_baseline is None:
        accepted = _load_baseline(baseline_path, config)

    try:
        files = list(discover(list(paths) or ["."], config))
    except FileNotFoundError as exc:
        click.echo(
            f"api-hardening-lint: no such file or folder: {exc.args[0]}", err=True
        )
        sys.exit(EXIT_ERROR)

    started = time.perf_counter()
    result = _run_with_progress(files, config, jobs, not no_cache, quiet)
    elapsed = time.perf_counter() - started
    logger.info(
        "%d files, %d lines, %d parsed, %d analyzed again with the project's"
        " facts, %d from cache in %.2f s",
        result.files,
        result.lines,
        result.parsed,
        result.reanalyzed,
        result.cached,
        elapsed,
    )

    if report_unused_noqa:
        merged = [*result.findings, *result.unused_noqa]
        result.findings = sorted(merged, key=lambda f: f.sort_key)

    if write_baseline is not None:
        _write_baseline(Path(write_baseline), result.findings, quiet)
        return

    baselined = 0
    if accepted is not None:
        kept = baseline.filter_findings(result.findings, accepted)
        baselined = len(result.findings) - len(kept)
        logger.info(
            "%d findings are in the baseline %s; %d of its entries matched nothing",
            baselined,
            accepted.path,
            baseline.unmatched(result.findings, accepted),
        )
        result.findings = kept

    if show_diff:
        outcomes = _fix(result, files, config, accepted, unsafe=True, write=False)
        _print_diff(outcomes, quiet)
        sys.exit(EXIT_FINDINGS if outcomes and not exit_zero else EXIT_CLEAN)

    fixed = 0
    if apply_fixes:
        outcomes = _fix(result, files, config, accepted, unsafe_fixes, write=True)
        fixed = sum(len(outcome.fixed) for outcome in outcomes)
        if outcomes:
            # Findings move and vanish with the edits: report the files as
            # they are now.
            result = _run_with_progress(files, config, jobs, not no_cache, quiet)
            if report_unused_noqa:
                merged = [*result.findings, *result.unused_noqa]
                result.findings = sorted(merged, key=lambda f: f.sort_key)
            if accepted is not None:
                result.findings = baseline.filter_findings(result.findings, accepted)

    checked = [display for display, _ in files]
    _print(
        result,
        output_format,
        _use_colour(colour),
        quiet,
        checked,
        baselined,
        show_fixes=show_fixes,
        fixed=fixed if apply_fixes else None,
    )
    if result.findings and not exit_zero:
        sys.exit(EXIT_FINDINGS)


def _fix(
    result: RunResult,
    files: list[tuple[str, Path]],
    config: Config,
    accepted: Baseline | None,
    unsafe: bool,
    *,
    write: bool,
) -> list:
    """Fix the files that have fixable findings; return what changed.

    Each such file is read and analyzed again, whatever the cache holds, so
    the fixes match its current text.
    """
    from api_hardening_lint import fixer  # libcst's codemods load only here

    allowed = fixer.safeties(unsafe)
    targets = {f.path for f in result.findings if fixer.is_fixable(f, allowed)}
    keep = None
    if accepted is not None:

        def keep(finding: Finding) -> bool:
            return bool(baseline.filter_findings([finding], accepted))

    outcomes = []
    for display, path in files:
        if display not in targets:
            continue

        source, failed = read_file(display, path)
        if failed is not None:
            logger.warning("not fixed %s: %s", display, failed.findings[0].message)
            continue

        outcome = fixer.fix_source(
            display, source, config, allowed, project=result.project, keep=keep
        )
        if not outcome.changed:
            continue

        if write:
            try:
                fixer.write_fixed(path, source, outcome.source)
            except fixer.FixError as exc:
                logger.warning("%s", exc)
                continue

            logger.info("fixed %d findings in %s", len(outcome.fixed), display)
        outcomes.append(outcome)
    return outcomes


def _print_diff(outcomes: list, quiet: bool) -> None:
    from api_hardening_lint import fixer

    for outcome in outcomes:
        click.echo(fixer.unified_diff(outcome), nl=False)
    if quiet:
        return

    fixes = [finding for outcome in outcomes for finding in outcome.fixed]
    safe = sum(finding.fix.safety == SAFE for finding in fixes)
    files = f"{len(outcomes)} file{'s' if len(outcomes) != 1 else ''}"
    click.echo(
        f"{len(fixes)} fix{'es' if len(fixes) != 1 else ''} available in {files}"
        f" ({safe} safe, {len(fixes) - safe} unsafe); nothing was written.",
        err=True,
    )


def _load_baseline(option: str | None, config: Config) -> Baseline | None:
    try:
        if option is not None:
            return baseline.load(Path(option))
        return baseline.load_configured(config)
    except BaselineError as exc:
        click.echo(f"api-hardening-lint: baseline error: {exc}", err=True)
        sys.exit(EXIT_ERROR)


def _write_baseline(path: Path, findings: list[Finding], quiet: bool) -> None:
    try:
        count = baseline.write(path, findings)
    except BaselineError as exc:
        click.echo(f"api-hardening-lint: baseline error: {exc}", err=True)
        sys.exit(EXIT_ERROR)

    if not quiet:
        entries = f"{count} finding{'s' if count != 1 else ''}"
        click.echo(f"Recorded {entries} in the baseline {path.as_posix()}.", err=True)


def _run_with_progress(
    files: list, config: Config, jobs: int | None, use_cache: bool, quiet: bool
) -> RunResult:
    show = not quiet and len(files) >= _PROGRESS_MIN_FILES and sys.stderr.isatty()
    if not show:
        return run(files, config, jobs=jobs, use_cache=use_cache)

    with click.progressbar(length=len(files), label="Checking", file=sys.stderr) as bar:
        return run(files, config, jobs=jobs, use_cache=use_cache, progress=bar.update)


def _summary(result: RunResult, baselined: int) -> dict:
    counts = severity_counts(result.findings)
    summary = {
        "files": result.files,
        "findings": len(result.findings),
        **{level.label: count for level, count in counts.items()},
    }
    if baselined:
        summary["baselined"] = baselined
    return summary


def _summary_line(result: RunResult, baselined: int, fixed: int | None = None) -> str:
    files = f"{result.files} file{'s' if result.files != 1 else ''} checked"
    hidden = f"; {baselined} in the baseline not shown" if baselined else ""
    done = ""
    if fixed is not None:
        done = f"Fixed {fixed} finding{'s' if fixed != 1 else ''}; "
    if not result.findings:
        remaining = "none remain" if fixed is not None else "No findings"
        return f"{done}{remaining}; {files}{hidden}."

    counts = severity_counts(result.findings)
    parts = ", ".join(f"{n} {level.label}" for level, n in counts.items() if n)
    total = len(result.findings)
    verb = f"{total} remain" if fixed is not None else f"Found {total}"
    found = f"{verb} finding{'s' if total != 1 else ''} ({parts})"
    return f"{done}{found}; {files}{hidden}{_fixable(result.findings)}."


def _fixable(findings: list[Finding]) -> str:
    edits = [f.fix.safety for f in findings if f.fix is not None and f.fix.is_edit]
    if not edits:
        return ""

    safe = edits.count(SAFE)
    unsafe = len(edits) - safe
    parts = []
    if safe:
        parts.append(f"{safe} fixable with --fix")
    if unsafe:
        parts.append(f"{unsafe} with --fix --unsafe-fixes")
    return "; " + ", ".join(parts)


def _print(
    result: RunResult,
    output_format: str,
    colour: bool | None,
    quiet: bool,
    files: list[str],
    baselined: int,
    *,
    show_fixes: bool = False,
    fixed: int | None = None,
) -> None:
    findings = result.findings
    if output_format in ("text", "concise"):
        use_colour = bool(colour) if colour is not None else sys.stdout.isatty()
        for line in output.render_text(
            findings,
            colour=use_colour,
            concise=output_format == "concise",
            show_fixes=show_fixes,
        ):
            click.echo(line, color=colour)
        if not quiet:
            click.echo(_summary_line(result, baselined, fixed))
        return

    if output_format == "json":
        click.echo(output.render_json(findings, _summary(result, baselined)))
    elif output_format == "sarif":
        click.echo(output.render_sarif(findings))
    elif output_format == "github":
        for line in output.render_github(findings):
            click.echo(line)
    elif output_format == "junit":
        click.echo(output.render_junit(findings, files))
    elif output_format == "gitlab":
        click.echo(output.render_gitlab(findings))
    if not quiet:
        click.echo(_summary_line(result, baselined, fixed), err=True)


@main.command("rules")
def list_rules() -> None:
    """List every rule with its severity, confidence and autofix."""
    entries = list(catalogue().values())
    width = max(len(entry.name) for entry in entries)
    click.echo(
        f"{'code':<7} {'name':<{width}} {'severity':<8} {'confidence':<10} autofix"
    )
    for entry in entries:
        click.echo(
            f"{entry.id:<7} {entry.name:<{width}} {entry.severity.label:<8} "
            f"{entry.confidence.label:<10} {entry.autofix}"
        )


def docs_dir() -> Path:
    """Return the folder of rule pages, installed or in a checkout."""
    installed = catalogue_dir().parent / "_docs"
    if installed.is_dir():
        return installed
    return catalogue_dir().parent / "docs" / "rules"


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Print the documentation page of rule CODE."""
    code = code.strip().upper()
    entries = catalogue()
    if code not in entries:
        by_name = {entry.name: entry.id for entry in entries.values()}
        if code.lower() not in by_name:
            click.echo(
                f"api-hardening-lint: no rule {code}; see 'api-hardening-lint rules'",
                err=True,
            )
            sys.exit(EXIT_ERROR)
        code = by_name[code.lower()]

    page = docs_dir() / f"{code}.md"
    try:
        click.echo(page.read_text(encoding="utf-8"), nl=False)
    except OSError:
        entry = entries[code]
        click.echo(
            f"# {entry.id} {entry.name}\n\n{entry.summary}.\n\n"
            f"Why: {entry.rationale}.\n\nFix: {entry.fix}."
        )
