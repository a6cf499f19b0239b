"""Validation rules in the spirit of DHIS2: left ⟨operator⟩ right over a record's field values,
with a missing-value strategy, an importance and a Vietnamese description.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from rules.messages import finding_text
from rules.model import Finding
from settings.schema import Form, Rule
from vntext import format_number

_COMPARE = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


_NUMBERS = frozenset({int, Decimal})


def _present(names: tuple[str, ...], values: Mapping[str, Any]) -> bool:
    return any(values.get(name) is not None for name in names)


def rule_holds(rule: Rule, values: Mapping[str, Any]) -> bool | None:
    """True or False, or None when the rule is skipped for missing values or a division by zero."""
    left, right = rule.left_expression, rule.right_expression
    if rule.operator == "compulsory_pair":
        return _present(left.names, values) == _present(right.names, values)
    if rule.operator == "exclusive_pair":
        return not (_present(left.names, values) and _present(right.names, values))
    names = rule.names
    missing = [name for name in names if values.get(name) is None]
    if rule.missing_values == "skip_if_any_missing" and missing:
        return None
    if rule.missing_values == "skip_if_all_missing" and names and len(missing) == len(names):
        return None
    if left.alone is not None and right.alone is not None:
        # Two fields compared: their numbers compare as the Decimals evaluate would make of them.
        left_value, right_value = values.get(left.alone), values.get(right.alone)
        left_value = 0 if left_value is None else left_value
        right_value = 0 if right_value is None else right_value
        if type(left_value) in _NUMBERS and type(right_value) in _NUMBERS:
            return _COMPARE[rule.operator](left_value, right_value)
    # Expressions read their names from ``values`` as Decimal themselves (a missing one as 0).
    left_value, right_value = left.evaluate(values), right.evaluate(values)
    if left_value is None or right_value is None:
        return None
    return _COMPARE[rule.operator](left_value, right_value)


def check_rule(
    rule: Rule, form: Form, values: Mapping[str, Any], cells: Mapping[str, str], unit_id: str, period_id: str, tab: str
) -> Finding | None:
    """A finding when ``rule`` is broken by this record, naming the cells involved."""
    if rule_holds(rule, values) is not False:
        return None
    involved = [cells[name] for name in rule.names if name in cells]
    # The first cell with its tab, the others (same row) by column and row only.
    cells_text = ", ".join([*involved[:1], *(c.split("!", 1)[-1] for c in involved[1:])]) or "—"
    numbers = {k: values.get(k) for k in rule.names}
    if rule.operator in ("compulsory_pair", "exclusive_pair"):
        message = finding_text("pair_broken", description=rule.description, cells=cells_text)
    else:
        message = finding_text(
            "rule_broken",
            description=rule.description,
            cells=cells_text,
            left=format_number(rule.left_expression.evaluate(numbers)),
            right=format_number(rule.right_expression.evaluate(numbers)),
        )
    first = rule.names[0] if rule.names else None
    return Finding(
        unit_id,
        "rule_broken",
        message,
        severity=rule.importance,
        blocking=rule.importance == "high",
        form_key=form.key,
        period_id=period_id,
        tab=tab,
        cell=involved[0] if involved else None,
        field_label=form.field(first).label if first else None,
    )
