"""The judgement's vocabulary: periods, findings, report statuses and per-period summaries.

Plain dataclasses shared by the core, the CLI, consolidation and mail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Literal

PeriodType = Literal["monthly", "six_monthly", "yearly", "ad_hoc"]
Severity = Literal["high", "medium", "low"]

NOT_YET_DUE = "not_yet_due"
COMPLETE_ON_TIME = "complete_on_time"
COMPLETE_LATE = "complete_late"
INCOMPLETE = "incomplete"
MISSING = "missing"
# The unit's sheet could not be read and the report was never seen complete: neither late nor missing.
UNREADABLE = "unreadable"
STATUSES = (NOT_YET_DUE, COMPLETE_ON_TIME, COMPLETE_LATE, INCOMPLETE, MISSING, UNREADABLE)
Key = tuple[str, str, str]  # unit id, form key, period id
# The office's decisions on a report (`python main.py review`).
REVIEW_ACCEPTED = "accepted"
REVIEW_RETURNED = "returned"


def plain_value(value: Any) -> Any:
    """A typed cell value as the store keeps it: Decimal as its text, dates ISO, the rest as is."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def plain_values(values: dict[str, Any]) -> dict[str, Any]:
    # Most values are already plain (int, str, None): skip the call for those; every report is stored.
    return {key: value if type(value) in _PLAIN else plain_value(value) for key, value in values.items()}


_PLAIN = frozenset({int, str, type(None)})


@dataclass(frozen=True)
class Accepted:
    """A report the service once saw complete: on which day, the values it held then (plain), and
    since when its sheet no longer shows them (None while it does)."""

    first_complete_on: dt.date
    values: dict[str, Any]
    changed_on: dt.date | None = None


@dataclass(frozen=True)
class Review:
    """The office's latest decision on a report: accepted, or returned with a comment; the
    report's rows as last read when it decided (plain: {"report_date", "values"} each), and the
    first day the unit's data were seen to differ from them (None while they do not)."""

    id: int
    decision: str
    comment: str
    decided_on: dt.date
    basis: list[dict[str, Any]]
    changed_on: dt.date | None = None

    @property
    def returned(self) -> bool:
        return self.decision == REVIEW_RETURNED


@dataclass(frozen=True)
class Period:
    """A reporting period; ``end`` is the data cut-off (inclusive)."""

    id: str
    type: PeriodType
    year: int
    start: dt.date
    end: dt.date
    label: str


@dataclass(frozen=True)
class Finding:
    """One problem in a unit's data, told in Vietnamese, pointing at the cell where it is."""

    unit_id: str
    code: str
    message: str
    severity: Severity = "high"
    blocking: bool = True
    form_key: str | None = None
    period_id: str | None = None
    tab: str | None = None
    cell: str | None = None
    field_label: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ReportStatus:
    """One unit's report of one form for one period, as judged on ``today``."""

    unit_id: str
    form_key: str
    period: Period
    deadline: dt.date
    status: str
    submitted_on: dt.date | None = None
    overdue: bool = False
    findings: list[Finding] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    sheet_read: bool = True  # False: judged from memory, the sheet could not be read today

    @property
    def complete(self) -> bool:
        return self.status in (COMPLETE_ON_TIME, COMPLETE_LATE)


@dataclass
class PeriodSummary:
    """Counts and rates for one form and period across the units that owe it."""

    form_key: str
    period: Period
    deadline: dt.date
    expected: int = 0
    submitted: int = 0
    complete: int = 0
    on_time: int = 0
    late: int = 0
    incomplete: int = 0
    missing: int = 0
    not_yet_due: int = 0
    unreadable: int = 0

    COUNTS = (
        "expected", "submitted", "complete", "on_time", "late", "incomplete", "missing", "unreadable", "not_yet_due",
    )  # fmt: skip

    def counts(self) -> dict[str, int]:
        """Every count by name; the statuses' counts add up to ``expected``, each unit once."""
        return {name: getattr(self, name) for name in self.COUNTS}

    def rate(self, count: int) -> float:
        """Share of the expected units, in percent (0 when nothing is expected)."""
        return round(100.0 * count / self.expected, 1) if self.expected else 0.0


@dataclass
class Judgement:
    """Everything ``check`` knows on ``today``: statuses, summaries and all findings."""

    today: dt.date
    reports: list[ReportStatus]
    summaries: list[PeriodSummary]
    unit_findings: list[Finding]
    # For the store: reports seen complete for the first time today, with their plain values,
    # and the day a change to an accepted report was first seen (None: it shows its values again).
    newly_accepted: dict[Key, Accepted] = field(default_factory=dict)
    changes_seen: dict[Key, dt.date | None] = field(default_factory=dict)
    # Units whose sheet could not be read today, and the first day of that unbroken spell.
    unreadable_since: dict[str, dt.date] = field(default_factory=dict)
    # Reviews: the returns still open today (each counts as incomplete and is mailed to its unit
    # once), since when each review's report shows other data (review id → day; None: the same
    # again), and the returned reports whose data changed today (judged afresh from now on).
    returned: dict[Key, Review] = field(default_factory=dict)
    review_changes: dict[int, dt.date | None] = field(default_factory=dict)
    reopened: list[Key] = field(default_factory=list)

    def findings(self, unit_id: str | None = None) -> list[Finding]:
        """Unit-level findings, then each report's, optionally for one unit."""
        found = list(self.unit_findings)
        for report in self.reports:
            found.extend(report.findings)
        return [f for f in found if unit_id is None or f.unit_id == unit_id]
