"""The pylint plugin: one pylint message per catalogue rule."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from pylint.checkers import BaseRawFileChecker
from pylint.interfaces import HIGH, UNDEFINED

from api_hardening_lint.config import ConfigError
from api_hardening_lint.plugins import common
from api_hardening_lint.registry import Entry, catalogue
from api_hardening_lint.rule import Level

if TYPE_CHECKING:
    from astroid import nodes
    from pylint.lint import PyLinter

logger = logging.getLogger(__name__)

# Pylint message ids are a letter, a two-digit checker id and a two-digit
# message number; checker ids 51-99 are left to plugins.
CHECKER_ID = "96"
# Bad settings stop the CLI; here they are reported on each module instead.
CONFIG_ERROR = ("E9600", "ahl-configuration-error")


def message_id(entry: Entry) -> str:
    """Return the pylint message id of a rule, fixed by its AHL number.

    ``AHL401`` becomes ``x9641``: the weakness group, then the rule's number
    within the group. The letter is ``E`` for high severity, ``W`` otherwise.
    """
    number = int(entry.id[3:])
    group, rest = divmod(number, 100)
    # TODO: map AHLx10 and above, because two digits hold only groups 0-9 with
    # rules 0-9 each; a second checker id would give them room.
    if rest > 9:
        raise ValueError(f"{entry.id} has no pylint message id: only x00-x09 fit")

    letter = "E" if entry.severity is Level.HIGH else "W"
    return f"{letter}{CHECKER_ID}{group}{rest}"


def symbol(entry: Entry) -> str:
    """Return the pylint symbol of a rule: its name.

    The tool's own diagnostics get an ``ahl-`` prefix, since pylint already
    has symbols such as ``parse-error``.
    """
    return entry.name if entry.kind == "rule" else f"ahl-{entry.name}"


def _messages() -> dict[str, tuple[str, str, str]]:
    messages = {
        message_id(entry): (
            "%s",
            symbol(entry),
            f"{entry.id}: {entry.summary}. Why: {entry.rationale}. Fix: {entry.fix}.",
        )
        for entry in catalogue().values()
    }
    msgid, name = CONFIG_ERROR
    messages[msgid] = (
        "api-hardening-lint cannot run: %s",
        name,
        "The [tool.api-hardening-lint] settings in pyproject.toml cannot be used,"
        " so nothing was checked; fix the key the message names.",
    )
    return messages


class ApiHardeningChecker(BaseRawFileChecker):
    """Run the engine on each module pylint checks."""

    name = "api-hardening-lint"
    msgs = _messages()

    def process_module(self, node: nodes.Module) -> None:
        """Report the module's findings at the lines and columns the CLI gives."""
        if node.file_bytes is not None:
            source = node.file_bytes
            if isinstance(source, str):
                source = source.encode("utf-8")
        else:
            with node.stream() as stream:
                source = stream.read()

        on_disk = bool(node.file) and Path(node.file).is_file()
        path = Path(node.file) if node.file else Path.cwd() / f"{node.name}.py"
        try:
            config = common.config_for(path.parent)
        except ConfigError as exc:
            self.add_message(CONFIG_ERROR[1], line=1, args=(str(exc),))
            return

        project = common.project_for(config, path if on_disk else None)
        findings = common.analyze(
            common.display_path(path, config),
            source,
            config,
            project,
            selected=self._enabled,
            apply_noqa=True,
        )
        for finding in findings:
            self.add_message(
                _SYMBOLS[finding.rule_id],
                line=finding.line,
                args=(common.concise_message(finding),),
                confidence=HIGH if finding.confidence is Level.HIGH else UNDEFINED,
                col_offset=finding.column,
                end_lineno=finding.end_line,
                end_col_offset=finding.end_column,
            )

    def _enabled(self, rule_id: str) -> bool:
        return self.linter.is_message_enabled(_SYMBOLS[rule_id])


_SYMBOLS = {entry.id: symbol(entry) for entry in catalogue().values()}


def register(linter: PyLinter) -> None:
    """Add the checker to pylint; pylint calls this for ``--load-plugins``."""
    linter.register_checker(ApiHardeningChecker(linter))
