"""Run the engine over many files: discovery, the cache and a process pool."""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import logging
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from api_hardening_lint import __version__
from api_hardening_lint.config import Config
from api_hardening_lint.diagnostics import PARSE_ERROR, UNREADABLE, diagnostic
from api_hardening_lint.rule import FileReport, Finding

logger = logging.getLogger(__name__)

CACHE_DIR = ".api-hardening-lint-cache"
# Below this many files to analyze, starting worker processes costs more than
# it saves.
_MIN_FILES_FOR_POOL = 8
_CHUNK = 16


@dataclass
class RunResult:
    """Findings of a whole run, with what it cost."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    lines: int = 0
    parsed: int = 0
    cached: int = 0


def discover(paths: list[str], config: Config) -> Iterator[tuple[str, Path]]:
    """Yield ``(display path, path)`` for each Python file under ``paths``.

    Paths named on the command line are always analyzed; folders are walked
    without following links to folders, skipping excludes and virtualenvs.
    """
    seen: set[Path] = set()
    for raw in paths:
        root = Path(raw)
        if root.is_dir():
            yield from _walk(root, config, seen)
        elif root.exists() or root.is_symlink():
            if root.absolute() not in seen:
                seen.add(root.absolute())
                yield _display(root), root
        else:
            raise FileNotFoundError(raw)


def _walk(root: Path, config: Config, seen: set[Path]) -> Iterator[tuple[str, Path]]:
    patterns = config.exclude_patterns(config.relative(str(root)))
    for folder, dirnames, filenames in os.walk(root, onerror=_walk_error):
        here = Path(folder)
        kept = []
        for name in sorted(dirnames):
            child = here / name
            if child.is_symlink() or (child / "pyvenv.cfg").exists():
                logger.info("skipped %s: a link or a virtualenv", child)
                continue

            if config.is_excluded(config.relative(str(child)), patterns):
                logger.info("skipped %s: excluded", child)
                continue

            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.endswith((".py", ".pyi")):
                continue

            child = here / name
            if config.is_excluded(config.relative(str(child)), patterns):
                logger.info("skipped %s: excluded", child)
                continue

            if child.absolute() not in seen:
                seen.add(child.absolute())
                yield _display(child), child


def _walk_error(error: OSError) -> None:
    logger.warning("cannot list %s: %s", error.filename, error.strerror)


def _display(path: Path) -> str:
    text = path.as_posix()
    return text[2:] if text.startswith("./") else text


class Cache:
    """Findings per file, keyed on the file's path and content.

    One JSON file per tool version and configuration, so changing either
    starts afresh. Entries for files whose content changed are replaced.
    """

    def __init__(self, folder: Path, config: Config) -> None:
        self.path = folder / f"{__version__}-{config.fingerprint()[:16]}.json"
        self.folder = folder
        self.entries: dict[str, list] = {}
        self.dirty = False
        try:
            with self.path.open("r", encoding="utf-8") as handle:
                self.entries = json.load(handle)
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            logger.warning("ignored the cache %s: %s", self.path, exc)

    @staticmethod
    def key(source: bytes) -> str:
        return hashlib.blake2b(source, digest_size=16).hexdigest()

    def get(self, path: str, key: str) -> FileReport | None:
        entry = self.entries.get(path)
        if entry is None or entry[0] != key:
            return None

        _, lines, parsed, findings = entry
        return FileReport(
            path=path,
            findings=[Finding.from_dict(f) for f in findings],
            lines=lines,
            parsed=parsed,
        )

    def put(self, key: str, report: FileReport) -> None:
        self.entries[report.path] = [
            key,
            report.lines,
            report.parsed,
            [f.to_dict() for f in report.findings],
        ]
        self.dirty = True

    def save(self) -> None:
        """Write the cache atomically; a failure only costs speed next time."""
        if not self.dirty:
            return

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tag = self.folder / "CACHEDIR.TAG"
            if not tag.exists():
                tag.write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
                (self.folder / ".gitignore").write_text("*\n")
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.entries, handle, separators=(",", ":"))
            os.replace(tmp, self.path)
        except OSError as exc:
            logger.warning("cannot write the cache in %s: %s", self.folder, exc)


def read_file(display: str, path: Path) -> tuple[bytes | None, FileReport | None]:
    """Read a file's bytes, or return the diagnostic that says why not."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            detail = "it is not a regular file"
            return None, FileReport(display, [diagnostic(display, UNREADABLE, detail)])
        return path.read_bytes(), None
    except OSError as exc:
        detail = exc.strerror or str(exc)
        return None, FileReport(display, [diagnostic(display, UNREADABLE, detail)])


def analyze_source(path: str, source: bytes, config: Config, rules=None) -> FileReport:
    """Analyze one file with the engine, imported only once a file needs it.

    The engine pulls in libcst, whose import alone costs more than a fully
    cached run, so a run that finds every file in the cache never loads it.
    """
    from api_hardening_lint import engine

    return engine.analyze_source(path, source, config, rules)


def enabled_rules(config: Config) -> list:
    """Return the rule classes the configuration selects."""
    from api_hardening_lint import engine

    return engine.enabled_rules(config)


_worker_config: Config | None = None


def _init_worker(config: Config) -> None:
    global _worker_config
    _worker_config = config
    logging.getLogger().setLevel(logging.WARNING)


def _analyze_chunk(items: list[tuple[str, bytes]]) -> list[FileReport]:
    assert _worker_config is not None
    rules = enabled_rules(_worker_config)
    return [analyze_source(path, source, _worker_config, rules) for path, source in items]


def run(
    files: list[tuple[str, Path]],
    config: Config,
    *,
    jobs: int | None = None,
    use_cache: bool = True,
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Analyze ``files`` (as :func:`discover` yields them) and return all findings."""
    result = RunResult()
    cache = Cache(config.root / CACHE_DIR, config) if use_cache else None
    todo: list[tuple[str, bytes]] = []
    keys: dict[str, str] = {}
    reports: list[FileReport] = []
    for display, path in files:
        result.files += 1
        source, failed = read_file(display, path)
        if failed is not None:
            reports.append(failed)
            continue

        if cache is not None:
            key = Cache.key(source)
            hit = cache.get(display, key)
            if hit is not None:
                result.cached += 1
                reports.append(hit)
                if progress:
                    progress(1)
                continue
            keys[display] = key
        todo.append((display, source))

    for report in _analyze_all(todo, config, jobs or os.cpu_count() or 1, progress):
        if cache is not None:
            cache.put(keys[report.path], report)
        reports.append(report)

    if cache is not None:
        cache.save()

    for report in reports:
        result.lines += report.lines
        result.parsed += report.parsed
        result.findings.extend(report.findings)
    result.findings.sort(key=lambda f: f.sort_key)
    return result


def _analyze_all(
    todo: list[tuple[str, bytes]],
    config: Config,
    jobs: int,
    progress: Callable[[int], None] | None,
) -> Iterator[FileReport]:
    if not todo:
        return

    if jobs <= 1 or len(todo) < _MIN_FILES_FOR_POOL:
        rules = enabled_rules(config)
        for path, source in todo:
            yield analyze_source(path, source, config, rules)
            if progress:
                progress(1)
        return

    chunks = [todo[i : i + _CHUNK] for i in range(0, len(todo), _CHUNK)]
    retry: list[tuple[str, bytes]] = []
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=jobs, initializer=_init_worker, initargs=(config,)
    ) as pool:
        futures = {pool.submit(_analyze_chunk, chunk): chunk for chunk in chunks}
        for future in concurrent.futures.as_completed(futures):
            try:
                reports = future.result()
            except BrokenProcessPool:
                retry.extend(futures[future])
                continue
            yield from reports
            if progress:
                progress(len(reports))

    # A worker died (the native parser can crash on pathological input): find
    # the file responsible by giving each remaining file a process of its own.
    for path, source in retry:
        yield _analyze_isolated(path, source, config)
        if progress:
            progress(1)


def _analyze_isolated(path: str, source: bytes, config: Config) -> FileReport:
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=1, initializer=_init_worker, initargs=(config,)
    ) as pool:
        try:
            return pool.submit(_analyze_chunk, [(path, source)]).result()[0]
        except BrokenProcessPool:
            detail = "the parser crashed on it"
            return FileReport(path=path, findings=[diagnostic(path, PARSE_ERROR, detail)])
