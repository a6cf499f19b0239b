"""The interface every source (local workbooks, Google Sheets) implements: fetch raw grids per unit.

A source only fetches; what the grids mean is the core's (rules/).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Protocol

from rules.grids import UnitGrids
from settings.schema import Unit


class Source(Protocol):
    def fetch(self, units: Sequence[Unit], tabs: Mapping[str, Sequence[str]]) -> Iterator[UnitGrids]:
        """Read, for each unit, the tabs ``tabs[unit.id]`` it owes; never raise for one unit."""
        ...
