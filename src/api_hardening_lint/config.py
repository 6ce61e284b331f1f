"""Configuration from ``[tool.api-hardening-lint]`` in pyproject.toml."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from api_hardening_lint.rule import Level

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

logger = logging.getLogger(__name__)

SECTION = "api-hardening-lint"
DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".eggs",
    "*.egg-info",
    "__pycache__",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".api-hardening-lint-cache",
)
# Parsing takes about 400 bytes of memory per byte of source, and files over a
# mebibyte are almost always generated.
DEFAULT_MAX_FILE_SIZE_KB = 1024
_CODE = re.compile(r"AHL\d{0,3}")


class ConfigError(Exception):
    """A configuration value that cannot be used; the message names key and file."""


def _string_list(key: str, value: object, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: '{key}' must be a list of strings")
    return tuple(value)


def parse_codes(key: str, value: object, source: str) -> tuple[str, ...]:
    codes = _string_list(key, value, source)
    for code in codes:
        if not _CODE.fullmatch(code):
            raise ConfigError(
                f"{source}: '{key}' has {code!r}, which is not a rule code or prefix"
                " such as AHL401 or AHL4"
            )
    return codes


def _level(key: str, value: object, source: str) -> Level:
    if not isinstance(value, str):
        raise ConfigError(f"{source}: '{key}' must be low, medium or high")
    try:
        return Level.parse(value)
    except ValueError as exc:
        raise ConfigError(f"{source}: '{key}': {exc}") from None


def _per_file_ignores(key: str, value: object, source: str) -> tuple:
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: '{key}' must be a table of glob = [codes]")
    return tuple(
        (pattern, parse_codes(f"{key}.{pattern}", codes, source))
        for pattern, codes in value.items()
    )


def _file_path(key: str, value: object, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{source}: '{key}' must be a file path")
    return value


def _positive_int(key: str, value: object, source: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{source}: '{key}' must be a positive whole number")
    return value


_PARSERS = {
    "select": ("select", parse_codes),
    "ignore": ("ignore", parse_codes),
    "per-file-ignores": ("per_file_ignores", _per_file_ignores),
    "exclude": ("exclude", _string_list),
    "extend-exclude": ("extend_exclude", _string_list),
    "auth-decorators": ("auth_decorators", _string_list),
    "auth-dependencies": ("auth_dependencies", _string_list),
    "public-routes": ("public_routes", _string_list),
    "min-severity": ("min_severity", _level),
    "min-confidence": ("min_confidence", _level),
    "max-file-size-kb": ("max_file_size_kb", _positive_int),
    "baseline": ("baseline", _file_path),
}


@dataclass(frozen=True)
class Config:
    """Settings for one run.

    Attributes:
        root: Folder that relative patterns and reported paths start from.
        source: The file the settings came from, or None for defaults.
        select: Rule codes or prefixes to run.
        ignore: Rule codes or prefixes never to report.
        per_file_ignores: ``(glob, codes)`` pairs, globs relative to ``root``.
        exclude: Globs for files and folders never to discover.
        extend_exclude: Globs added to ``exclude``.
        auth_decorators: Project decorators that enforce authentication.
        auth_dependencies: Project FastAPI dependencies that authenticate.
        public_routes: Route path globs that are public by intent.
        min_severity: Findings below this severity are dropped.
        min_confidence: Findings below this confidence are dropped.
        max_file_size_kb: Larger files are skipped with a diagnostic.
        baseline: Baseline file, relative to ``root``, whose findings are not
            reported; see :mod:`api_hardening_lint.baseline`.
    """

    root: Path = field(default_factory=Path.cwd)
    source: Path | None = None
    select: tuple[str, ...] = ("AHL",)
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    auth_decorators: tuple[str, ...] = ()
    auth_dependencies: tuple[str, ...] = ()
    public_routes: tuple[str, ...] = ()
    min_severity: Level = Level.LOW
    min_confidence: Level = Level.LOW
    max_file_size_kb: int = DEFAULT_MAX_FILE_SIZE_KB
    baseline: str | None = None

    def is_enabled(self, rule_id: str) -> bool:
        """Tell whether a rule runs, by the most specific matching code."""
        return _most_specific(rule_id, self.select) > _most_specific(
            rule_id, self.ignore
        )

    def ignored_in(self, rule_id: str, relpath: str) -> bool:
        """Tell whether per-file-ignores silence ``rule_id`` in ``relpath``."""
        for pattern, codes in self.per_file_ignores:
            if _path_matches(relpath, pattern) and _most_specific(rule_id, codes):
                return True
        return False

    def relative(self, path: str) -> str:
        """Return ``path`` relative to :attr:`root` when it lies below it."""
        # abspath, not resolve: a symlink loop must not stop discovery.
        try:
            return Path(os.path.abspath(path)).relative_to(self.root).as_posix()
        except ValueError:
            return Path(path).as_posix()

    def exclude_patterns(self, walk_root: str) -> tuple[str, ...]:
        """Return the exclude globs that apply below ``walk_root``.

        A folder named on the command line is checked even when a glob
        matches it, so globs that match the folder itself are left out.
        """
        return tuple(
            pattern
            for pattern in (*self.exclude, *self.extend_exclude)
            if not _path_matches(walk_root, pattern)
        )

    @staticmethod
    def is_excluded(relpath: str, patterns: tuple[str, ...]) -> bool:
        """Tell whether a discovered path matches one of ``patterns``."""
        return any(_path_matches(relpath, pattern) for pattern in patterns)

    def rule_options(self) -> dict:
        """Return the settings rules read, as plain data."""
        return {
            "auth_decorators": self.auth_decorators,
            "auth_dependencies": self.auth_dependencies,
            "public_routes": self.public_routes,
        }

    def fingerprint(self) -> str:
        """Hash every setting that can change a file's findings."""
        data = {
            "select": self.select,
            "ignore": self.ignore,
            "per_file_ignores": self.per_file_ignores,
            "options": self.rule_options(),
            "max_file_size_kb": self.max_file_size_kb,
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _most_specific(rule_id: str, codes: tuple[str, ...]) -> int:
    return max((len(code) for code in codes if rule_id.startswith(code)), default=0)


def _path_matches(relpath: str, pattern: str) -> bool:
    path = PurePosixPath(relpath)
    pattern = pattern.rstrip("/")
    if "/" not in pattern:
        return any(fnmatch.fnmatchcase(part, pattern) for part in path.parts)

    pattern = pattern.removeprefix("./")
    return fnmatch.fnmatchcase(relpath, pattern) or fnmatch.fnmatchcase(
        relpath, pattern + "/*"
    )


def _display(path: Path) -> str:
    """Name a file relative to the current folder when it lies below it."""
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else Path(relative).as_posix()


def find_pyproject(start: Path) -> Path | None:
    """Return the nearest pyproject.toml above ``start`` with our section."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if path.is_file() and _has_section(path):
            return path
    return None


def _has_section(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return SECTION in data.get("tool", {})


def load_config(path: Path | None, root: Path | None = None) -> Config:
    """Read settings from ``path``; with None, return the defaults for ``root``."""
    if path is None:
        return Config(root=(root or Path.cwd()).resolve())

    source = _display(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None

    section = data.get("tool", {}).get(SECTION, {})
    if not isinstance(section, dict):
        raise ConfigError(f"{source}: [tool.{SECTION}] must be a table")

    values: dict = {}
    for key, value in section.items():
        if key not in _PARSERS:
            known = ", ".join(sorted(_PARSERS))
            raise ConfigError(
                f"{source}: unknown key '{key}' in [tool.{SECTION}];"
                f" known keys: {known}"
            )
        attr, parse = _PARSERS[key]
        values[attr] = parse(key, value, source)

    logger.debug("configuration from %s: %s", source, values)
    return Config(root=path.parent.resolve(), source=path.resolve(), **values)
