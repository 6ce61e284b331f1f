"""The pre-commit hooks, installed by pre-commit itself from this repository.

pre-commit builds a virtualenv and installs the project into it from PyPI
packages, so this needs network access and takes about 20 seconds a run.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WEAK = "from flask import Flask\n\napp = Flask(__name__)\napp.run(debug=True)\n"
FIXED = (
    "import os\n"
    "\n"
    "from flask import Flask\n"
    "\n"
    "app = Flask(__name__)\n"
    'app.run(debug=os.environ.get("FLASK_DEBUG") == "1")\n'
)

needs_pre_commit = pytest.mark.skipif(
    importlib.util.find_spec("pre_commit") is None or shutil.which("git") is None,
    reason="needs pre-commit and git",
)


def _git(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def _hook_repository(tmp_path: Path) -> Path:
    """Return a git repository holding this project as it is on disk.

    try-repo includes a repository's uncommitted changes to tracked files,
    but not new untracked ones; until the hook manifest is committed, a
    copy of the working tree stands in for the repository.
    """
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", ".pre-commit-hooks.yaml"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if tracked.returncode == 0:
        return ROOT

    copy = tmp_path / "hook-repository"
    listed = _git(
        "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT
    )
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    _git("init", "-q", cwd=copy)
    _git("add", "-A", cwd=copy)
    _git("commit", "-q", "-m", "snapshot", cwd=copy)
    return copy


def _try_repo(hooks: Path, project: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(hooks),
            "api-hardening-lint",
            "--files",
            "weak.py",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@needs_pre_commit
def test_hook_fails_on_a_weak_file_and_passes_once_it_is_fixed(tmp_path):
    hooks = _hook_repository(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    _git("init", "-q", cwd=project)
    (project / "weak.py").write_text(WEAK)
    _git("add", "weak.py", cwd=project)

    weak = _try_repo(hooks, project, tmp_path / "pre-commit-home")
    (project / "weak.py").write_text(FIXED)
    _git("add", "weak.py", cwd=project)
    fixed = _try_repo(hooks, project, tmp_path / "pre-commit-home")

    assert weak.returncode == 1, weak.stdout + weak.stderr
    assert "weak.py:4:9: AHL401 [*] [high]" in weak.stdout
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Passed" in fixed.stdout


def test_manifest_offers_a_check_and_a_fix_hook():
    text = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")

    assert "- id: api-hardening-lint\n" in text
    assert "- id: api-hardening-lint-fix\n" in text
    assert text.count("entry: api-hardening-lint check\n") == 1
    assert text.count("entry: api-hardening-lint check --fix\n") == 1
    assert text.count("types: [python]\n") == 2
