"""The rule catalogue: rule classes joined with their entries in ``rules/``."""

from __future__ import annotations

import functools
import importlib
import logging
import pkgutil
import sys
from dataclasses import dataclass
from pathlib import Path

from api_hardening_lint.rule import Level, Rule

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

logger = logging.getLogger(__name__)

_REQUIRED_KEYS = (
    "id",
    "name",
    "kind",
    "summary",
    "rationale",
    "fix",
    "severity",
    "confidence",
    "cwe",
    "owasp",
    "autofix",
    "frameworks",
    "bad",
    "good",
)


@dataclass(frozen=True)
class Entry:
    """One rule's catalogue entry, as written in ``rules/<id>.toml``.

    Attributes:
        id: ``AHL`` and three digits.
        name: Kebab-case name that says what is wrong.
        kind: ``rule`` for a detection, ``diagnostic`` for the tool's own
            reports about files it could not analyze.
        summary: What was found, one line.
        rationale: Why it matters, one line.
        fix: What to write instead, one imperative line.
        severity: Default severity.
        confidence: Default confidence.
        cwe: CWE identifiers such as ``CWE-489``.
        owasp: OWASP API Security Top 10 (2023) references.
        autofix: ``none``, ``safe`` or ``unsafe``.
        frameworks: Frameworks the rule understands.
        bad: Example code that the rule reports.
        good: The same example written safely.
    """

    id: str
    name: str
    kind: str
    summary: str
    rationale: str
    fix: str
    severity: Level
    confidence: Level
    cwe: tuple[str, ...]
    owasp: tuple[str, ...]
    autofix: str
    frameworks: tuple[str, ...]
    bad: str
    good: str


def catalogue_dir() -> Path:
    """Return the folder holding the catalogue, installed or in a checkout."""
    installed = Path(__file__).parent / "_catalogue"
    if installed.is_dir():
        return installed

    return Path(__file__).resolve().parents[2] / "rules"


def _load_entry(path: Path) -> Entry:
    with path.open("rb") as handle:
        data = tomllib.load(handle)

    missing = [key for key in _REQUIRED_KEYS if key not in data]
    if missing:
        raise ValueError(f"{path}: missing keys {', '.join(missing)}")

    return Entry(
        id=data["id"],
        name=data["name"],
        kind=data["kind"],
        summary=data["summary"],
        rationale=data["rationale"],
        fix=data["fix"],
        severity=Level.parse(data["severity"]),
        confidence=Level.parse(data["confidence"]),
        cwe=tuple(data["cwe"]),
        owasp=tuple(data["owasp"]),
        autofix=data["autofix"],
        frameworks=tuple(data["frameworks"]),
        bad=data["bad"],
        good=data["good"],
    )


@functools.lru_cache(maxsize=None)
def catalogue() -> dict[str, Entry]:
    """Return every catalogue entry by rule id, in id order."""
    entries = [_load_entry(p) for p in sorted(catalogue_dir().glob("AHL*.toml"))]
    return {entry.id: entry for entry in entries}


@functools.lru_cache(maxsize=None)
def knowledge(table: str) -> dict:
    """Return a knowledge table, ``rules/knowledge/<table>.toml``, as a dict."""
    with (catalogue_dir() / "knowledge" / f"{table}.toml").open("rb") as handle:
        return tomllib.load(handle)


def _discover_classes() -> list[type[Rule]]:
    package = importlib.import_module("api_hardening_lint.rules")
    classes: list[type[Rule]] = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value is not Rule
                and value.__module__ == module.__name__
            ):
                classes.append(value)
    return classes


def bind(cls: type[Rule], entry: Entry) -> type[Rule]:
    """Copy a catalogue entry's user-facing text onto its rule class."""
    cls.name = entry.name
    cls.summary = entry.summary
    cls.rationale = entry.rationale
    cls.fix = entry.fix
    cls.severity = entry.severity
    cls.confidence = entry.confidence
    return cls


@functools.lru_cache(maxsize=None)
def rule_classes() -> tuple[type[Rule], ...]:
    """Return every detection rule, bound to its catalogue entry, by id."""
    entries = catalogue()
    classes = []
    for cls in _discover_classes():
        entry = entries.get(cls.id)
        if entry is None:
            raise LookupError(f"rule {cls.__name__} has no catalogue entry {cls.id}")
        classes.append(bind(cls, entry))
    return tuple(sorted(classes, key=lambda c: c.id))
