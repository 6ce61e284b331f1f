"""Facts about the whole project that rules need while they look at one file.

Some findings depend on other files: Django settings and URL modules, FastAPI
routers included elsewhere with dependencies, Flask blueprints whose hooks are
registered in the app factory. Before the analysis, each file whose text a
fact collector wants is parsed once to collect plain data; the data of all
files forms the project index, which every rule can read through
``FileContext.project``. Facts are cached per file like findings are.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from api_hardening_lint.rule import Trigger, text_matches

if TYPE_CHECKING:
    from api_hardening_lint.context import FileContext

logger = logging.getLogger(__name__)

# Folders that hold a project's packages without being part of module names.
_SOURCE_ROOTS = frozenset({"src", "lib", "app_src"})
_TEST_FILE = re.compile(
    r"(^|/)(tests?|testing)/|(^|/)(test_[^/]*|[^/]*_tests?|conftest|tests?)\.py$"
)


class FactCollector:
    """Reads one kind of fact from a parsed file for the project index.

    Subclasses set :attr:`name` and :attr:`triggers` and implement
    :meth:`collect`. A rule lists the collectors it reads in ``Rule.facts``.
    Test files are left out: what guards the application is defined in it.

    Attributes:
        name: The key the facts are stored under in the index.
        triggers: As for rules: text of which one must occur in a file for
            the collector to run on it.
    """

    name: ClassVar[str]
    triggers: ClassVar[tuple[Trigger, ...]] = ()

    @classmethod
    def wants(cls, source: bytes, path: str) -> bool:
        return not is_test_path(path) and text_matches(cls.triggers, source)

    @classmethod
    def collect(cls, context: FileContext) -> Any:
        """Return JSON-ready data about the file, or None when it has none."""
        raise NotImplementedError


@dataclass(frozen=True)
class ProjectIndex:
    """Facts of every file in the run, by collector name.

    ``facts[name]`` is a list of ``(path, data)`` pairs in path order, where
    ``data`` is what the collector returned for the file at ``path``.
    """

    facts: dict[str, list[tuple[str, Any]]] = field(default_factory=dict)

    def of(self, name: str) -> list[tuple[str, Any]]:
        """Return the ``(path, data)`` pairs collected under ``name``."""
        return self.facts.get(name, [])

    def fingerprint(self) -> str:
        """Hash the facts, so cached findings that read them expire with them."""
        text = json.dumps(self.facts, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @classmethod
    def from_files(cls, per_file: dict[str, dict[str, Any]]) -> ProjectIndex:
        """Build the index from ``{path: {collector name: data}}``."""
        facts: dict[str, list[tuple[str, Any]]] = {}
        for path in sorted(per_file):
            for name, data in sorted(per_file[path].items()):
                facts.setdefault(name, []).append((path, data))
        return cls(facts)


EMPTY_INDEX = ProjectIndex()


def is_test_path(path: str) -> bool:
    """Tell whether a path names a test module or a file in a test folder."""
    return bool(_TEST_FILE.search(path))


def module_name(path: str) -> str:
    """Return the dotted module a file defines: ``src/shop/api/users.py`` is
    ``shop.api.users``, ``shop/api/__init__.py`` is ``shop.api``."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    while parts and (parts[0] in ("/", ".", "..") or parts[0] in _SOURCE_ROOTS):
        parts.pop(0)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve_relative(name: str, path: str) -> str:
    """Turn ``..views.bp`` into the dotted name it means in the file at ``path``."""
    dots = len(name) - len(name.lstrip("."))
    if not dots:
        return name

    parts = (module_name(path) or PurePosixPath(path).stem).split(".")
    if PurePosixPath(path).name != "__init__.py":
        parts = parts[:-1]
    if dots > 1:
        parts = parts[: len(parts) - (dots - 1)]
    rest = name[dots:]
    return ".".join([*parts, rest]) if rest else ".".join(parts)


_Built = TypeVar("_Built")


def per_index(
    build: Callable[[ProjectIndex], _Built],
) -> Callable[[ProjectIndex], _Built]:
    """Build a rule's view of the project once per index: a rule answers many
    questions about the same index, and the last index and what was built from
    it are kept."""
    last: list[tuple[ProjectIndex, _Built]] = []

    @functools.wraps(build)
    def cached(index: ProjectIndex) -> _Built:
        if last and last[0][0] is index:
            return last[0][1]

        built = build(index)
        last[:] = [(index, built)]
        return built

    return cached
