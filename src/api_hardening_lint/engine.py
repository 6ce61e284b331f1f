"""Analyze files: triggers, one parse, one traversal for all rules, positions last."""

from __future__ import annotations

import ast
import dataclasses
import itertools
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import libcst as cst

from api_hardening_lint import noqa
from api_hardening_lint.config import Config
from api_hardening_lint.context import Bindings, FileContext, collect_module_bindings
from api_hardening_lint.diagnostics import (
    NOT_TEXT,
    PARSE_ERROR,
    RULE_CRASHED,
    TOO_LARGE,
    diagnostic,
)
from api_hardening_lint.positions import node_ranges
from api_hardening_lint.project import EMPTY_INDEX, FactCollector, ProjectIndex
from api_hardening_lint.registry import rule_classes
from api_hardening_lint.rule import (
    FileReport,
    Finding,
    Fix,
    PendingReport,
    Related,
    Rule,
    fingerprint,
)
from api_hardening_lint.walker import Handler, node_types_by_name, walk

logger = logging.getLogger(__name__)

_NODE_TYPES = node_types_by_name()
# Thresholds that send a file to CPython's parser before libcst's; both are
# far beyond what hand-written code reaches.
_LONG_LINE = 5_000
_DEEP_BRACKETS = 100
# Longest line a fix may rewrite; see _too_deep_to_rewrite.
_REWRITE_LONG_LINE = 1_000
_BRACKET_STEP = {ord(c): 1 for c in "([{"} | {ord(c): -1 for c in ")]}"}
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _BRACKET_STEP)
_HANDLER_NAMES: dict[type, list[tuple[str, type, bool]]] = {}
# A reported node up to this many lines long is fingerprinted by all its
# lines; a longer one (a whole function) by its first, so that editing its
# body keeps the finding's identity.
_FINGERPRINT_LINES = 5


def enabled_rules(config: Config) -> list[type[Rule]]:
    """Return the rule classes the configuration selects."""
    return [cls for cls in rule_classes() if config.is_enabled(cls.id)]


def analyze_source(
    path: str,
    source: bytes,
    config: Config,
    rules: list[type[Rule]] | None = None,
    *,
    project: ProjectIndex = EMPTY_INDEX,
    collectors: list[type[FactCollector]] = (),
    apply_noqa: bool = True,
    keep_edits: bool = False,
) -> FileReport:
    """Analyze one file's bytes and return its findings, sorted.

    ``path`` is used for reporting and for path-based facts (test files,
    settings modules); the file is never read again from disk. ``project``
    holds the facts of the other files, see :mod:`api_hardening_lint.project`;
    ``collectors`` gather this file's own facts from the same parse, into
    ``report.facts``.
    ``keep_edits`` keeps the parsed module on the report and each fix's node
    replacements on its finding, for :mod:`api_hardening_lint.fixer`; without
    it fixes carry only their description and safety.
    """
    report = FileReport(path=path, lines=source.count(b"\n"))
    if noqa.has_skip_file(source):
        logger.info("skipped %s: it has a skip-file comment", path)
        return report

    # Text a rule could report on comes first: a file no rule wants is not
    # looked at further, whatever its size or bytes.
    if rules is None:
        rules = enabled_rules(config)
    active = [cls for cls in rules if cls.wants(source)]
    collecting = [c for c in collectors if c.wants(source, path)]
    if not active and not collecting:
        return report

    if len(source) > config.max_file_size_kb * 1024:
        size = f"{len(source) / (1024 * 1024):.1f} MiB"
        detail = (
            f"{size} is over the {config.max_file_size_kb} KiB limit; raise"
            " max-file-size-kb to analyze it"
        )
        report.findings.append(diagnostic(path, TOO_LARGE, detail))
        return _filter(report, config, source, apply_noqa)

    if b"\0" in source:
        line = source[: source.index(b"\0")].count(b"\n") + 1
        detail = (
            f"it contains a NUL byte at line {line},"
            " so it is probably not Python source"
        )
        report.findings.append(diagnostic(path, NOT_TEXT, detail, line))
        return _filter(report, config, source, apply_noqa)

    module = _parse(path, source, report)
    if module is None:
        return _filter(report, config, source, apply_noqa)

    report.parsed = True
    if keep_edits:
        report.module = module
    context = _context(path, source, module, config, project)
    if collecting:
        report.facts = _collect(context, collecting)
    if not active:
        return report

    instances = [cls(context) for cls in active]
    crashed: dict[str, BaseException] = {}
    _run_rules(module, context, instances, crashed)

    report.questions = {
        rule.id: [[list(q), a] for q, a in rule.asked.items()]
        for rule in instances
        if rule.asked
    }
    pending = [(rule, item) for rule in instances for item in rule.reports]
    has_fixes = any(item.fix is not None for _, item in pending)
    if has_fixes and _too_deep_to_rewrite(source):
        # libcst's transformer recurses once per level of nesting, so such a
        # file cannot be rewritten: its fixes become advice.
        logger.info("refused fixes in %s: it is nested too deeply to rewrite", path)
        for _, item in pending:
            if item.fix is not None:
                item.fix = Fix(item.fix.description)
    if pending:
        report.findings.extend(_resolve(path, module, pending, keep_edits))

    for rule_id, exc in crashed.items():
        detail = (
            f"rule {rule_id} failed on this file ({type(exc).__name__}: {exc}), so"
            " its findings here may be missing; the other rules' findings are kept"
        )
        report.findings.append(diagnostic(path, RULE_CRASHED, detail))

    ran = None if crashed else [cls.id for cls in rules]
    return _filter(report, config, source, apply_noqa, ran)


def _context(
    path: str, source: bytes, module: cst.Module, config: Config, project: ProjectIndex
) -> FileContext:
    bindings = Bindings()
    collect_module_bindings(module, bindings)
    return FileContext(
        path=path,
        source=source,
        module=module,
        bindings=bindings,
        options=config.rule_options(),
        project=project,
    )


def fact_collectors(rules: list[type[Rule]]) -> list[type[FactCollector]]:
    """Return the collectors the given rules read, each once, by name."""
    unique = {collector.name: collector for cls in rules for collector in cls.facts}
    return [unique[name] for name in sorted(unique)]


def collect_facts(
    path: str, source: bytes, config: Config, collectors: list[type[FactCollector]]
) -> dict[str, Any]:
    """Return ``{collector name: data}`` for one file; empty when it has none."""
    return analyze_source(path, source, config, [], collectors=collectors).facts


def _collect(context: FileContext, collectors: list[type[FactCollector]]) -> dict:
    facts = {}
    for collector in collectors:
        try:
            data = collector.collect(context)
        except Exception:  # a broken collector must not stop the run
            logger.warning(
                "could not collect %s facts from %s", collector.name, context.path
            )
            logger.debug("collector %s failed", collector.name, exc_info=True)
            continue
        if data is not None:
            facts[collector.name] = data
    return facts


def _looks_pathological(source: bytes) -> bool:
    """Tell whether a file might nest deeply enough to crash libcst's parser.

    libcst's native parser overflows its stack (and kills the process) on
    expressions nested thousands deep, which CPython itself refuses. Such
    nesting needs either deep brackets or a very long line, both cheap to
    spot; only then is CPython's parser asked first.
    """
    if max(map(len, source.split(b"\n"))) > _LONG_LINE:
        return True

    brackets = source.translate(None, _NOT_BRACKETS)
    if len(brackets) <= _DEEP_BRACKETS:
        return False

    return (
        max(itertools.accumulate(_BRACKET_STEP[b] for b in brackets)) > _DEEP_BRACKETS
    )


def _too_deep_to_rewrite(source: bytes) -> bool:
    # A chain such as ``a.b.b.b...`` needs no brackets to nest deeply, and
    # libcst's transformer recurses once per level, unlike the engine's walk.
    if max(map(len, source.split(b"\n"))) > _REWRITE_LONG_LINE:
        return True

    return _looks_pathological(source)


@contextmanager
def _parser_nodes() -> Iterator[None]:
    """Build nodes without libcst's per-node checks while the parser runs.

    Each node checks its own fields as it is made (whitespace around keywords,
    brackets that pair up). Nodes the parser makes from valid source pass them
    by construction, and the checks cost about a sixth of parsing. Nodes made
    anywhere else, as fixes make them, are still checked.
    """
    checks = cst.CSTNode.__post_init__
    cst.CSTNode.__post_init__ = _unchecked
    try:
        yield
    finally:
        cst.CSTNode.__post_init__ = checks


def _unchecked(node: cst.CSTNode) -> None:
    return None


def _parse(path: str, source: bytes, report: FileReport) -> cst.Module | None:
    if _looks_pathological(source):
        try:
            ast.parse(source)
        except SyntaxError as exc:
            detail = f"{exc.msg} (line {exc.lineno})"
            report.findings.append(
                diagnostic(path, PARSE_ERROR, detail, exc.lineno or 1)
            )
            return None
        except (RecursionError, MemoryError, ValueError):
            detail = "it is nested too deeply for Python's parser"
            report.findings.append(diagnostic(path, PARSE_ERROR, detail))
            return None

    try:
        with _parser_nodes():
            return cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        line, column, message = _explain_syntax_error(source, exc)
        detail = f"{message} (line {line}, column {column + 1})"
        report.findings.append(diagnostic(path, PARSE_ERROR, detail, line, column))
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        detail = f"its bytes cannot be decoded as declared ({exc})"
        report.findings.append(diagnostic(path, NOT_TEXT, detail))
    return None


def _explain_syntax_error(
    source: bytes, exc: cst.ParserSyntaxError
) -> tuple[int, int, str]:
    """Return where and why a file does not parse, in CPython's words if it can.

    libcst lists every token it expected; CPython says "'(' was never closed".
    This runs only for files that failed to parse.
    """
    try:
        ast.parse(source)
    except SyntaxError as python_error:
        if python_error.lineno:
            column = max((python_error.offset or 1) - 1, 0)
            return python_error.lineno, column, python_error.msg
    except (RecursionError, MemoryError, ValueError):
        pass

    message = exc.message.strip().splitlines()[0] if exc.message else "invalid syntax"
    return exc.raw_line, exc.raw_column, message


def _handler_names(cls: type[Rule]) -> list[tuple[str, type, bool]]:
    names = _HANDLER_NAMES.get(cls)
    if names is None:
        names = []
        for attr in dir(cls):
            prefix, _, node_name = attr.partition("_")
            if prefix in ("visit", "leave") and node_name in _NODE_TYPES:
                names.append((attr, _NODE_TYPES[node_name], prefix == "leave"))
        _HANDLER_NAMES[cls] = names
    return names


def _run_rules(
    module: cst.Module,
    context: FileContext,
    instances: list[Rule],
    crashed: dict[str, BaseException],
) -> None:
    bindings = context.bindings

    def track_assign(node: cst.Assign) -> None:
        bindings.add_assignment([t.target for t in node.targets], node.value)

    def track_ann_assign(node: cst.AnnAssign) -> None:
        if node.value is not None:
            bindings.add_assignment([node.target], node.value)

    # Imports and assignments inside functions bind names too; these run
    # before any rule sees the node.
    on_visit: dict[type, list[Handler]] = {
        cst.Import: [bindings.add_import],
        cst.ImportFrom: [bindings.add_import],
        cst.Assign: [track_assign],
        cst.AnnAssign: [track_ann_assign],
    }
    on_leave: dict[type, list[Handler]] = {}
    for rule in instances:
        for attr, node_type, leaving in _handler_names(type(rule)):
            table = on_leave if leaving else on_visit
            table.setdefault(node_type, []).append(getattr(rule, attr))

    def on_error(handler: Handler, exc: BaseException) -> None:
        owner = getattr(handler, "__self__", None)
        if not isinstance(owner, Rule):
            raise exc

        logger.debug("rule %s raised on %s", owner.id, context.path, exc_info=exc)
        crashed.setdefault(owner.id, exc)
        for table in (on_visit, on_leave):
            for handlers in table.values():
                handlers[:] = [
                    h for h in handlers if getattr(h, "__self__", None) is not owner
                ]

    walk(module, on_visit, on_leave, context.ancestors, on_error)


def _resolve(
    path: str,
    module: cst.Module,
    pending: list[tuple[Rule, PendingReport]],
    keep_edits: bool = False,
) -> list[Finding]:
    started = time.perf_counter()
    wanted = [item.node for _, item in pending]
    wanted += [node for _, item in pending for node, _ in item.related]
    ranges = node_ranges(module, wanted)

    findings = []
    for rule, item in pending:
        (line, column), (end_line, end_column) = ranges[id(item.node)]
        related = tuple(
            Related(*ranges[id(node)][0], text) for node, text in item.related
        )
        fix = item.fix
        if fix is not None and fix.replacements and not keep_edits:
            # Nodes and callables must not reach the cache or worker pipes.
            fix = dataclasses.replace(fix, replacements=())
        findings.append(
            Finding(
                path=path,
                line=line,
                column=column,
                end_line=end_line,
                end_column=end_column,
                rule_id=rule.id,
                rule_name=rule.name,
                message=item.message,
                severity=item.severity,
                confidence=item.confidence,
                related=related,
                fix=fix,
            )
        )
    logger.debug(
        "positions for %s in %.1f ms", path, (time.perf_counter() - started) * 1e3
    )
    return findings


def _filter(
    report: FileReport,
    config: Config,
    source: bytes,
    apply_noqa: bool,
    ran: list[str] | None = None,
) -> FileReport:
    """Drop what configuration and noqa comments silence; fingerprint the rest.

    ``ran`` names the rules that analyzed the whole file: only then can its
    noqa comments be judged unused.
    """
    relpath = config.relative(report.path)
    lines = _lines(source) if report.findings else []
    findings = _fingerprinted(report.findings, relpath, lines)
    if apply_noqa and ran is not None:
        found = [(f.line, f.rule_id) for f in findings]
        unused = [
            diagnostic(report.path, noqa.UNUSED_NOQA, ", ".join(codes), line, column)
            for line, column, codes in noqa.unused_codes(source, found, ran)
        ]
        if unused and not lines:
            lines = _lines(source)
        report.unused_noqa = [
            f
            for f in _fingerprinted(unused, relpath, lines)
            if not config.ignored_in(f.rule_id, relpath)
        ]

    kept = []
    for finding in findings:
        if config.ignored_in(finding.rule_id, relpath):
            continue

        if not finding.rule_id.startswith("AHL0") and (
            finding.severity < config.min_severity
            or finding.confidence < config.min_confidence
        ):
            continue

        index = finding.line - 1
        if (
            apply_noqa
            and 0 <= index < len(lines)
            and noqa.is_suppressed(finding.rule_id, lines[index])
        ):
            continue

        kept.append(finding)
    report.findings = kept
    return report


def _lines(source: bytes) -> list[str]:
    return source.decode("utf-8", "replace").splitlines()


def _fingerprinted(
    findings: list[Finding], relpath: str, lines: list[str]
) -> list[Finding]:
    """Return ``findings`` sorted, each with its stable fingerprint."""
    seen: dict[tuple[str, str], int] = {}
    result = []
    for finding in sorted(findings, key=lambda f: f.sort_key):
        end = finding.end_line
        if end - finding.line >= _FINGERPRINT_LINES:
            end = finding.line
        code = " ".join(" ".join(lines[finding.line - 1 : end]).split())
        occurrence = seen.get((finding.rule_id, code), 0)
        seen[(finding.rule_id, code)] = occurrence + 1
        result.append(
            dataclasses.replace(
                finding,
                fingerprint=fingerprint(finding.rule_id, relpath, code, occurrence),
            )
        )
    return result
