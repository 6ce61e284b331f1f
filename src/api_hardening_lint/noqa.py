"""``# noqa`` comments and the file-level skip comment."""

from __future__ import annotations

import re

SKIP_FILE = b"api-hardening-lint: skip-file"

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
