"""Small questions about libcst nodes that many rules ask."""

from __future__ import annotations

import libcst as cst


def is_true(node: cst.BaseExpression | None) -> bool:
    """Tell whether ``node`` is the literal ``True``."""
    return isinstance(node, cst.Name) and node.value == "True"


def string_value(node: cst.BaseExpression | None) -> str | None:
    """Return the value of a plain or concatenated string literal, else None.

    f-strings and bytes give None: their value is not known or not text.
    """
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
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
    if isinstance(node, cst.Name):
        return node.value

    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return None if base is None else f"{base}.{node.attr.value}"

    return None
