"""`report`: the draft Báo cáo (.docx), the consolidated workbook (.xlsx) and the charts (PNG) of one
form × period."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from consolidation.charts import indicator_chart, status_chart
from consolidation.document import companion_sections, document_name, has_figures, period_slug, report_docx
from consolidation.figures import Consolidation, consolidate
from consolidation.names import period_name
from consolidation.texts import mail_text
from consolidation.workbook import workbook_bytes
from errors import ConfigError
from rules.model import Judgement
from service.check import collect
from service.requests import with_requests
from settings.schema import Config
from store import Store


def report_form(config: Config, judgement: Judgement, period_id: str) -> str:
    """The first form owed for ``period_id`` that has a numeric key indicator (else the first owed)."""
    owed = list(dict.fromkeys(r.form_key for r in judgement.reports if r.period.id == period_id))
    if not owed:
        known = ", ".join(dict.fromkeys(r.period.id for r in judgement.reports))
        raise ConfigError(f"no report is owed for period {period_id!r} (periods in view: {known})")
    return next((key for key in owed if has_figures(config.form(key))), owed[0])


def written_files(config: Config, consolidation: Consolidation, today: dt.date, out: Path) -> list[Path]:
    """Write the .docx, the .xlsx and the chart PNGs of the consolidation's one section into ``out``;
    returns the paths."""
    section = consolidation.sections[0]
    slug = period_slug(period_name(config, section.period))
    out.mkdir(parents=True, exist_ok=True)
    files = {
        out / document_name(config, section): report_docx(
            config, section, today, companion_sections(consolidation, section)
        ),
        out / f"tong-hop-{slug}.xlsx": workbook_bytes(config, consolidation),
    }
    files[out / f"bieu-do-tinh-trang-{slug}.png"] = status_chart(section)
    indicators = indicator_chart(section)
    if indicators is not None:
        files[out / f"bieu-do-chi-tieu-{slug}.png"] = indicators
    for path, content in files.items():
        path.write_bytes(content)
    return list(files)


def report_command(config: Config, period_id: str, form_key: str | None, today: dt.date, out: Path) -> str:
    """What `python main.py report` prints: the files it wrote, one a line."""
    from service.control import apply_control

    with Store.open(config.state_file) as store:
        config = with_requests(apply_control(config, store, today).config, store)
        judgement = collect(config, today, store, command="report")
    form_key = form_key or report_form(config, judgement, period_id)
    if not any(r.form_key == form_key and r.period.id == period_id for r in judgement.reports):
        raise ConfigError(f"form {form_key!r} is not owed for period {period_id!r}")
    # The other forms with figures of the period go into the document (the yearly report tells the
    # year-end commitment results too) and into the workbook; the charts are the chosen form's.
    others = [
        (key, period_id)
        for key in dict.fromkeys(r.form_key for r in judgement.reports if r.period.id == period_id)
        if key != form_key and has_figures(config.form(key))
    ]
    consolidation = consolidate(config, judgement, [(form_key, period_id), *others], mail_text("list_rows"))
    return "\n".join(str(path) for path in written_files(config, consolidation, today, out))
