"""Apply the fixes rules attach to findings, and write files without losing data."""

from __future__ import annotations

import ast
import difflib
import logging
import os
import stat
import tempfile
import warnings
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from api_hardening_lint.config import Config
from api_hardening_lint.engine import analyze_source
from api_hardening_lint.positions import node_ranges
from api_hardening_lint.project import EMPTY_INDEX, ProjectIndex
from api_hardening_lint.rule import SAFE, UNSAFE, Finding

logger = logging.getLogger(__name__)

# Fixes whose nodes overlap wait for the next pass, which starts from a fresh
# parse; three passes cover every chain the rules can produce.
MAX_PASSES = 3


class FixError(Exception):
    """A file could not be fixed or written; the message names what and why."""


@dataclass
class FixOutcome:
    """What fixing one file's text produced."""

    path: str
    original: bytes
    source: bytes
    encoding: str = "utf-8"
    fixed: list[Finding] = field(default_factory=list)
    dropped: list[Finding] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.source != self.original


def safeties(unsafe: bool) -> frozenset[str]:
    """Return the fix safeties to apply: safe ones, and unsafe ones if asked."""
    return frozenset((SAFE, UNSAFE)) if unsafe else frozenset((SAFE,))


def is_fixable(finding: Finding, allowed: Collection[str]) -> bool:
    """Tell whether ``finding`` has an edit of one of the ``allowed`` safeties."""
    return finding.fix is not None and finding.fix.safety in allowed


class _Replacer(cst.CSTTransformer):
    def __init__(self, table: dict[int, object]) -> None:
        super().__init__()
        self.table = table

    def on_leave(self, original_node, updated_node):
        replacement = self.table.get(id(original_node))
        if replacement is None:
            return updated_node

        if callable(replacement):
            return replacement(updated_node)
        return replacement


def _overlaps(first: tuple, second: tuple) -> bool:
    return first[0] < second[1] and second[0] < first[1]


def apply_edits(
    module: cst.Module, findings: list[Finding], allowed: Collection[str]
) -> tuple[cst.Module, list[Finding], list[Finding]]:
    """Apply the fixes of ``findings`` that do not overlap; return the new module.

    Fixes are taken in source order; one whose nodes overlap a fix already
    taken is returned as deferred, for a pass over the fixed text.
    """
    chosen = [f for f in findings if is_fixable(f, allowed) and f.fix.replacements]
    if not chosen:
        return module, [], []

    olds = [old for f in chosen for old, _ in f.fix.replacements]
    ranges = node_ranges(module, olds)
    taken: list[tuple] = []
    accepted: list[Finding] = []
    deferred: list[Finding] = []
    for finding in sorted(chosen, key=lambda f: f.sort_key):
        spans = [ranges[id(old)] for old, _ in finding.fix.replacements]
        if any(_overlaps(span, other) for span in spans for other in taken):
            deferred.append(finding)
            continue

        taken.extend(spans)
        accepted.append(finding)

    table = {id(old): new for f in accepted for old, new in f.fix.replacements}
    fixed = module.visit(_Replacer(table))
    imports = sorted({name for f in accepted for name in f.fix.imports})
    if imports:
        # The codemod context is only built here, never on a plain check.
        context = CodemodContext()
        for name in imports:
            module_name, _, obj = name.partition(":")
            AddImportsVisitor.add_needed_import(context, module_name, obj or None)
        fixed = AddImportsVisitor(context).transform_module(fixed)
    return fixed, accepted, deferred


def _parses(source: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
        cst.parse_module(source)
    except (SyntaxError, ValueError, RecursionError, cst.ParserSyntaxError):
        return False
    return True


def fix_source(
    path: str,
    source: bytes,
    config: Config,
    allowed: Collection[str],
    *,
    project: ProjectIndex = EMPTY_INDEX,
    keep: Callable[[Finding], bool] | None = None,
) -> FixOutcome:
    """Fix one file's text in memory, in passes, until no allowed fix is left.

    ``keep`` tells which findings may be fixed (a baseline drops the ones it
    accepted). A pass whose result does not parse is dropped with a warning
    and the text stays as the previous pass left it.
    """
    outcome = FixOutcome(path=path, original=source, source=source)
    for _ in range(MAX_PASSES):
        report = analyze_source(
            path, outcome.source, config, project=project, keep_edits=True
        )
        if report.module is None:
            return outcome

        outcome.encoding = report.module.encoding
        findings = [f for f in report.findings if keep is None or keep(f)]
        try:
            module, accepted, deferred = apply_edits(report.module, findings, allowed)
            new = module.bytes if accepted else outcome.source
        except RecursionError:
            # libcst's transformer recurses once per level of nesting.
            logger.warning("not fixed %s: it is nested too deeply to rewrite", path)
            return outcome

        if not accepted:
            return outcome

        if not _parses(new):
            logger.warning(
                "dropped %d fixes for %s: the fixed code would not parse; the file"
                " is left as it was",
                len(accepted),
                path,
            )
            outcome.dropped.extend(accepted)
            return outcome

        outcome.fixed.extend(accepted)
        outcome.source = new
        if not deferred:
            return outcome
    return outcome


def write_fixed(path: Path, original: bytes, new: bytes) -> None:
    """Replace ``path``'s bytes ``original`` with ``new`` atomically.

    The new text goes to a temporary file in the same folder, takes the
    file's permissions and then replaces it; a link is followed, not
    replaced. Raises :class:`FixError` when the file changed since it was
    read or cannot be written; the file is then untouched.
    """
    target = Path(os.path.realpath(path))
    try:
        if target.read_bytes() != original:
            raise FixError(f"not fixed {path}: it changed since it was read")

        mode = stat.S_IMODE(os.stat(target).st_mode)
        fd, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
    except OSError as exc:
        raise FixError(f"not fixed {path}: {exc.strerror or exc}") from None

    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(new)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise FixError(f"not fixed {path}: {exc.strerror or exc}") from None


def unified_diff(outcome: FixOutcome) -> str:
    """Return the change as a unified diff, headed by the fixes it applies."""

    def lines(data: bytes) -> list[str]:
        return data.decode(outcome.encoding, "replace").splitlines(keepends=True)

    header = [
        f"# {f.path}:{f.line}:{f.column + 1}: {f.rule_id} ({f.fix.safety} fix)"
        f" {f.fix.description}\n"
        for f in outcome.fixed
    ]
    body = difflib.unified_diff(
        lines(outcome.original),
        lines(outcome.source),
        fromfile=f"a/{outcome.path}",
        tofile=f"b/{outcome.path}",
    )
    text = "".join(header) + "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
        for line in body
    )
    return text
