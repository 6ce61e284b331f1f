"""What the engine knows about one file while its rules run."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import libcst as cst

from api_hardening_lint.nodes import dotted_name, literal_value
from api_hardening_lint.project import EMPTY_INDEX, ProjectIndex, is_test_path

if TYPE_CHECKING:
    from api_hardening_lint.frameworks.routes import Route

_SETTINGS_FILE = re.compile(
    r"(^|/)settings(/[^/]+)?\.py$|(^|/)[^/]*_?settings[^/]*\.py$"
)
_DJANGO_SETTINGS_MARKERS = (b"INSTALLED_APPS", b"ROOT_URLCONF", b"MIDDLEWARE")
# Settings modules whose name, or whose folder's name, says they are only for a
# developer's machine, tests, or an example to copy from.
_LOCAL_WORDS = r"(dev|devel|development|local|test|tests|testing|ci|example|sample)"
_LOCAL_SETTINGS = re.compile(
    rf"(^|[/_]){_LOCAL_WORDS}(_settings|_local)?\.py$"
    rf"|(^|/)[^/]*_{_LOCAL_WORDS}\.py$"
    rf"|(^|/){_LOCAL_WORDS}[^/]*/[^/]*settings[^/]*\.py$"
)


def _module_name(node: cst.BaseExpression | None, relative: int) -> str:
    name = dotted_name(node) if node is not None else ""
    return "." * relative + (name or "")


@dataclass
class Bindings:
    """Names bound by imports and by instantiating known classes.

    This is the engine's light replacement for libcst's qualified-name
    metadata: it reads import statements and ``name = Call(...)`` assignments
    in one pass and ignores scopes, which is right for the way web apps bind
    their framework objects (once, at module level or in a factory).
    """

    imports: dict[str, str] = field(default_factory=dict)
    instances: dict[str, str] = field(default_factory=dict)

    def add_import(self, node: cst.Import | cst.ImportFrom) -> None:
        """Record the names an import statement binds."""
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted_name(alias.name)
                if full is None:
                    continue

                if alias.asname is not None:
                    local = dotted_name(alias.asname.name)
                    if local:
                        self.imports[local] = full
                else:
                    head = full.split(".", 1)[0]
                    self.imports[head] = head
            return

        if isinstance(node.names, cst.ImportStar):
            return

        module = _module_name(node.module, len(node.relative))
        for alias in node.names:
            name = dotted_name(alias.name)
            if name is None:
                continue

            local = dotted_name(alias.asname.name) if alias.asname is not None else name
            if local:
                sep = "" if module.endswith(".") else "."
                self.imports[local] = f"{module}{sep}{name}" if module else name

    def add_assignment(
        self, targets: list[cst.BaseExpression], value: cst.BaseExpression
    ) -> None:
        """Remember ``name = known.Class(...)`` so calls on ``name`` resolve."""
        if not isinstance(value, cst.Call):
            return

        cls = self.qualname(value.func)
        for target in targets:
            if isinstance(target, cst.Name):
                if cls is None:
                    self.instances.pop(target.value, None)
                else:
                    self.instances[target.value] = cls

    def qualname(self, node: cst.BaseExpression) -> str | None:
        """Return the imported dotted name ``node`` refers to, or None."""
        if isinstance(node, cst.Name):
            return self.imports.get(node.value)

        if isinstance(node, cst.Attribute):
            base = self.qualname(node.value)
            return None if base is None else f"{base}.{node.attr.value}"

        return None

    def instance_of(self, node: cst.BaseExpression) -> str | None:
        """Return the class ``node`` was created from, when it is a known name."""
        if isinstance(node, cst.Name):
            return self.instances.get(node.value)

        return None

    def imports_any(self, *prefixes: str) -> bool:
        """Tell whether the file imports any module under one of ``prefixes``."""
        for full in self.imports.values():
            for prefix in prefixes:
                if full == prefix or full.startswith(prefix + "."):
                    return True
        return False


def collect_module_bindings(module: cst.Module, bindings: Bindings) -> None:
    """Read the imports and instances at module level, including ``if``/``try``."""
    pending: list[cst.CSTNode] = list(reversed(module.body))
    while pending:
        stmt = pending.pop()
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Import, cst.ImportFrom)):
                    bindings.add_import(small)
                elif isinstance(small, cst.Assign):
                    bindings.add_assignment(
                        [t.target for t in small.targets], small.value
                    )
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    bindings.add_assignment([small.target], small.value)
        elif isinstance(
            stmt, (cst.If, cst.Try, cst.With, cst.Else, cst.ExceptHandler, cst.Finally)
        ):
            blocks = [stmt.body]
            for extra in ("orelse", "handlers", "finalbody"):
                child = getattr(stmt, extra, None)
                if isinstance(child, (tuple, list)):
                    blocks.extend(child)
                elif child is not None:
                    blocks.append(child)
            for block in reversed(blocks):
                body = getattr(block, "body", block)
                if isinstance(body, cst.BaseSuite):
                    body = body.body
                if isinstance(body, (tuple, list)):
                    pending.extend(reversed(body))
                elif isinstance(body, cst.CSTNode):
                    pending.append(body)


@dataclass
class FileContext:
    """Facts about the file being analyzed, shared by every rule.

    Attributes:
        path: The path as reported, with forward slashes.
        source: The raw bytes of the file.
        module: The parsed libcst module.
        bindings: Imports and framework instances, see :class:`Bindings`.
        ancestors: The nodes enclosing the one being visited, outermost first.
        options: The rule-facing configuration (auth decorators and so on).
        project: Facts from every file of the run, see ``Rule.facts``.
        memo: What fact collectors work out once for all of them, by name.
    """

    path: str
    source: bytes
    module: cst.Module
    bindings: Bindings
    ancestors: list[cst.CSTNode] = field(default_factory=list)
    options: dict = field(default_factory=dict)
    project: ProjectIndex = EMPTY_INDEX
    memo: dict = field(default_factory=dict)

    def qualname(self, node: cst.BaseExpression) -> str | None:
        return self.bindings.qualname(node)

    def instance_of(self, node: cst.BaseExpression) -> str | None:
        return self.bindings.instance_of(node)

    @functools.cached_property
    def routes(self) -> tuple[Route, ...]:
        """Return the routes the file declares, built on first use."""
        from api_hardening_lint.frameworks.routes import collect_routes

        return collect_routes(self)

    @property
    def is_test_file(self) -> bool:
        return is_test_path(self.path)

    @property
    def is_settings_module(self) -> bool:
        """Tell whether the file looks like a Django settings module."""
        if _SETTINGS_FILE.search(self.path):
            return True

        return sum(marker in self.source for marker in _DJANGO_SETTINGS_MARKERS) >= 2

    @property
    def is_local_settings(self) -> bool:
        """Tell whether a settings file is named for development or tests."""
        return bool(_LOCAL_SETTINGS.search(PurePosixPath(self.path).as_posix()))

    def under_main_guard(self) -> bool:
        """Tell whether the visited node sits in ``if __name__ == "__main__":``."""
        for node in self.ancestors:
            if isinstance(node, cst.If) and _is_main_guard(node.test):
                return True
        return False


def _is_main_guard(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False

    left = test.left
    right = test.comparisons[0].comparator
    names = {n.value for n in (left, right) if isinstance(n, cst.Name)}
    strings = {
        literal_value(n) for n in (left, right) if isinstance(n, cst.SimpleString)
    }
    return names == {"__name__"} and strings == {"__main__"}
