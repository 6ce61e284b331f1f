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
from api_hardening_lint.noqa import has_skip_file
from api_hardening_lint.project import EMPTY_INDEX, ProjectIndex
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
    # AHL006: noqa comments that silenced nothing, shown only on request.
    unused_noqa: list[Finding] = field(default_factory=list)
    files: int = 0
    lines: int = 0
    parsed: int = 0
    cached: int = 0
    # The project facts the findings were computed with, for re-analysis.
    project: ProjectIndex = EMPTY_INDEX


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
    """Findings and project facts per file, keyed on the file's path and content.

    One JSON file per tool version and configuration, so changing either
    starts afresh. A file's facts are reused while its content is unchanged;
    its findings also need the project index to be unchanged, since rules
    read facts from other files.
    """

    def __init__(self, folder: Path, config: Config) -> None:
        self.path = folder / f"{__version__}-{config.fingerprint()[:16]}.json"
        self.folder = folder
        self.entries: dict[str, dict] = {}
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

    def _entry(self, path: str, key: str) -> dict | None:
        entry = self.entries.get(path)
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        return entry

    def facts(self, path: str, key: str) -> dict | None:
        entry = self._entry(path, key)
        return None if entry is None else entry.get("facts")

    def report(self, path: str, key: str, index: str) -> FileReport | None:
        entry = self._entry(path, key)
        if entry is None or entry.get("index") != index:
            return None

        # Entries from before unused noqa comments were recorded lack both
        # them and fingerprints, and entries from before fixes were recorded
        # would hide them, so both count as misses.
        if any(name not in entry for name in ("findings", "unused_noqa", "fixes")):
            return None

        return FileReport(
            path=path,
            findings=[Finding.from_dict(f) for f in entry["findings"]],
            lines=entry["lines"],
            parsed=entry["parsed"],
            unused_noqa=[Finding.from_dict(f) for f in entry["unused_noqa"]],
        )

    def put_facts(self, path: str, key: str, facts: dict) -> None:
        self.entries[path] = {"key": key, "facts": facts}
        self.dirty = True

    def put_report(self, key: str, index: str, report: FileReport) -> None:
        entry = self.entries.setdefault(report.path, {"key": key})
        entry.update(
            index=index,
            lines=report.lines,
            parsed=report.parsed,
            findings=[f.to_dict() for f in report.findings],
            unused_noqa=[f.to_dict() for f in report.unused_noqa],
            fixes=True,
        )
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


def _engine():
    # The engine pulls in libcst, whose import alone costs more than a fully
    # cached run, so a run that finds every file in the cache never loads it.
    from api_hardening_lint import engine

    return engine


def analyze_source(
    path: str, source: bytes, config: Config, rules=None, project=EMPTY_INDEX
) -> FileReport:
    """Analyze one file with the engine, imported only once a file needs it."""
    return _engine().analyze_source(path, source, config, rules, project=project)


_worker: dict = {}


def _prepare(config: Config, project: ProjectIndex) -> None:
    _worker.update(config=config, project=project, rules=None, collectors=None)


def _init_worker(config: Config, project: ProjectIndex) -> None:
    _prepare(config, project)
    logging.getLogger().setLevel(logging.WARNING)


def _run_chunk(task: str, items: list[tuple[str, bytes]]) -> list:
    config = _worker["config"]
    if _worker["rules"] is None:
        _worker["rules"] = _engine().enabled_rules(config)
        _worker["collectors"] = _engine().fact_collectors(_worker["rules"])

    if task == _FACTS:
        collect = _engine().collect_facts
        return [collect(path, source, config, _worker["collectors"]) for path, source in items]

    rules = _worker["rules"]
    project = _worker["project"]
    return [analyze_source(path, source, config, rules, project) for path, source in items]


_FACTS = "facts"
_ANALYZE = "analyze"


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
    jobs = jobs or os.cpu_count() or 1
    cache = Cache(config.root / CACHE_DIR, config) if use_cache else None
    readable: list[tuple[str, bytes, str]] = []
    reports: list[FileReport] = []
    wanted = _Wanted(config)
    for display, path in files:
        result.files += 1
        source, failed = read_file(display, path)
        if failed is not None:
            reports.append(failed)
            continue

        key = Cache.key(source) if cache else ""
        skipped = cache.report(display, key, _UNWANTED) if cache else None
        if skipped is not None:
            result.cached += 1
        elif not wanted(source):
            # Nothing any rule or collector looks for: no parse, no facts,
            # and its bytes need not be kept for the rest of the run.
            skipped = FileReport(path=display, lines=source.count(b"\n"))
            if cache is not None:
                cache.put_facts(display, key, {})
                cache.put_report(key, _UNWANTED, skipped)
        if skipped is not None:
            reports.append(skipped)
            if progress:
                progress(1)
        else:
            readable.append((display, source, key))

    project = _project_index(readable, config, cache, jobs)
    result.project = project
    index = project.fingerprint()
    todo: list[tuple[str, bytes]] = []
    keys: dict[str, str] = {}
    for display, source, key in readable:
        hit = cache.report(display, key, index) if cache else None
        if hit is not None:
            result.cached += 1
            reports.append(hit)
            if progress:
                progress(1)
        else:
            keys[display] = key
            todo.append((display, source))

    for report in _map(_ANALYZE, todo, config, project, jobs, progress):
        if cache is not None:
            cache.put_report(keys[report.path], index, report)
        reports.append(report)

    if cache is not None:
        cache.save()

    for report in reports:
        result.lines += report.lines
        result.parsed += report.parsed
        result.findings.extend(report.findings)
        result.unused_noqa.extend(report.unused_noqa)
    result.findings.sort(key=lambda f: f.sort_key)
    result.unused_noqa.sort(key=lambda f: f.sort_key)
    return result


_UNWANTED = "unwanted"


def project_index(
    paths: list[str], config: Config, *, use_cache: bool = True, jobs: int = 1
) -> ProjectIndex:
    """Collect the project facts of every file under ``paths``.

    For front ends that see one file at a time (flake8, pylint): they analyze
    each file with the same facts a whole-project run would use. Facts come
    from the cache while files are unchanged.
    """
    cache = Cache(config.root / CACHE_DIR, config) if use_cache else None
    readable = []
    for display, path in discover(paths, config):
        source, failed = read_file(display, path)
        if failed is None:
            readable.append((display, source, Cache.key(source) if cache else ""))

    index = _project_index(readable, config, cache, jobs)
    if cache is not None:
        cache.save()
    return index


class _Wanted:
    """Tell whether any enabled rule or fact collector wants a file's text.

    The rules are loaded on first use, so a run served from the cache does
    not import the engine.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.checks: list | None = None

    def __call__(self, source: bytes) -> bool:
        if self.checks is None:
            rules = _engine().enabled_rules(self.config)
            self.checks = [*rules, *_engine().fact_collectors(rules)]

        if has_skip_file(source):
            return False

        return any(check.wants(source) for check in self.checks)


def _project_index(
    readable: list[tuple[str, bytes, str]], config: Config, cache: Cache | None, jobs: int
) -> ProjectIndex:
    """Collect the facts rules read from other files, from the cache if it can."""
    per_file: dict[str, dict] = {}
    todo: list[tuple[str, bytes]] = []
    keys: dict[str, str] = {}
    for display, source, key in readable:
        cached = cache.facts(display, key) if cache else None
        if cached is not None:
            per_file[display] = cached
        else:
            keys[display] = key
            todo.append((display, source))

    if todo and _engine().fact_collectors(_engine().enabled_rules(config)):
        facts = _map(_FACTS, todo, config, EMPTY_INDEX, jobs, None)
    else:
        facts = iter([{}] * len(todo))
    for (display, _), found in zip(todo, facts):
        per_file[display] = found
        if cache is not None:
            cache.put_facts(display, keys[display], found)

    return ProjectIndex.from_files({p: f for p, f in per_file.items() if f})


def _map(
    task: str,
    todo: list[tuple[str, bytes]],
    config: Config,
    project: ProjectIndex,
    jobs: int,
    progress: Callable[[int], None] | None,
) -> Iterator:
    """Run ``task`` over ``todo`` and yield one result per file, in order."""
    if not todo:
        return

    if jobs <= 1 or len(todo) < _MIN_FILES_FOR_POOL:
        _prepare(config, project)
        for item in todo:
            yield _run_chunk(task, [item])[0]
            if progress:
                progress(1)
        return

    chunks = [todo[i : i + _CHUNK] for i in range(0, len(todo), _CHUNK)]
    results: dict[int, list] = {}
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=jobs, initializer=_init_worker, initargs=(config, project)
    ) as pool:
        futures = {pool.submit(_run_chunk, task, chunk): i for i, chunk in enumerate(chunks)}
        for future in concurrent.futures.as_completed(futures):
            number = futures[future]
            try:
                results[number] = future.result()
            except BrokenProcessPool:
                # A worker died (the native parser can crash on pathological
                # input): give each file of the chunk a process of its own.
                results[number] = [
                    _isolated(task, item, config, project) for item in chunks[number]
                ]
            if progress:
                progress(len(chunks[number]))

    for number in range(len(chunks)):
        yield from results[number]


def _isolated(task: str, item: tuple[str, bytes], config: Config, project: ProjectIndex):
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=1, initializer=_init_worker, initargs=(config, project)
    ) as pool:
        try:
            return pool.submit(_run_chunk, task, [item]).result()[0]
        except BrokenProcessPool:
            if task == _FACTS:
                return {}
            path = item[0]
            detail = "the parser crashed on it"
            return FileReport(path=path, findings=[diagnostic(path, PARSE_ERROR, detail)])
