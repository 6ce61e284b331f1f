"""Baselines: record the findings a project accepts today, report only new ones."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from api_hardening_lint.config import Config
from api_hardening_lint.rule import Finding, fingerprint

logger = logging.getLogger(__name__)

VERSION = 1
TOOL = "api-hardening-lint"


class BaselineError(Exception):
    """A baseline file that cannot be used; the message names it and the fix."""


@dataclass(frozen=True)
class Baseline:
    """The fingerprints of accepted findings, as read from a baseline file.

    Attributes:
        path: The file the entries came from.
        fingerprints: One per accepted finding; see :func:`key`.
    """

    path: Path
    fingerprints: frozenset[str]

    def __contains__(self, finding: object) -> bool:
        return isinstance(finding, Finding) and key(finding) in self.fingerprints


def key(finding: Finding) -> str:
    """Return what a baseline entry matches on: rule, file and flagged code.

    The engine fingerprints every finding it builds; the few made outside it
    (a file that cannot be read) are named by their rule, path and message.
    """
    if finding.fingerprint:
        return finding.fingerprint
    return fingerprint(finding.rule_id, finding.path, finding.message)


def filter_findings(
    findings: Iterable[Finding], baseline: Baseline | None
) -> list[Finding]:
    """Return the findings that are not in ``baseline``, in their order."""
    if baseline is None:
        return list(findings)

    return [finding for finding in findings if finding not in baseline]


def unmatched(findings: Iterable[Finding], baseline: Baseline) -> int:
    """Count baseline entries no finding matched: fixed, or their code changed."""
    return len(baseline.fingerprints - {key(finding) for finding in findings})


def dumps(findings: Iterable[Finding]) -> str:
    """Return the baseline file text for ``findings``, in a stable order.

    Entries name the path and rule for readers and match on the fingerprint
    alone; neither line numbers nor the flagged code are written, so the file
    changes only when findings do and never holds a secret's value.
    """
    entries = _entries(findings)
    data = {
        "tool": TOOL,
        "version": VERSION,
        "findings": [
            {"path": path, "rule": rule_id, "name": name, "fingerprint": digest}
            for path, rule_id, name, digest in entries
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _entries(findings: Iterable[Finding]) -> list[tuple[str, str, str, str]]:
    unique = {(f.path, f.rule_id, f.rule_name, key(f)) for f in findings}
    return sorted(unique)


def write(path: Path, findings: Iterable[Finding]) -> int:
    """Write a baseline of ``findings`` to ``path``; return how many it holds."""
    findings = list(findings)
    text = dumps(findings)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return len(_entries(findings))


def load(path: Path) -> Baseline:
    """Read a baseline file written by :func:`write`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(
            f"{path}: no such baseline; create it with 'check --write-baseline {path}'"
        ) from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: not valid JSON: {exc}") from None

    if not isinstance(data, dict) or data.get("tool") != TOOL:
        raise BaselineError(f"{path}: not an api-hardening-lint baseline")

    version = data.get("version")
    if version != VERSION:
        raise BaselineError(
            f"{path}: baseline version {version!r} is not supported (this tool reads"
            f" version {VERSION}); write it again with --write-baseline"
        )

    entries = data.get("findings")
    if not isinstance(entries, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str)
        for entry in entries
    ):
        raise BaselineError(
            f"{path}: 'findings' must be a list of entries that each have a fingerprint"
        )

    logger.debug("baseline %s: %d entries", path, len(entries))
    return Baseline(path, frozenset(entry["fingerprint"] for entry in entries))


def configured_path(config: Config) -> Path | None:
    """Return the baseline file the configuration names, below its root."""
    if config.baseline is None:
        return None
    return config.root / config.baseline


def load_configured(config: Config) -> Baseline | None:
    """Read the baseline named by ``baseline`` in the configuration, if any."""
    path = configured_path(config)
    return None if path is None else load(path)
