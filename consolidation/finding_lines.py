"""A finding as a district clerk looks for it: the column and the row, then the cell, then what is
wrong; as reminders word it (templates/mail.yaml ``finding_lines``) and feedback tabs list it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from consolidation.texts import mail_text
from rules.model import Finding

_ROW = re.compile(r"[A-Z]+(\d+)$")


@dataclass(frozen=True)
class FindingPlace:
    """Where a finding points and what it says there, apart."""

    label: str  # the column's header, "" when the finding names none
    row: int | None
    cell: str | None  # within its tab: "E7"
    problem: str  # what is wrong, without the cell it is in
    line_key: str | None  # how finding_lines words it: at_cell | at_row | in_row; None: as it is


def finding_place(finding: Finding) -> FindingPlace:
    """The words a finding of templates/messages.yaml begins with when it names its cell
    (mail.yaml: finding_lines.starts_*) give way to the column and row; a finding worded otherwise
    keeps its words, its cell named without the tab."""
    label = finding.field_label or ""
    if not finding.cell:
        return FindingPlace(label, None, None, finding.message, None)
    local = finding.cell.rpartition("!")[2]
    row = _ROW.match(local)
    if row is None:
        return FindingPlace(label, None, None, finding.message, None)
    for prefix_key, line_key in (("starts_cell_and_column", "at_cell"), ("starts_cell", "at_row")):
        prefix = mail_text("finding_lines", prefix_key, cell=finding.cell, label=label)
        if finding.message.startswith(prefix):
            return FindingPlace(label, int(row.group(1)), local, finding.message[len(prefix) :].strip(), line_key)
    return FindingPlace(label, int(row.group(1)), local, finding.message.replace(finding.cell, local), "in_row")


def finding_line(finding: Finding) -> str:
    """A finding as a clerk looks for it: "Cột «…», dòng 7 (ô E7): còn trống; …"."""
    place = finding_place(finding)
    if place.line_key is None:
        return place.problem
    return mail_text(
        "finding_lines", place.line_key, label=place.label, row=place.row, cell=place.cell, problem=place.problem
    )
