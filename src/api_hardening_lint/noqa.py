"""``# noqa`` comments and the file-level skip comment."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Collection, Iterable

SKIP_FILE = b"api-hardening-lint: skip-file"
UNUSED_NOQA = "AHL006"

# ``# noqa`` alone silences every rule on the line; ``# noqa: AHL101, AHL4``
# silences the listed codes or prefixes. Text after the codes, such as
# ``-- test key``, is a reason for readers and is ignored here.
_NOQA = re.compile(
    r"#\s*noqa(?P<colon>:\s*(?P<codes>[A-Z]+[0-9]*(?:[\s,]+[A-Z]+[0-9]*)*))?",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"[\s,]+")


def has_skip_file(source: bytes) -> bool:
    """Tell whether the file asks to be skipped entirely."""
    return SKIP_FILE in source


def noqa_codes(line: str) -> frozenset[str] | None:
    """Return the codes a line's noqa comment names.

    None means the line has no noqa comment; an empty set means a bare
    ``# noqa`` that silences everything.
    """
    if "#" not in line:
        return None

    match = _NOQA.search(line)
    if match is None:
        return None

    codes = match.group("codes")
    if not codes:
        return frozenset()

    return frozenset(code.upper() for code in _SPLIT.split(codes.strip()) if code)


def is_suppressed(rule_id: str, line: str) -> bool:
    """Tell whether ``line``'s noqa comment silences ``rule_id``."""
    codes = noqa_codes(line)
    if codes is None:
        return False

    return not codes or any(rule_id.startswith(code) for code in codes)


# Cheap test for a noqa comment naming our codes; only then is the file
# tokenized to tell comments from strings that merely contain the text.
_NAMES_OUR_CODES = re.compile(rb"#\s*noqa\s*:[^\n]*AHL", re.IGNORECASE)


def names_our_codes(source: bytes) -> bool:
    """Tell whether a noqa comment in ``source`` may name one of our codes."""
    return bool(_NAMES_OUR_CODES.search(source))


def unused_codes(
    source: bytes, found: Iterable[tuple[int, str]], rule_ids: Collection[str]
) -> list[tuple[int, int, tuple[str, ...]]]:
    """Return ``(line, column, codes)`` for noqa comments that silenced nothing.

    ``found`` holds the ``(line, rule id)`` of every finding before any
    suppression. Only codes that name or prefix one of ``rule_ids``, the rules
    that ran on the file, are judged; other tools' codes and a bare ``# noqa``
    never are. A comment that also names AHL006 (or AHL0, AHL00) keeps its
    codes on purpose and is not reported.
    """
    if not names_our_codes(source):
        return []

    comments = _comments(source)
    if comments is None:
        return []

    by_line: dict[int, set[str]] = {}
    for line, rule_id in found:
        by_line.setdefault(line, set()).add(rule_id)
    unused = []
    for line, (column, text) in sorted(comments.items()):
        codes = noqa_codes(text)
        if not codes or any(_keeps_unused(code) for code in codes):
            continue

        here = by_line.get(line, set())
        stale = sorted(
            code
            for code in codes
            if any(rule_id.startswith(code) for rule_id in rule_ids)
            and not any(rule_id.startswith(code) for rule_id in here)
        )
        if stale:
            unused.append((line, column, tuple(stale)))
    return unused


def _keeps_unused(code: str) -> bool:
    return len(code) > len("AHL") and UNUSED_NOQA.startswith(code)


def _comments(source: bytes) -> dict[int, tuple[int, str]] | None:
    """Return ``{line: (column, text)}`` of every comment, or None if unsure."""
    comments = {}
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = (token.start[1], token.string)
    except (tokenize.TokenError, SyntaxError, UnicodeDecodeError, LookupError):
        return None
    return comments
