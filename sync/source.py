"""What every source (local workbooks, Google Sheets) hands to the core: raw cell grids per tab.

A source only fetches; matching tab titles, reading headers and parsing values is shared
(rules/), so a unit's data judged from Google or from a workbook gives the same result.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rules.normalize import fold
from settings.schema import Unit

Grid = list[list[Any]]


@dataclass(frozen=True)
class SourceProblem:
    """Why a whole unit could not be read. ``code`` keys a message in templates/messages.yaml."""

    code: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class UnitFetch:
    """The grids read for one unit, keyed by the tab title the form expects."""

    unit_id: str
    grids: dict[str, Grid] = field(default_factory=dict)
    actual_titles: dict[str, str] = field(default_factory=dict)
    missing_tabs: list[str] = field(default_factory=list)
    available_tabs: list[str] = field(default_factory=list)
    problem: SourceProblem | None = None


class Source(Protocol):
    def fetch(self, units: Sequence[Unit], tabs: Mapping[str, Sequence[str]]) -> Iterator[UnitFetch]:
        """Read, for each unit, the tabs ``tabs[unit.id]`` it owes; never raise for one unit."""
        ...


def match_tabs(wanted: Iterable[str], available: Sequence[str]) -> dict[str, str]:
    """Map each wanted tab title to the available title equal to it after normalisation."""
    by_key = {}
    for title in available:
        by_key.setdefault(fold(title), title)
    return {title: by_key[fold(title)] for title in wanted if fold(title) in by_key}
