"""What the core is given for one unit: raw cell grids per tab, or why the unit could not be read.

Every source (sync/) builds these; matching tab titles, reading headers and parsing values is
the core's, so a unit's data judged from Google or from a workbook gives the same result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from vntext import fold

Grid = list[list[Any]]
# The rows of a tab the core reads (the header included). A source may hand over one more, so
# that a tab longer than this is told apart from one exactly this long, and the rest reported.
MAX_ROWS = 5000


class UncomputedFormula(str):
    """A cell holding a formula whose value was never computed (a workbook written by a program
    that does not calculate, and never opened in Excel): its text is the formula, without "="."""


@dataclass(frozen=True)
class SourceProblem:
    """Why a whole unit could not be read. ``code`` keys a message in templates/messages.yaml."""

    code: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class UnitGrids:
    """The grids read for one unit, keyed by the tab title the form expects."""

    unit_id: str
    grids: dict[str, Grid] = field(default_factory=dict)
    actual_titles: dict[str, str] = field(default_factory=dict)
    missing_tabs: list[str] = field(default_factory=list)
    available_tabs: list[str] = field(default_factory=list)
    problem: SourceProblem | None = None


def match_tabs(wanted: Iterable[str], available: Sequence[str]) -> dict[str, str]:
    """Map each wanted tab title to the available title equal to it after normalisation: the
    title itself when the workbook has it (as Google reads it by its name), else the first."""
    by_key: dict[str, str] = {}
    for title in available:
        by_key.setdefault(fold(title), title)
    exact = set(available)
    return {title: title if title in exact else by_key[fold(title)] for title in wanted if fold(title) in by_key}


def tab_twins(actual: str, available: Sequence[str]) -> list[str]:
    """The other available titles that fold to the same key as ``actual``: tabs the clerk may
    take for the one read."""
    key = fold(actual)
    return [title for title in available if title != actual and fold(title) == key]
