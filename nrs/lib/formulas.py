"""Formulas of derived indicators: arithmetic over indicator codes.

Pure. A formula is parsed with Python's own ``ast`` and only names, numbers,
``+ - * /``, unary minus and parentheses are accepted, so evaluating one can
never run code.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from graphlib import CycleError, TopologicalSorter

_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


class FormulaError(ValueError):
    """A formula that cannot be parsed, refers to unknown codes, or cycles."""


@lru_cache(maxsize=1024)
def _parse(expression: str) -> ast.expr:
    """Parsed once per expression (the tree is only read, never changed)."""
    if not expression or not expression.strip():
        raise FormulaError("the formula is empty")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"cannot parse '{expression}': {exc.msg}") from None
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.USub, ast.UAdd,
                                 ast.Name, ast.Load, ast.Constant, *_BINARY)):
            raise FormulaError(f"'{expression}' uses {type(node).__name__}, which is not allowed")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise FormulaError(f"'{expression}' contains a non-numeric constant")
    return tree.body


def references(expression: str) -> set[str]:
    """The indicator codes a formula refers to."""
    return {node.id for node in ast.walk(_parse(expression)) if isinstance(node, ast.Name)}


def evaluate(expression: str, values: Mapping[str, float]) -> float | None:
    """The formula's value, or None when an input is missing or it divides by zero."""

    def walk(node: ast.expr) -> float | None:
        if isinstance(node, ast.Constant):
            return float(node.value)  # type: ignore[arg-type]  # checked numeric in _parse
        if isinstance(node, ast.Name):
            value = values.get(node.id)
            return None if value is None else float(value)
        if isinstance(node, ast.UnaryOp):
            inner = walk(node.operand)
            if inner is None:
                return None
            return -inner if isinstance(node.op, ast.USub) else inner
        assert isinstance(node, ast.BinOp)
        left, right = walk(node.left), walk(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Div) and right == 0:
            return None
        return _BINARY[type(node.op)](left, right)

    return walk(_parse(expression))


def check_all(formulas: Mapping[str, str], known: Iterable[str]) -> list[str]:
    """Check a set of formulas (code -> expression) against the known codes.

    Returns the codes in an order where every formula comes after its inputs.
    Raises FormulaError naming the first bad code: an unparsable formula, an
    unknown reference, or a cycle.
    """
    known_codes = set(known)
    graph: dict[str, set[str]] = {}
    for code, expression in formulas.items():
        try:
            refs = references(expression)
        except FormulaError as exc:
            raise FormulaError(f"{code}: {exc}") from None
        unknown = sorted(refs - known_codes)
        if unknown:
            raise FormulaError(f"{code}: unknown indicator {', '.join(unknown)} in '{expression}'")
        if code in refs:
            raise FormulaError(f"{code}: the formula refers to itself")
        graph[code] = refs
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise FormulaError(f"formula cycle: {cycle}") from None
    return [code for code in order if code in formulas]
