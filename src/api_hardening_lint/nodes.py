"""Small questions about libcst nodes that many rules ask."""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import libcst as cst

if TYPE_CHECKING:
    from api_hardening_lint.context import FileContext

logger = logging.getLogger(__name__)


def is_true(node: cst.BaseExpression | None) -> bool:
    """Tell whether ``node`` is the literal ``True``."""
    return isinstance(node, cst.Name) and node.value == "True"


def literal_value(node: cst.SimpleString) -> str | bytes:
    """Return the value of a string literal, as libcst's ``evaluated_value``
    does, without compiling the literal when its text is its value (no escapes,
    or a raw string): compiling costs more than the rest of most checks."""
    raw = node.raw_value
    prefix = node.prefix.lower()
    if "b" in prefix or "\r" in raw or ("\\" in raw and "r" not in prefix):
        return node.evaluated_value
    return raw


def string_value(node: cst.BaseExpression | None) -> str | None:
    """Return the value of a plain or concatenated string literal, else None.

    f-strings and bytes give None: their value is not known or not text.
    """
    if isinstance(node, cst.SimpleString):
        value = literal_value(node)
        return value if isinstance(value, str) else None

    if isinstance(node, cst.ConcatenatedString):
        left = string_value(node.left)
        right = string_value(node.right)
        return None if left is None or right is None else left + right

    return None


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    """Return the argument passed to ``call`` as ``name=...``, or None."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def subscript_key(node: cst.Subscript) -> str | None:
    """Return ``"KEY"`` for ``x["KEY"]``, else None."""
    if len(node.slice) != 1:
        return None

    element = node.slice[0].slice
    if isinstance(element, cst.Index):
        return string_value(element.value)
    return None


def dotted_name(node: cst.BaseExpression) -> str | None:
    """Return ``a.b.c`` for a chain of names and attributes, else None."""
    # Exact types (neither has subclasses): cheaper than ``isinstance`` on
    # libcst's abstract node classes, and this runs for most calls a rule sees.
    kind = type(node)
    if kind is cst.Name:
        return node.value

    if kind is cst.Attribute:
        base = dotted_name(node.value)
        return None if base is None else f"{base}.{node.attr.value}"

    return None


def sequence_items(node: cst.BaseExpression | None) -> list[cst.BaseExpression] | None:
    """Return the elements of a list, tuple or set literal, else None."""
    if not isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return None

    return [element.value for element in node.elements]


def string_keyed_items(
    node: cst.BaseExpression | None,
) -> list[tuple[str, cst.DictElement]]:
    """Return ``(key, element)`` for each entry of a dict literal with a string key."""
    if not isinstance(node, cst.Dict):
        return []

    items = []
    for element in node.elements:
        if isinstance(element, cst.DictElement):
            key = string_value(element.key)
            if key is not None:
                items.append((key, element))
    return items


# Methods of werkzeug, Starlette and Django header objects that set one header
# from a name and a value.
_HEADER_SETTERS = frozenset(
    {"add", "set", "setdefault", "append", "add_header", "set_header"}
)
_HEADER_UPDATERS = frozenset({"update", "extend"})


def _is_response_call(call: cst.Call) -> bool:
    name = dotted_name(call.func)
    if name is None:
        return False

    last = name.rsplit(".", 1)[-1]
    return last.endswith(("Response", "Exception")) or last == "make_response"


def _pairs(
    node: cst.BaseExpression | None,
    name_of: Callable[[cst.BaseExpression], str | None],
) -> list[tuple[str, cst.BaseExpression, cst.CSTNode]]:
    if isinstance(node, cst.Dict):
        found = []
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                name = name_of(element.key)
                if name is not None:
                    found.append((name, element.value, element))
        return found

    found = []
    for item in sequence_items(node) or ():
        pair = sequence_items(item)
        if pair is not None and len(pair) == 2:
            name = name_of(pair[0])
            if name is not None:
                found.append((name, pair[1], item))
    return found


def header_writes(
    node: cst.CSTNode,
    name_of: Callable[[cst.BaseExpression], str | None] = string_value,
    headers_of: Callable[[cst.BaseExpression], cst.BaseExpression | None] = lambda n: n,
) -> list[tuple[str, cst.BaseExpression, cst.CSTNode]]:
    """Return ``(header, value, node)`` for each response header ``node`` sets.

    ``node`` may be an assignment (``resp.headers["X"] = v``, Django's
    ``resp["X"] = v``), a call (``resp.headers.add("X", v)``,
    ``resp.headers.update({...})``, a response or ``make_response`` given
    headers) or a Flask ``return body, status, {...}``. ``name_of`` reads a
    header name from an expression; ``headers_of`` maps a headers argument to
    the literal it stands for, so a rule can follow a local variable.
    """
    if isinstance(node, cst.Assign):
        found = []
        for target in node.targets:
            if (
                isinstance(target.target, cst.Subscript)
                and len(target.target.slice) == 1
            ):
                index = target.target.slice[0].slice
                if isinstance(index, cst.Index):
                    name = name_of(index.value)
                    if name is not None:
                        found.append((name, node.value, node))
        return found

    if isinstance(node, cst.Return):
        items = sequence_items(node.value)
        if items is None or len(items) not in (2, 3):
            return []

        return _pairs(headers_of(items[-1]), name_of)

    if not isinstance(node, cst.Call):
        return []

    if isinstance(node.func, cst.Attribute):
        method = node.func.attr.value
        positional = [
            arg.value for arg in node.args if arg.keyword is None and not arg.star
        ]
        if method in _HEADER_SETTERS and len(positional) == 2:
            name = name_of(positional[0])
            return [] if name is None else [(name, positional[1], node)]

        if method in _HEADER_UPDATERS and len(positional) == 1:
            return _pairs(headers_of(positional[0]), name_of)

    if not _is_response_call(node):
        return []

    found = []
    for index, arg in enumerate(node.args):
        if arg.star:
            continue

        if (arg.keyword is not None and arg.keyword.value == "headers") or (
            arg.keyword is None and index > 0
        ):
            found.extend(_pairs(headers_of(arg.value), name_of))
    return found


_DESCENDANT_FIELDS: dict[type, tuple[str, ...]] = {}
_NODE_TYPES: dict[type, bool] = {}


def _node_fields(node_type: type) -> tuple[str, ...]:
    names = _DESCENDANT_FIELDS.get(node_type)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(node_type)
            if not f.name.startswith(("whitespace", "lpar", "rpar", "comma"))
            and f.name not in ("leading_lines", "header", "footer", "newline")
        )
        _DESCENDANT_FIELDS[node_type] = names
    return names


def descendants(
    node: cst.CSTNode, skip: tuple[type, ...] = ()
) -> Iterator[cst.CSTNode]:
    """Yield the nodes below ``node``, without entering nodes of the ``skip`` types.

    A plain read of the dataclass fields: cheaper than a libcst visitor, for the
    few statements a rule looks into after the traversal.
    """
    # libcst's node classes are abstract base classes, whose ``isinstance``
    # is slow; whether a type is a node, or skipped, is looked up per type.
    skipped: dict[type, bool] = {}
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        for name in _node_fields(type(current)):
            value = getattr(current, name)
            items = value if type(value) in (tuple, list) else (value,)
            for item in items:
                kind = type(item)
                is_node = _NODE_TYPES.get(kind)
                if is_node is None:
                    is_node = _NODE_TYPES[kind] = issubclass(kind, cst.CSTNode)
                if not is_node:
                    continue

                yield item
                skip_it = skipped.get(kind)
                if skip_it is None:
                    skip_it = skipped[kind] = issubclass(kind, skip)
                if not skip_it:
                    stack.append(item)


# Building blocks rules use to describe fixes cheaply.
# ``os = ...``, ``def os(``, ``for os in``: a module-level ``os`` that is not
# the standard library, so ``os.environ`` would mean something else.
_REBINDS_OS = re.compile(
    rb"(?m)(?:^\s*(?:def|class)\s+os\b|\bos\s*(?::[^=\n]*)?=(?!=)"
    rb"|\bfor\s+os\s+in\b)"
)


def os_is_free(context: FileContext, rule_id: str) -> bool:
    """Tell whether ``os`` names the standard module here or nothing at all.

    A fix that writes ``os.environ`` is refused, and logged, otherwise.
    """
    bound = context.bindings.imports.get("os")
    if bound in (None, "os") and not _REBINDS_OS.search(context.source):
        return True

    logger.info(
        "refused the %s fix in %s: the name os is bound to something else there",
        rule_id,
        context.path,
    )
    return False


@functools.lru_cache(maxsize=64)
def environ_flag(variable: str) -> cst.BaseExpression:
    """Return ``os.environ.get("<variable>") == "1"``."""
    return cst.parse_expression(f'os.environ.get("{variable}") == "1"')


@functools.lru_cache(maxsize=64)
def environ_item(variable: str) -> cst.BaseExpression:
    """Return ``os.environ["<variable>"]``."""
    return cst.parse_expression(f'os.environ["{variable}"]')


@functools.lru_cache(maxsize=64)
def environ_words(variable: str) -> cst.BaseExpression:
    """Return ``os.environ.get("<variable>", "").split()``.

    The space-separated entries of the variable: never an empty string, and
    an empty list when the variable is unset.
    """
    return cst.parse_expression(f'os.environ.get("{variable}", "").split()')


def with_value(make):
    """Return a replacement that swaps a node's ``value`` for ``make()``."""
    return lambda node: node.with_changes(value=make())


def with_keyword(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """Return ``call`` with ``name=value`` added after its last argument.

    A trailing comma stays last, and the new argument takes the first
    argument's indentation when the arguments are on lines of their own.
    """
    new = cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""),
            whitespace_after=cst.SimpleWhitespace(""),
        ),
    )
    args = list(call.args)
    if not args:
        return call.with_changes(args=[new])

    last = args[-1]
    if isinstance(last.comma, cst.Comma):
        after = call.whitespace_before_args
        if not isinstance(after, cst.ParenthesizedWhitespace):
            after = cst.SimpleWhitespace(" ")
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=after))
        new = new.with_changes(comma=last.comma)
    else:
        args[-1] = last.with_changes(
            comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        )
    return call.with_changes(args=[*args, new])


def bound_names(target: cst.BaseExpression) -> list[str]:
    """Return the names an assignment target binds: ``a``, ``a, (b, c)``."""
    if isinstance(target, cst.Name):
        return [target.value]

    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for element in target.elements for n in bound_names(element.value)]
    return []


def assigns_name(statements: Sequence[cst.CSTNode], name: str) -> bool:
    """Tell whether statements assign ``name`` at their own level, not in a
    nested block: ``name = ...``, ``name: T = ...``, ``name += ...``."""
    for stmt in statements:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue

        for small in stmt.body:
            targets = []
            if isinstance(small, cst.Assign):
                targets = [target.target for target in small.targets]
            elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                targets = [small.target]
            if any(name in bound_names(target) for target in targets):
                return True
    return False


def suite_statements(body: cst.BaseSuite) -> list[cst.CSTNode]:
    """Return the statements of an indented block, or the one-line suite itself."""
    if isinstance(body, cst.IndentedBlock):
        return list(body.body)
    return [body]


def compound_blocks(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Return the statements inside a compound statement other than def/class.

    An ``elif`` comes back as its ``If`` node, so callers see each branch.
    """
    found: list[cst.CSTNode] = []
    body = getattr(node, "body", None)
    if isinstance(body, cst.BaseSuite):
        found.extend(suite_statements(body))
    for name in ("handlers", "cases"):
        for part in getattr(node, name, ()) or ():
            found.extend(suite_statements(part.body))
    for name in ("orelse", "finalbody"):
        part = getattr(node, name, None)
        if isinstance(part, cst.If):
            found.append(part)
        elif part is not None and isinstance(
            getattr(part, "body", None), cst.BaseSuite
        ):
            found.extend(suite_statements(part.body))
    return found
