"""One iterative traversal of a libcst tree that feeds every rule at once.

libcst's own ``Module.visit`` rebuilds each node as it goes, which costs more
than parsing. Rules here only read the tree, so the walker follows each node
type's dataclass fields directly, skips the whitespace and punctuation nodes
no rule looks at, and dispatches on the node's type from a table built once
per file. It keeps an explicit stack, so deeply nested code cannot exhaust
Python's recursion limit.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import re
from collections.abc import Callable
from typing import Any

import libcst as cst

logger = logging.getLogger(__name__)

Handler = Callable[[Any], Any]

# Fields that only hold formatting: whitespace, comments, brackets, separators.
_FORMAT_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "comma",
        "semicolon",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "trailing_whitespace",
        "newline",
        "empty_lines",
        "equal",
        "colon",
        "dot",
        "star_tok",
        "asynchronous",
    }
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
_VISITED_FIELD = re.compile(r'visit_\w+\(\s*self,\s*"(\w+)"')
_LEAVE = object()


def _child_fields(node_type: type) -> tuple[str, ...]:
    """Return the fields that may hold child nodes, last in source order first."""
    fields = _CHILD_FIELDS.get(node_type)
    if fields is None:
        fields = tuple(
            name
            for name in reversed(_source_order(node_type))
            if name not in _FORMAT_FIELDS and not name.startswith("whitespace")
        )
        _CHILD_FIELDS[node_type] = fields
    return fields


def _source_order(node_type: type) -> list[str]:
    """Return a node type's fields in the order their code appears.

    Dataclass order differs from source order (a ``ClassDef`` declares
    ``body`` before ``decorators``); libcst's own child visitor lists them in
    source order, so that order is read from it once per node type.
    """
    declared = [f.name for f in dataclasses.fields(node_type)]
    try:
        code = inspect.getsource(node_type._visit_and_replace_children)
    except (OSError, TypeError):
        logger.debug("no source for %s; using field order", node_type.__name__)
        return declared

    ordered = []
    for name in _VISITED_FIELD.findall(code):
        if name in declared and name not in ordered:
            ordered.append(name)
    return ordered + [name for name in declared if name not in ordered]


def node_types_by_name() -> dict[str, type]:
    """Map each libcst node class name to the class."""
    return {
        name: obj
        for name, obj in vars(cst).items()
        if isinstance(obj, type) and issubclass(obj, cst.CSTNode)
    }


_NODE_CLASSES = frozenset(node_types_by_name().values())


def walk(
    root: cst.CSTNode,
    on_visit: dict[type, list[Handler]],
    on_leave: dict[type, list[Handler]],
    ancestors: list[cst.CSTNode],
    on_error: Callable[[Handler, BaseException], None],
) -> None:
    """Visit ``root`` and its descendants in source order.

    ``on_visit`` and ``on_leave`` map a node type to the handlers to call with
    each node of that type; ``ancestors`` is kept equal to the chain of nodes
    enclosing the one being handled. A handler that raises is passed to
    ``on_error``, which is expected to remove it from the tables.
    """
    stack: list[Any] = [root]
    pop = stack.pop
    push = stack.append
    fields_of = _CHILD_FIELDS
    node_classes = _NODE_CLASSES
    while stack:
        node = pop()
        if node is _LEAVE:
            done = ancestors.pop()
            handlers = on_leave.get(type(done))
            if handlers:
                _call(handlers, done, on_error)
            continue

        node_type = type(node)
        handlers = on_visit.get(node_type)
        if handlers:
            _call(handlers, node, on_error)

        ancestors.append(node)
        push(_LEAVE)
        # Children are pushed last first, so they pop in source order.
        fields = fields_of.get(node_type) or _child_fields(node_type)
        for name in fields:
            value = getattr(node, name)
            value_type = type(value)
            if value_type in node_classes:
                push(value)
            elif value_type is tuple or value_type is list:
                for item in reversed(value):
                    if type(item) in node_classes:
                        push(item)


def _call(
    handlers: list[Handler],
    node: cst.CSTNode,
    on_error: Callable[[Handler, BaseException], None],
) -> None:
    for handler in list(handlers):
        try:
            handler(node)
        except Exception as exc:  # a broken rule must not stop the others
            on_error(handler, exc)
