"""Run the engine over many files: discovery, the cache and a process pool."""

from __future__ import annotations

import concurrent.futures
import fnmatch
import hashlib
import json
import logging
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from api_hardening_lint import __version__
from api_hardening_lint.config import Config
from api_hardening_lint.diagnostics import PARSE_ERROR, UNREADABLE, diagnostic
from api_hardening_lint.noqa import has_skip_file, names_our_codes
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
    # Files analyzed a second time because the project's facts changed what
    # a rule was told on the first.
    reanalyzed: int = 0


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
    excluded = _Excluder(config, config.exclude_patterns(config.relative(str(root))))
    for folder, dirnames, filenames in os.walk(root, onerror=_walk_error):
        here = Path(folder)
        kept = []
        for name in sorted(dirnames):
            child = here / name
            if child.is_symlink() or (child / "pyvenv.cfg").exists():
                logger.info("skipped %s: a link or a virtualenv", child)
                continue

            if excluded(name, child):
                logger.info("skipped %s: excluded", child)
                continue

            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.endswith((".py", ".pyi")):
                continue

            child = here / name
            if excluded(name, child):
                logger.info("skipped %s: excluded", child)
                continue

            if child.absolute() not in seen:
                seen.add(child.absolute())
                yield _display(child), child


class _Excluder:
    """Match discovered names and paths against the exclude globs, fast.

    The folders above a path were already checked on the way down, so a glob
    without a ``/`` only needs the entry's own name; all such globs become one
    regular expression. Globs with a ``/`` need the path below the root.
    """

    def __init__(self, config: Config, patterns: tuple[str, ...]) -> None:
        self.config = config
        names = [p.rstrip("/") for p in patterns if "/" not in p.rstrip("/")]
        self.names = re.compile("|".join(fnmatch.translate(p) for p in names) or "(?!)")
        self.paths = tuple(p for p in patterns if "/" in p.rstrip("/"))

    def __call__(self, name: str, path: Path) -> bool:
        if self.names.match(name):
            return True

        if not self.paths:
            return False

        return self.config.is_excluded(self.config.relative(str(path)), self.paths)


def _walk_error(error: OSError) -> None:
    logger.warning("cannot list %s: %s", error.filename, error.strerror)


def _display(path: Path) -> str:
    text = path.as_posix()
    return text[2:] if text.startswith("./") else text


# Raised whenever what an entry holds changes, so older entries are not read.
_CACHE_FORMAT = 4


def _report_to_dict(report: FileReport) -> dict:
    return {
        "lines": report.lines,
        "parsed": report.parsed,
        "findings": [f.to_dict() for f in report.findings],
        "unused_noqa": [f.to_dict() for f in report.unused_noqa],
        "facts": report.facts,
        "questions": report.questions,
    }


def _report_from_dict(path: str, data: dict) -> FileReport:
    return FileReport(
        path=path,
        findings=[Finding.from_dict(f) for f in data["findings"]],
        lines=data["lines"],
        parsed=data["parsed"],
        unused_noqa=[Finding.from_dict(f) for f in data["unused_noqa"]],
        facts=data["facts"],
        questions=data["questions"],
    )


class Cache:
    """Findings and project facts per file, keyed on the file's path and content.

    One JSON file per tool version and configuration, so changing either
    starts afresh. A file's facts are reused while its content is unchanged;
    its findings also need the project index to be unchanged, since rules
    read facts from other files.
    """

    def __init__(self, folder: Path, config: Config) -> None:
        name = f"{__version__}-{_CACHE_FORMAT}-{config.fingerprint()[:16]}.json"
        self.path = folder / name
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

    def wanted(self, path: str, key: str) -> bool | None:
        """Tell whether an unchanged file was wanted by a rule; None if unknown."""
        entry = self._entry(path, key)
        if entry is None or "first" not in entry:
            return None
        return not entry.get("unwanted", False)

    def first(self, path: str, key: str) -> FileReport | None:
        """Return the findings and facts of the first pass over a file."""
        entry = self._entry(path, key)
        if entry is None or "first" not in entry:
            return None
        return _report_from_dict(path, entry["first"])

    def second(self, path: str, key: str, index: str) -> FileReport | None:
        """Return the report of a file whose first pass asked about the
        project, as the project ``index`` answers; None if not known."""
        entry = self._entry(path, key)
        if entry is None or entry.get("index") != index:
            return None
        second = entry["second"] if entry["second"] is not None else entry["first"]
        return _report_from_dict(path, second)

    def put_first(
        self, key: str, report: FileReport, *, unwanted: bool = False
    ) -> None:
        self.entries[report.path] = {
            "key": key,
            "first": _report_to_dict(report),
            "unwanted": unwanted,
        }
        self.dirty = True

    def put_second(
        self, path: str, key: str, index: str, report: FileReport | None
    ) -> None:
        """Store the report for ``index``; None when the first pass's holds."""
        entry = self.entries.setdefault(path, {"key": key})
        data = _report_to_dict(report) if report is not None else None
        entry.update(index=index, second=data)
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
    path: str, source: bytes, config: Config, rules=None, **options
) -> FileReport:
    """Analyze one file with the engine, imported only once a file needs it."""
    return _engine().analyze_source(path, source, config, rules, **options)


_worker: dict = {}


def _prepare(config: Config, project: ProjectIndex) -> None:
    _worker.update(config=config, project=project, rules=None, collectors=None)


def _init_worker(config: Config, project: ProjectIndex) -> None:
    _prepare(config, project)
    logging.getLogger().setLevel(logging.WARNING)


def _run_chunk(task: str, items: list[tuple]) -> list[FileReport]:
    config = _worker["config"]
    if _worker["rules"] is None:
        _worker["rules"] = _engine().enabled_rules(config)
        _worker["collectors"] = _engine().fact_collectors(_worker["rules"])

    if task == _SECOND:
        project = _worker["project"]
        reports = []
        for path, source, only in items:
            rules = [r for r in _worker["rules"] if only is None or r.id in only]
            reports.append(analyze_source(path, source, config, rules, project=project))
        return reports

    collectors = _worker["collectors"]
    return [
        analyze_source(path, source, config, _worker["rules"], collectors=collectors)
        for path, source in items
    ]


# The first pass parses each file once, collects its facts and runs every
# rule; rules that read project facts get the answers of an empty project and
# record what they asked. Once all facts are known, the second pass analyzes
# again only the files where some answer differs.
_FIRST = "first"
_SECOND = "second"


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
        known = cache.wanted(display, key) if cache else None
        skipped = cache.first(display, key) if known is False else None
        if skipped is not None:
            result.cached += 1
        elif not known and not wanted(display, source):
            # Nothing any rule or collector looks for: no parse, no facts,
            # and its bytes need not be kept for the rest of the run.
            skipped = FileReport(path=display, lines=source.count(b"\n"))
            if cache is not None:
                cache.put_first(key, skipped, unwanted=True)
        if skipped is not None:
            reports.append(skipped)
            if progress:
                progress(1)
        else:
            readable.append((display, source, key))

    firsts = _first_pass(readable, config, cache, jobs, progress)
    project = ProjectIndex.from_files(
        {p: r.facts for p, r in firsts.items() if r.facts}
    )
    result.project = project
    index = project.fingerprint()
    seconds: dict[str, FileReport] = {}
    todo: list[tuple[str, bytes, list[str] | None]] = []
    keys: dict[str, str] = {}
    settled = _Settled(config, project)
    for display, source, key in readable:
        first = firsts[display]
        if not first.questions:
            continue

        hit = cache.second(display, key, index) if cache else None
        if hit is not None:
            seconds[display] = hit
        elif settled(first):
            if cache is not None:
                cache.put_second(display, key, index, None)
        else:
            keys[display] = key
            todo.append((display, source, _askers(first, source)))
    reruns = {display: only for display, _, only in todo}
    for report in _map(_SECOND, todo, config, project, jobs, None):
        rerun = reruns[report.path]
        if rerun is not None:
            report = _combine(firsts[report.path], report, rerun)
        seconds[report.path] = report
        if cache is not None:
            cache.put_second(report.path, keys[report.path], index, report)
    result.reanalyzed = len(todo)
    fresh = {path for path, report in firsts.items() if report.fresh} | set(keys)
    result.cached += sum(display not in fresh for display, _, _ in readable)

    if cache is not None:
        cache.save()

    reports += [_merge(firsts[d], seconds.get(d)) for d, _, _ in readable]
    for report in reports:
        result.lines += report.lines
        result.parsed += report.parsed
        result.findings.extend(report.findings)
        result.unused_noqa.extend(report.unused_noqa)
    result.findings.sort(key=lambda f: f.sort_key)
    result.unused_noqa.sort(key=lambda f: f.sort_key)
    return result


def _first_pass(
    readable: list[tuple[str, bytes, str]],
    config: Config,
    cache: Cache | None,
    jobs: int,
    progress: Callable[[int], None] | None,
) -> dict[str, FileReport]:
    """Run the first pass over every readable file, from the cache if it can."""
    firsts: dict[str, FileReport] = {}
    todo: list[tuple[str, bytes]] = []
    keys: dict[str, str] = {}
    for display, source, key in readable:
        hit = cache.first(display, key) if cache else None
        if hit is not None:
            firsts[display] = hit
            if progress:
                progress(1)
        else:
            keys[display] = key
            todo.append((display, source))

    for report in _map(_FIRST, todo, config, EMPTY_INDEX, jobs, progress):
        report.fresh = True
        firsts[report.path] = report
        if cache is not None:
            cache.put_first(keys[report.path], report)
    return firsts


class _Settled:
    """Tell whether a file's first pass stands once the project is known:
    every question its rules asked gets the answer they were given."""

    def __init__(self, config: Config, project: ProjectIndex) -> None:
        self.config = config
        self.project = project
        self.rules: dict[str, type] | None = None

    def __call__(self, report: FileReport) -> bool:
        if self.rules is None:
            enabled = _engine().enabled_rules(self.config)
            self.rules = {cls.id: cls for cls in enabled}
        for rule_id, asked in report.questions.items():
            cls = self.rules.get(rule_id)
            if cls is None:
                return False

            for question, answer in asked:
                now = cls.answer(self.project, tuple(question))
                if _canonical(now) != _canonical(answer):
                    return False
        return True


def _canonical(data: object) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def _askers(first: FileReport, source: bytes) -> list[str] | None:
    """Return the rules a second pass over a file needs to run again.

    Only the rules that asked about the project can change their findings; the
    others' findings stand. All rules run again where the first pass left a
    diagnostic, or where a noqa comment names our codes, since whether it
    silenced anything depends on every rule's findings.
    """
    if names_our_codes(source) or any(
        f.rule_id.startswith("AHL0") for f in first.findings
    ):
        return None
    return sorted(first.questions)


def _combine(first: FileReport, second: FileReport, rerun: list[str]) -> FileReport:
    """Put the findings of the rules run again with the first pass's others."""
    kept = [f for f in first.findings if f.rule_id not in rerun]
    second.findings = sorted([*kept, *second.findings], key=lambda f: f.sort_key)
    second.unused_noqa = first.unused_noqa
    return second


def _merge(first: FileReport, second: FileReport | None) -> FileReport:
    """Take the second pass's report on a file where there was one."""
    if second is None:
        return first

    # The second pass ran every rule; it collected no facts.
    second.facts = first.facts
    return second


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

    firsts = _first_pass(readable, config, cache, jobs, None)
    if cache is not None:
        cache.save()
    return ProjectIndex.from_files({p: r.facts for p, r in firsts.items() if r.facts})


class _Wanted:
    """Tell whether any enabled rule or fact collector wants a file's text.

    The rules are loaded on first use, so a run served from the cache does
    not import the engine.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.checks: list | None = None

    def __call__(self, path: str, source: bytes) -> bool:
        if self.checks is None:
            self.checks = _engine().enabled_rules(self.config)
            self.collectors = _engine().fact_collectors(self.checks)

        if has_skip_file(source):
            return False

        return any(rule.wants(source) for rule in self.checks) or any(
            collector.wants(source, path) for collector in self.collectors
        )


def _map(
    task: str,
    todo: list[tuple],
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
        futures = {
            pool.submit(_run_chunk, task, chunk): i for i, chunk in enumerate(chunks)
        }
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


def _isolated(task: str, item: tuple, config: Config, project: ProjectIndex):
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=1, initializer=_init_worker, initargs=(config, project)
    ) as pool:
        try:
            return pool.submit(_run_chunk, task, [item]).result()[0]
        except BrokenProcessPool:
            path = item[0]
            detail = "the parser crashed on it"
            return FileReport(
                path=path, findings=[diagnostic(path, PARSE_ERROR, detail)]
            )
