"""Line and column of a few nodes, without libcst's whole-file position metadata.

libcst's ``PositionProvider`` visits the whole tree and then generates its
code, building a range object for every node: on a large file that costs more
than parsing it. Findings need the positions of a handful of nodes, so this
generates the code once with a state that only collects text until it enters
one of those nodes, records ranges inside them, and stops after the last one.
The ranges are the same as ``PositionProvider``'s (syntactic: without the
whitespace around a node).
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterable, Iterator

import libcst as cst
from libcst._nodes.internal import CodegenState

Position = tuple[int, int]
Range = tuple[Position, Position]

_NEWLINE = re.compile(r"\r\n?|\n")
_NOTHING = contextlib.nullcontext()
# Code generation recurses once per level of nesting; deep expressions that
# Python itself accepts need more than the default limit.
_DEEP_RECURSION_LIMIT = 20_000


class _Done(Exception):
    """Raised once the last wanted node is generated, to stop early."""


class _TargetedState(CodegenState):
    def __init__(self, module: cst.Module, targets: Iterable[cst.CSTNode]) -> None:
        super().__init__(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        self.targets = {id(node) for node in targets}
        self.pending = len(self.targets)
        self.ranges: dict[int, Range] = {}
        self.depth = 0
        self.starts: list[Position] = []
        self.line = 1
        self.column = 0
        self.scanned = 0

    def position(self) -> Position:
        """Return where the next token starts, scanning only new tokens."""
        if self.scanned < len(self.tokens):
            text = "".join(self.tokens[self.scanned :])
            self.scanned = len(self.tokens)
            segments = _NEWLINE.split(text)
            if len(segments) == 1:
                self.column += len(text)
            else:
                self.line += len(segments) - 1
                self.column = len(segments[-1])
        return self.line, self.column

    def before_codegen(self, node: cst.CSTNode) -> None:
        if self.depth or id(node) in self.targets:
            self.depth += 1
            self.starts.append(self.position())

    def after_codegen(self, node: cst.CSTNode) -> None:
        if not self.depth:
            return

        self.depth -= 1
        start = self.starts.pop()
        key = id(node)
        if key not in self.ranges:
            self.ranges[key] = (start, self.position())
        if key in self.targets:
            self.pending -= 1
            if not self.pending:
                raise _Done

    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> contextlib.AbstractContextManager[None]:
        if not self.depth:
            return _NOTHING
        return self._record(node, start_node, end_node)

    @contextlib.contextmanager
    def _record(
        self,
        node: cst.CSTNode,
        start_node: cst.CSTNode | None,
        end_node: cst.CSTNode | None,
    ) -> Iterator[None]:
        start = self.position()
        try:
            yield
        finally:
            end = self.position()
            if start_node is not None and id(start_node) in self.ranges:
                start = self.ranges[id(start_node)][0]
            if end_node is not None and id(end_node) in self.ranges:
                end = self.ranges[id(end_node)][1]
            self.ranges[id(node)] = (start, end)


def node_ranges(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[int, Range]:
    """Return ``{id(node): ((line, column), (end_line, end_column))}`` for ``nodes``.

    Lines are 1-based and columns 0-based, as in libcst's ``PositionProvider``.
    """
    state = _TargetedState(module, nodes)
    if not state.targets:
        return {}

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _DEEP_RECURSION_LIMIT))
    try:
        module._codegen(state)
    except _Done:
        pass
    finally:
        sys.setrecursionlimit(limit)
    return state.ranges
