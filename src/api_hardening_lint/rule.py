"""The rule base class and the findings rules produce."""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Union

if TYPE_CHECKING:
    import libcst as cst

    from api_hardening_lint.context import FileContext
    from api_hardening_lint.project import FactCollector, ProjectIndex

Trigger = bytes | re.Pattern[bytes]
# What replaces a node: the new node, or a function building it from the node
# as the transformer sees it, called only when fixes are applied.
Replacement = Union["cst.CSTNode", Callable[["cst.CSTNode"], "cst.CSTNode"]]
SAFE = "safe"
UNSAFE = "unsafe"
SUGGESTION = "none"


def text_matches(triggers: tuple[Trigger, ...], source: bytes) -> bool:
    """Tell whether any trigger occurs in ``source``; no triggers match all.

    Patterns are fastest when they start with literal text, so a pattern for
    the start of a line starts with a newline instead of ``^``; it also
    matches at the start of the text.
    """
    if not triggers:
        return True

    for trigger in triggers:
        if isinstance(trigger, bytes):
            if trigger in source:
                return True
        elif trigger.search(source):
            return True
        elif trigger.pattern[:2] == rb"\n" and trigger.match(b"\n" + source[:_HEAD]):
            return True
    return False


# How much of the text a line-start pattern is tried on at the very start.
_HEAD = 4096


class Level(enum.IntEnum):
    """An ordered grade shared by severity and confidence."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Level:
        """Return the level named by ``text`` (``low``, ``medium`` or ``high``)."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(
                f"{text!r} is not a level; use low, medium or high"
            ) from None


Severity = Level
Confidence = Level


@dataclass(frozen=True)
class Related:
    """A second place that explains a finding, such as the write behind it."""

    line: int
    column: int
    message: str


@dataclass(frozen=True)
class Fix:
    """A change that removes a finding, or advice where no edit is right.

    Attributes:
        description: One imperative line saying what the change does.
        safety: ``safe`` when a correct deployment behaves the same after it,
            ``unsafe`` when a person must finish or check it, ``none`` when
            the fix is advice only.
        replacements: ``(old node, replacement)`` pairs, matched by identity
            in the parsed module; empty for advice, and dropped from findings
            unless the engine is asked to keep edits.
        imports: What the new code needs imported: ``"os"`` for ``import os``,
            ``"module:name"`` for ``from module import name``.
    """

    description: str
    safety: str = SUGGESTION
    replacements: tuple[tuple[cst.CSTNode, Replacement], ...] = field(
        default=(), compare=False, repr=False
    )
    imports: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def is_edit(self) -> bool:
        """Tell whether the fix changes code rather than only advising."""
        return self.safety in (SAFE, UNSAFE)

    def to_dict(self) -> dict:
        return {"description": self.description, "safety": self.safety}


@dataclass(frozen=True)
class Finding:
    """One weakness found at one place in one file.

    Lines are 1-based and columns 0-based, as flake8 and Python's own
    tracebacks count them; ``end_line``/``end_column`` close the range.
    ``fingerprint`` names the finding by rule, file and flagged code, not by
    line, so it stays the same when lines move (see :func:`fingerprint`).
    """

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    rule_id: str
    rule_name: str
    message: str
    severity: Level
    confidence: Level
    related: tuple[Related, ...] = ()
    fingerprint: str = ""
    fix: Fix | None = None

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.rule_id, self.message)

    def to_dict(self) -> dict:
        """Return the finding as plain JSON-ready data."""
        data = {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "rule_id": self.rule_id,
            "rule_name": self.rule_name,
            "message": self.message,
            "severity": self.severity.label,
            "confidence": self.confidence.label,
            "related": [
                {"line": r.line, "column": r.column, "message": r.message}
                for r in self.related
            ],
            "fingerprint": self.fingerprint,
        }
        if self.fix is not None:
            data["fix"] = self.fix.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        """Rebuild a finding from :meth:`to_dict` output."""
        return cls(
            path=data["path"],
            line=data["line"],
            column=data["column"],
            end_line=data["end_line"],
            end_column=data["end_column"],
            rule_id=data["rule_id"],
            rule_name=data["rule_name"],
            message=data["message"],
            severity=Level.parse(data["severity"]),
            confidence=Level.parse(data["confidence"]),
            related=tuple(Related(**r) for r in data.get("related", ())),
            fingerprint=data.get("fingerprint", ""),
            fix=Fix(**data["fix"]) if data.get("fix") else None,
        )


def fingerprint(rule_id: str, path: str, code: str, occurrence: int = 0) -> str:
    """Return a stable hash naming a finding by rule, file and flagged code.

    ``path`` should be relative to the project root and ``code`` the text of
    the flagged lines; runs of whitespace count as one space. ``occurrence``
    tells apart identical code flagged by the same rule in the same file.
    Only the hash leaves this function, never the code, which may hold a
    secret.
    """
    normalised = " ".join(code.split())
    data = "\0".join((rule_id, path, normalised, str(occurrence)))
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass
class FileReport:
    """What analyzing one file produced."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    lines: int = 0
    parsed: bool = False
    # AHL006 findings: noqa comments that silenced nothing; reported on request.
    unused_noqa: list[Finding] = field(default_factory=list)
    # Project facts collected from this file, by collector name.
    facts: dict = field(default_factory=dict)
    # The questions rules asked about the project, with the answers they got,
    # by rule id: ``[[question, answer], ...]``. A run that first analyzes a
    # file without the project's facts looks again only if an answer changes.
    questions: dict = field(default_factory=dict)
    # Whether this run analyzed the file, rather than reading the cache.
    fresh: bool = field(default=False, compare=False)
    # The parsed module, kept only when the engine is asked to keep edits.
    module: cst.Module | None = field(default=None, repr=False, compare=False)


def severity_counts(findings: list[Finding]) -> dict[Level, int]:
    """Count findings per severity, highest first."""
    counts = {level: 0 for level in sorted(Level, reverse=True)}
    for finding in findings:
        counts[finding.severity] += 1
    return counts


@dataclass
class PendingReport:
    """A finding whose position is computed only once the traversal ends."""

    node: cst.CSTNode
    message: str
    severity: Level
    confidence: Level
    related: list[tuple[cst.CSTNode, str]] = field(default_factory=list)
    fix: Fix | None = None


class Rule:
    """A detection that runs as part of the engine's single traversal.

    Subclasses set :attr:`id` and :attr:`triggers` and define libcst-style
    ``visit_<Node>`` / ``leave_<Node>`` methods. Everything a user reads about
    the rule (name, summary, rationale, fix, severity, confidence) comes from
    its catalogue entry in ``rules/<id>.toml``, filled in by the registry.

    Attributes:
        id: Stable identifier, ``AHL`` and three digits.
        triggers: Byte strings or compiled byte regexes, of which at least one
            must occur in a file's text for the rule to run on it; an empty
            tuple means always run. A file no enabled rule wants is never
            parsed, so a tight trigger is the cheapest speed-up there is.
        name: Kebab-case name that says what is wrong.
        summary: One line: what was found.
        rationale: One line: why it matters.
        fix: One line, imperative: what to write instead.
        severity: Default severity of a finding.
        confidence: Default confidence of a finding.
        facts: Collectors of project-wide facts the rule reads; they run
            over every file before the analysis.

    A rule with facts reads them only through :meth:`ask`, so that the runner
    can analyze each file once, before the project's facts are known, and
    look again only at the files where an answer would differ.
    """

    id: ClassVar[str]
    triggers: ClassVar[tuple[Trigger, ...]] = ()
    facts: ClassVar[tuple[type[FactCollector], ...]] = ()

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    rationale: ClassVar[str] = ""
    fix: ClassVar[str] = ""
    severity: ClassVar[Level] = Level.MEDIUM
    confidence: ClassVar[Level] = Level.HIGH

    def __init__(self, context: FileContext) -> None:
        self.context = context
        self.reports: list[PendingReport] = []
        self.asked: dict[tuple, Any] = {}

    @classmethod
    def answer(cls, project: ProjectIndex, question: tuple) -> Any:
        """Answer ``question`` from the project's facts.

        Rules with :attr:`facts` override this. A question is a tuple of
        strings; the answer must be JSON data (None, bool, str, numbers,
        lists and dicts of them) and depend on nothing but the two arguments.
        """
        raise NotImplementedError(f"{cls.id} reads no project facts")

    def ask(self, *question: str) -> Any:
        """Answer a question about the other files and remember it."""
        if question not in self.asked:
            self.asked[question] = type(self).answer(self.context.project, question)
        return self.asked[question]

    @classmethod
    def wants(cls, source: bytes) -> bool:
        """Tell, from the text alone, whether the file may hold a finding.

        Rules whose evidence needs two things at once override this.
        """
        return text_matches(cls.triggers, source)

    def report(
        self,
        node: cst.CSTNode,
        message: str | None = None,
        *,
        severity: Level | None = None,
        confidence: Level | None = None,
        related: list[tuple[cst.CSTNode, str]] | None = None,
        fix: Fix | None = None,
    ) -> None:
        """Record a finding at ``node``; its position is resolved later.

        ``fix`` should only hold references to nodes and cheap callables:
        it is built on every check, and used only when fixes are asked for.
        """
        self.reports.append(
            PendingReport(
                node=node,
                message=message or self.summary,
                severity=severity or self.severity,
                confidence=confidence or self.confidence,
                related=related or [],
                fix=fix,
            )
        )
