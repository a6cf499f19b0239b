"""The consolidated figures as an .xlsx workbook (pandas + openpyxl): summary, units, findings.

Column and sheet names come from templates/mail.yaml; numbers stay numbers, dates stay dates.
pandas is imported when a workbook is made, not with this module: a run with no consolidated
report due never loads it (about 0.2 s of every start).
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from consolidation.figures import Consolidation
from consolidation.texts import mail_text
from rules.messages import importance_text, status_text

if TYPE_CHECKING:
    import pandas as pd


def _label(key: str) -> str:
    return mail_text("workbook", key)


def _cell(value: Any) -> Any:
    """Decimal → int or float, so Excel sees a number."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def summary_frame(consolidation: Consolidation) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for s in consolidation.sections:
        summary = s.summary
        rows.append(
            {
                _label("form"): s.form.title,
                _label("period"): s.period.label,
                _label("deadline"): s.deadline,
                _label("expected"): summary.expected,
                _label("submitted"): summary.submitted,
                _label("complete"): summary.complete,
                _label("on_time"): summary.on_time,
                _label("late"): summary.late,
                _label("incomplete"): summary.incomplete,
                _label("missing"): summary.missing,
                _label("unreadable"): len(s.unreadable_units),
                _label("submitted_rate"): summary.rate(summary.submitted),
                _label("complete_rate"): summary.rate(summary.complete),
                _label("on_time_rate"): summary.rate(summary.on_time),
            }
        )
    return pd.DataFrame(rows)


def units_frame(consolidation: Consolidation) -> pd.DataFrame:
    """One row per unit and report, then a totals row per section."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for s in consolidation.sections:
        base = {_label("form"): s.form.title, _label("period"): s.period.label}
        for row in s.rows:
            status = status_text(row.report.status)
            record = {
                **base,
                _label("unit_id"): row.unit.id,
                _label("unit"): row.unit.name,
                _label("status"): status,
                _label("submitted_on"): row.report.submitted_on,
            }
            record.update({c.label: _cell(v) for c, v in zip(s.indicators, row.values, strict=True)})
            rows.append(record)
        totals = {**base, _label("unit"): _label("total")}
        totals.update({c.label: _cell(t) for c, t in zip(s.indicators, s.totals, strict=True) if c.numeric})
        rows.append(totals)
    return pd.DataFrame(rows)


def findings_frame(consolidation: Consolidation) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for s in consolidation.sections:
        for row in s.rows_with_findings:
            for finding in row.findings:
                rows.append(
                    {
                        _label("form"): s.form.title,
                        _label("period"): s.period.label,
                        _label("unit_id"): row.unit.id,
                        _label("unit"): row.unit.name,
                        _label("cell"): finding.cell or "",
                        _label("severity"): importance_text(finding.severity),
                        _label("message"): finding.message,
                    }
                )
    columns = [_label(k) for k in ("form", "period", "unit_id", "unit", "cell", "severity", "message")]
    return pd.DataFrame(rows, columns=columns)


def workbook_bytes(consolidation: Consolidation) -> bytes:
    """The .xlsx file as bytes, ready to attach."""
    import pandas as pd

    buffer = io.BytesIO()
    frames = {
        _label("summary"): summary_frame(consolidation),
        _label("units"): units_frame(consolidation),
        _label("findings"): findings_frame(consolidation),
    }
    with pd.ExcelWriter(buffer, engine="openpyxl", date_format="DD/MM/YYYY") as writer:
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for column in sheet.columns:
                width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
                sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
    return buffer.getvalue()
