"""The consolidated report's charts as PNG bytes: each unit's reporting status, and the key
numeric indicators by unit.

Pure: a section in, an image out, drawn with matplotlib's object API (a ``Figure`` printed by the
Agg canvas, no pyplot and no backend chosen) in DejaVu Sans, which matplotlib ships and which
covers Vietnamese. matplotlib is imported when a chart is drawn, not with this module: a run with
no consolidated report due never loads it. The words come from templates/ (mail.yaml: charts;
messages.yaml: statuses); units are named by their short name.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from consolidation.figures import Section
from consolidation.names import short_unit_name
from consolidation.texts import mail_text
from rules.messages import status_text
from rules.model import COMPLETE_LATE, COMPLETE_ON_TIME, INCOMPLETE, MISSING, NOT_YET_DUE, UNREADABLE
from vntext import format_number

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH_IN = 6.4  # at DPI: 640 px, the email's column; a phone shows it at about 60 %
DPI = 100
FONT = "DejaVu Sans"
FONT_SIZE = 13  # points: about 11 px once a phone has scaled the image down
# The status colours (fill, text on it), in the legend's order: green, amber, orange, red, grey.
STATUS_COLOURS = {
    COMPLETE_ON_TIME: ("#2e7d32", "#ffffff"),
    COMPLETE_LATE: ("#f9a825", "#222222"),
    INCOMPLETE: ("#ef6c00", "#ffffff"),
    MISSING: ("#c62828", "#ffffff"),
    UNREADABLE: ("#757575", "#ffffff"),
    NOT_YET_DUE: ("#d6d6d6", "#222222"),
}
BAR_COLOUR = "#8e244d"  # the union's colour, as the email's summary box
ROW_IN = 0.36  # the height of one unit's row in the status chart
UNITS_BY_NAME = 40  # the status chart names units up to this many, else it counts them
PANEL_ROW_IN = 0.27  # and in a panel of the indicator chart
TITLE_CHARACTERS = 18  # a panel's title wraps at this width: two panels share the 640 px


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib

    with matplotlib.rc_context({"font.family": FONT, "font.size": FONT_SIZE, "axes.titlesize": FONT_SIZE}):
        yield


def _figure(height_in: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    """The figure's PNG, the same bytes for the same figures (no software or date stamped in)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def _bare(axes: Any) -> None:
    """No frame and no value axis: the bars carry their own labels."""
    for spine in axes.spines.values():
        spine.set_visible(False)
    axes.xaxis.set_visible(False)
    axes.tick_params(axis="y", length=0)


def status_chart(section: Section) -> bytes:
    """One bar per unit, in config order, coloured and labelled by its status; a legend of the
    statuses present with how many units have each. Past ``UNITS_BY_NAME`` units (103 communes,
    say) one bar of those counts instead: a row each would be metres long on a phone."""
    statuses = [row.report.status for row in section.rows]
    counts = Counter(statuses)
    present = [s for s in STATUS_COLOURS if counts[s]]
    by_name = len(statuses) <= UNITS_BY_NAME
    with _style():
        rows_in = ROW_IN * len(statuses) if by_name else 0.8
        figure = _figure(1.0 + rows_in + 0.35 * math.ceil(len(present) / 2))
        axes = figure.add_subplot()
        if by_name:
            _unit_bars(axes, [short_unit_name(row.unit) for row in section.rows], statuses)
        else:
            _count_bar(axes, [(s, counts[s]) for s in present])
        _bare(axes)
        axes.set_title(mail_text("charts", "status_title"), loc="left", fontweight="bold")
        handles = [
            _patch(STATUS_COLOURS[s][0], mail_text("charts", "legend_entry", status=status_text(s), count=counts[s]))
            for s in present
        ]
        figure.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False, fontsize=FONT_SIZE - 1)
        return _png(figure)


def _unit_bars(axes: Any, names: list[str], statuses: list[str]) -> None:
    positions = range(len(names))
    bars = axes.barh(positions, [1] * len(names), height=0.8, color=[STATUS_COLOURS[s][0] for s in statuses])
    for bar, status in zip(bars, statuses, strict=True):
        axes.text(
            0.02, bar.get_y() + bar.get_height() / 2, status_text(status),
            va="center", ha="left", color=STATUS_COLOURS[status][1], fontsize=FONT_SIZE - 1,
        )  # fmt: skip
    axes.set_yticks(list(positions), names)
    axes.set_ylim(len(names) - 0.5, -0.5)
    axes.set_xlim(0, 1)


def _count_bar(axes: Any, counts: list[tuple[str, int]]) -> None:
    """One bar split by status, each part as long as its count and labelled with it if it fits."""
    total = sum(n for _, n in counts)
    start = 0
    for status, n in counts:
        axes.barh(0, n, left=start, height=0.8, color=STATUS_COLOURS[status][0])
        if n / total >= 0.05:
            axes.text(start + n / 2, 0, str(n), ha="center", va="center", color=STATUS_COLOURS[status][1])
        start += n
    axes.set_xlim(0, total)
    axes.set_yticks([])


def _patch(colour: str, label: str) -> Any:
    from matplotlib.patches import Patch

    return Patch(facecolor=colour, label=label)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    return float(value)


def indicator_chart(section: Section) -> bytes | None:
    """Small multiples, one panel per numeric key indicator (their scales differ), units down
    the side, each bar labelled with its value ("—" when the unit gave none). None when the
    section has no numeric indicator, no unit gave a number for any, or it has more than
    ``UNITS_BY_NAME`` units (a bar each would not fit a phone: the table and the .xlsx have them)."""
    columns = [i for i, indicator in enumerate(section.indicators) if indicator.numeric]
    values = {i: [_number(row.values[i]) for row in section.rows] for i in columns}
    if len(section.rows) > UNITS_BY_NAME or not any(v is not None for c in values.values() for v in c):
        return None
    names = [short_unit_name(row.unit) for row in section.rows]
    across = 1 if len(columns) == 1 else 2
    down = math.ceil(len(columns) / across)
    with _style():
        figure = _figure(0.5 + down * (0.9 + PANEL_ROW_IN * len(names)))
        figure.suptitle(mail_text("charts", "indicator_title"), x=0.02, ha="left", fontweight="bold")
        panels = figure.subplots(down, across, sharey=True, squeeze=False)
        for n, axes in enumerate(panels.flat):
            if n >= len(columns):
                axes.set_visible(False)
                continue
            _indicator_panel(axes, section.indicators[columns[n]].label, values[columns[n]], names)
        return _png(figure)


def _indicator_panel(axes: Any, label: str, values: list[float | None], names: list[str]) -> None:
    positions = range(len(names))
    bars = axes.barh(positions, [v or 0 for v in values], height=0.7, color=BAR_COLOUR)
    axes.bar_label(bars, labels=[format_number(v) if v is not None else "—" for v in values], padding=3)
    axes.set_xlim(0, max((v or 0 for v in values), default=0) * 1.35 or 1)
    axes.set_yticks(list(positions), names)
    axes.set_ylim(len(names) - 0.5, -0.5)
    _bare(axes)
    axes.set_title("\n".join(textwrap.wrap(label, TITLE_CHARACTERS)), loc="left", fontsize=FONT_SIZE - 1)
