"""Validation rules: every operator, every missing-value strategy, expressions, findings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rules.validation import check_rule, rule_holds
from settings.expressions import ExpressionError, parse_expression
from settings.schema import Form, Rule

FORM = Form.model_validate(
    {
        "key": "f",
        "tab": "Báo cáo",
        "title": "Báo cáo",
        "fields": [{"key": k, "label": k.upper(), "type": "integer"} for k in ("a", "b", "c")],
    }
)


def rule(
    operator: str, left: str = "a", right: str = "b", missing: str = "skip_if_any_missing", importance: str = "high"
) -> Rule:
    return Rule.model_validate(
        {
            "id": "r",
            "form": "f",
            "description": "Kiểm tra",
            "left": left,
            "operator": operator,
            "right": right,
            "missing_values": missing,
            "importance": importance,
        }
    )


def values(a=None, b=None, c=None) -> dict[str, Decimal | None]:
    return {k: (None if v is None else Decimal(v)) for k, v in {"a": a, "b": b, "c": c}.items()}


@pytest.mark.parametrize(
    ("operator", "a", "b", "holds"),
    [
        ("==", 3, 3, True),
        ("==", 3, 4, False),
        ("!=", 3, 4, True),
        ("!=", 3, 3, False),
        ("<", 3, 4, True),
        ("<", 4, 4, False),
        ("<=", 4, 4, True),
        ("<=", 5, 4, False),
        (">", 5, 4, True),
        (">", 4, 4, False),
        (">=", 4, 4, True),
        (">=", 3, 4, False),
    ],
)
def test_comparison_operators(operator, a, b, holds):
    assert rule_holds(rule(operator), values(a, b)) is holds


@pytest.mark.parametrize(
    ("a", "b", "holds"),
    [(1, 2, True), (None, None, True), (1, None, False), (None, 2, False), (0, None, False)],
)
def test_compulsory_pair_needs_both_or_neither(a, b, holds):
    assert rule_holds(rule("compulsory_pair"), values(a, b)) is holds


@pytest.mark.parametrize(
    ("a", "b", "holds"),
    [(1, None, True), (None, 2, True), (None, None, True), (1, 2, False), (0, 0, False)],
)
def test_exclusive_pair_forbids_both(a, b, holds):
    assert rule_holds(rule("exclusive_pair"), values(a, b)) is holds


@pytest.mark.parametrize(
    ("missing", "a", "b", "expected"),
    [
        ("skip_if_any_missing", 5, None, None),
        ("skip_if_any_missing", None, None, None),
        ("skip_if_any_missing", 5, 4, False),
        ("skip_if_all_missing", 5, None, False),  # b reads as 0: 5 <= 0 fails
        ("skip_if_all_missing", None, None, None),
        ("never_skip", None, None, True),  # 0 <= 0
        ("never_skip", 5, None, False),
    ],
)
def test_missing_value_strategies(missing, a, b, expected):
    assert rule_holds(rule("<=", missing=missing), values(a, b)) is expected


def test_expressions_over_several_fields():
    r = rule(">=", left="c", right="a + b")
    assert rule_holds(r, values(2, 3, 5)) is True
    assert rule_holds(r, values(2, 3, 4)) is False
    assert rule_holds(rule("<=", left="a / b", right="1"), values(1, 0)) is None  # division by zero skips


@pytest.mark.parametrize("text", ["a +", "__import__('os')", "a.b", "'x'", "a ** 2", "[a]", "a if b else c"])
def test_only_arithmetic_is_allowed(text):
    with pytest.raises(ExpressionError):
        parse_expression(text)


def test_broken_rule_finding_names_cells_and_values():
    cells = {"a": "'Báo cáo'!B3", "b": "'Báo cáo'!C3"}
    finding = check_rule(rule("<=", importance="high"), FORM, values(15, 12), cells, "945", "2023-H1", "Báo cáo")
    assert finding.cell == "'Báo cáo'!B3" and finding.blocking and finding.severity == "high"
    assert finding.message == "Kiểm tra (ô 'Báo cáo'!B3, C3: 15 so với 12)."
    assert finding.field_label == "A"


def test_low_and_medium_rules_do_not_block():
    finding = check_rule(rule("<=", importance="low"), FORM, values(5, 4), {}, "u", "p", "t")
    assert (finding.severity, finding.blocking) == ("low", False)
    assert check_rule(rule("<=", importance="low"), FORM, values(3, 4), {}, "u", "p", "t") is None
