"""The flake8 plugin: reports ``AHL`` codes for the file flake8 is checking."""

from __future__ import annotations

import argparse
import codecs
import logging
import multiprocessing
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from api_hardening_lint import __version__
from api_hardening_lint.config import ConfigError
from api_hardening_lint.plugins import common
from api_hardening_lint.registry import catalogue

logger = logging.getLogger("flake8.api_hardening_lint")

_STDIN_NAMES = ("-", "stdin")
# PEP 263: the encoding declaration must be on line 1 or 2.
_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


class Flake8Plugin:
    """Run the engine on one file flake8 has read, and yield its findings."""

    name = "api-hardening-lint"
    version = __version__

    # Codes flake8 would report, from its --select/--ignore options; None
    # when flake8 did not pass its options (the plugin used on its own).
    _selected: ClassVar[frozenset[str] | None] = None
    _stdin_display_name: ClassVar[str] = "stdin"

    # flake8 passes arguments by these names; the AST it built is not used,
    # since the engine works on libcst's tree, but asking for it is what
    # makes flake8 run the plugin once per file.
    def __init__(self, tree: Any, filename: str, lines: list[str]) -> None:
        self.filename = filename
        self.lines = lines

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        """Remember which codes flake8 reports and prepare the project index."""
        cls._selected = _selected_codes(options)
        cls._stdin_display_name = getattr(options, "stdin_display_name", "stdin")
        if not cls._selected:
            logger.debug("no AHL code is selected; the plugin will do nothing")
            return

        # flake8 starts its worker processes after this; with the fork start
        # method they inherit the index built here, so it is built once for
        # the run, with as many processes as flake8 itself uses.
        if multiprocessing.parent_process() is None:
            _prepare_projects(
                getattr(options, "filenames", None) or ["."], _jobs(options)
            )

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        """Yield ``(line, column, message, type)`` for each finding."""
        if self._selected is not None and not self._selected:
            return

        path, on_disk = self._path()
        try:
            config = common.config_for(path.parent)
        except ConfigError as exc:
            from flake8.exceptions import ExecutionError

            # flake8 prints this and stops, as the CLI does on bad settings.
            raise ExecutionError(
                f"api-hardening-lint: configuration error: {exc}"
            ) from None

        project = common.project_for(config, path if on_disk else None)
        display = common.display_path(path, config)
        source = _encode(self.lines)
        started = time.perf_counter()
        selected = None if self._selected is None else self._selected.__contains__
        findings = common.analyze(
            display, source, config, project, selected=selected, apply_noqa=False
        )
        logger.debug(
            "%s: %d findings in %.3f s",
            display,
            len(findings),
            time.perf_counter() - started,
        )
        for finding in findings:
            yield (
                finding.line,
                finding.column,
                common.concise_message(finding),
                type(self),
            )

    def _path(self) -> tuple[Path, bool]:
        """Return the file's path and whether it names a file on disk.

        Text read from stdin has flake8's ``--stdin-display-name`` as its
        name; editors pass the real path there, which finds the settings.
        """
        name = self.filename
        if name in _STDIN_NAMES:
            name = self._stdin_display_name
        if name in _STDIN_NAMES:
            return Path.cwd() / "stdin.py", False

        path = Path(name)
        return path, path.is_file()


def _selected_codes(options: argparse.Namespace) -> frozenset[str] | None:
    """Return the catalogue codes flake8's --select and --ignore let through."""
    try:
        from flake8.style_guide import Decision, DecisionEngine

        decide = DecisionEngine(options)
    except (ImportError, AttributeError, TypeError):
        logger.debug("cannot read flake8's selection; every code will run")
        return None

    return frozenset(
        code for code in catalogue() if decide.decision_for(code) is Decision.Selected
    )


def _jobs(options: argparse.Namespace) -> int:
    jobs = getattr(options, "jobs", None)
    if jobs is None or getattr(jobs, "is_auto", True):
        return os.cpu_count() or 1
    return max(getattr(jobs, "n_jobs", 1), 1)


def _prepare_projects(paths: list[str], jobs: int) -> None:
    """Build the project index of each project named on the command line."""
    for name in paths:
        path = Path(name)
        if name in _STDIN_NAMES or not path.exists():
            continue

        try:
            config = common.config_for(path if path.is_dir() else path.parent)
            if common.has_project(config):
                common.project_for(config, jobs=jobs)
        except Exception as exc:  # the per-file run reports it where it belongs
            logger.debug("could not prepare the project index for %s: %s", name, exc)


def _encode(lines: list[str]) -> bytes:
    """Return the file's bytes again, in the encoding the file declares.

    flake8 decoded the file with its encoding declaration; the engine reads
    the declaration itself, so the bytes must agree with it.
    """
    encoding = "utf-8"
    for line in lines[:2]:
        match = _CODING.match(line)
        if match:
            try:
                encoding = codecs.lookup(match.group(1)).name
            except LookupError:
                pass
            break
    return "".join(lines).encode(encoding, "replace")
