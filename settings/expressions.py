"""Arithmetic expressions over field keys, as used by validation rules ("models_new + models_maintained").

Parsed once at config load with Python's own parser, restricted to numbers, field keys,
+ - * / and parentheses; evaluated with Decimal so "1.500" + "2,5" stays exact.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, DivisionByZero, InvalidOperation

_OPERATORS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}


class ExpressionError(ValueError):
    """The expression text is not a plain arithmetic expression over field keys."""


@dataclass(frozen=True)
class Expression:
    """A parsed expression and the field keys it reads."""

    text: str
    tree: ast.expr
    names: tuple[str, ...]
    # The field key when the expression is that key alone (most rules compare two fields).
    alone: str | None = None

    def evaluate(self, values: Mapping[str, Decimal | None]) -> Decimal | None:
        """The value, with missing fields read as 0; None when it divides by zero."""
        try:
            return _evaluate(self.tree, values)
        except (DivisionByZero, InvalidOperation):
            return None


def parse_expression(text: str) -> Expression:
    """Parse ``text``; raise ExpressionError with a reason when it is not allowed."""
    try:
        tree = ast.parse(str(text).strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse expression {text!r}") from exc
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in names:
                names.append(node.id)
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, (int, float)) or isinstance(node.value, bool):
                raise ExpressionError(f"only numbers are allowed as constants in {text!r}")
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _OPERATORS:
                raise ExpressionError(f"only + - * / are allowed in {text!r}")
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise ExpressionError(f"only + - * / are allowed in {text!r}")
        elif not isinstance(node, (ast.Load, ast.operator, ast.unaryop)):
            raise ExpressionError(f"{type(node).__name__} is not allowed in {text!r}")
    alone = tree.id if isinstance(tree, ast.Name) else None
    return Expression(text=str(text).strip(), tree=tree, names=tuple(names), alone=alone)


def _evaluate(node: ast.expr, values: Mapping[str, Decimal | None]) -> Decimal:
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        value = values.get(node.id)
        return Decimal(0) if value is None else Decimal(value)
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    assert isinstance(node, ast.BinOp)
    return _OPERATORS[type(node.op)](_evaluate(node.left, values), _evaluate(node.right, values))
