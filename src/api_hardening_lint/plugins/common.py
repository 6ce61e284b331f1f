"""What the flake8 and pylint adapters share: settings, project index, analysis."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from api_hardening_lint import runner
from api_hardening_lint.config import Config, find_pyproject, load_config
from api_hardening_lint.project import EMPTY_INDEX, ProjectIndex
from api_hardening_lint.rule import Finding, Level

logger = logging.getLogger(__name__)

# Without our section in a pyproject.toml, the project is the nearest folder
# holding one of these; the CLI run from that folder sees the same files.
_PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")

_configs: dict[Path, Config] = {}
_indexes: dict[tuple, ProjectIndex] = {}


def config_for(folder: Path) -> Config:
    """Return the settings for files in ``folder``, read once per folder.

    Raises ConfigError, whose message names the key and the file.
    """
    folder = Path(os.path.abspath(folder))
    config = _configs.get(folder)
    if config is None:
        found = find_pyproject(folder)
        if found is not None:
            config = load_config(found)
            logger.info("settings for %s from %s", folder, found)
        else:
            config = load_config(None, _project_root(folder) or folder)
        _configs[folder] = config
    return config


def _project_root(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in _PROJECT_MARKERS):
            return candidate
    return None


def has_project(config: Config) -> bool:
    """Tell whether the settings belong to a project rather than a lone folder."""
    return config.source is not None or _project_root(config.root) == config.root


def display_path(path: Path, config: Config) -> str:
    """Name a file as the CLI run from the current folder would.

    Paths are relative to the current folder when the project lies below it,
    absolute otherwise; the project index names files the same way, so rules
    that match a file against the index agree with a whole run.
    """
    absolute = Path(os.path.abspath(path))
    if not config.root.is_relative_to(Path.cwd()):
        return absolute.as_posix()
    return Path(os.path.relpath(absolute)).as_posix()


def _root_argument(root: Path) -> str:
    cwd = Path.cwd()
    if root == cwd:
        return "."
    if root.is_relative_to(cwd):
        return root.relative_to(cwd).as_posix()
    return root.as_posix()


def project_for(
    config: Config, path: Path | None = None, *, jobs: int = 1
) -> ProjectIndex:
    """Return the project index for a file, built once per process per project.

    Inside a project the index covers the project's root, as a run of the CLI
    from that folder would. A lone file outside any project gets the index of
    itself, as ``api-hardening-lint check FILE`` does; a file that exists only
    in memory gets none.
    """
    if has_project(config):
        key: tuple = (config.root, config.fingerprint())
        target = _root_argument(config.root)
    elif path is not None and path.is_file():
        target = display_path(path, config)
        key = (Path(os.path.abspath(path)), config.fingerprint())
    else:
        return EMPTY_INDEX

    index = _indexes.get(key)
    if index is None:
        index = runner.project_index([target], config, jobs=jobs)
        _indexes[key] = index
        logger.debug("project index of %s: %d kinds of facts", target, len(index.facts))
    return index


def analyze(
    path: str,
    source: bytes,
    config: Config,
    project: ProjectIndex,
    *,
    selected: Callable[[str], bool] | None = None,
    apply_noqa: bool,
) -> list[Finding]:
    """Run the engine on one file's bytes with the rules the host tool wants."""
    from api_hardening_lint import engine

    rules = engine.enabled_rules(config)
    if selected is not None:
        rules = [cls for cls in rules if selected(cls.id)]
    if not rules:
        return []

    report = engine.analyze_source(
        path, source, config, rules, project=project, apply_noqa=apply_noqa
    )
    return report.findings


def concise_message(finding: Finding) -> str:
    """Return a finding as the concise format prints it, without the place."""
    confidence = ""
    if finding.confidence < Level.HIGH:
        confidence = f" ({finding.confidence.label} confidence)"
    return f"{finding.rule_id} [{finding.severity.label}] {finding.message}{confidence}"
