"""`provision`: lay out every unit's tabs from the forms — header, notes, frozen and protected
header row, validation, widths and a help tab — in the sheet the unit shared (Google) or in a
template workbook (local), and say per unit what changed or what someone must do first.
Operator-facing, so in English; what the unit reads in its sheet is Vietnamese (templates/sheet.yaml).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from errors import SourceError
from rules.layout import help_rows, unit_layouts
from settings.schema import Config
from sync.provision import Provisioned, build_provisioner

log = logging.getLogger(__name__)


def provision_units(config: Config, today: dt.date, unit_id: str | None, write: bool) -> list[Provisioned]:
    """Each unit's outcome, in config's order; ``write`` false changes nothing."""
    provisioner = build_provisioner(config)
    results = []
    for unit in config.units:
        if unit_id is not None and unit.id != unit_id:
            continue
        layouts = unit_layouts(config, unit, today.year)
        if not layouts:
            results.append(Provisioned(unit.id))
            continue
        result = provisioner.provision(unit, layouts, help_rows(config, unit, today), write)
        if result.changes and write and not (result.action or result.service_problem):
            log.info("provision %s: %d change(s) written", unit.id, len(result.changes))
        results.append(result)
    return results


def render_provision(config: Config, results: Sequence[Provisioned], write: bool) -> str:
    """One block per unit that changed or needs someone to act, one line per unchanged unit, a summary."""
    lines = []
    verb = "changed" if write else "would change"
    for result in results:
        unit = config.unit(result.unit_id)
        head = f"{unit.id} ({unit.name})"
        if result.service_problem:
            lines.append(f"{head}: FAILED — {result.service_problem}")
        elif result.action:
            lines.append(f"{head}: ACTION NEEDED — {result.action}")
        elif result.changes:
            lines.append(f"{head}: {verb} ({len(result.changes)}):")
            lines += [f"    {change}" for change in result.changes]
        else:
            lines.append(f"{head}: unchanged")
    changed = sum(1 for r in results if r.changes and not (r.action or r.service_problem))
    acting = sum(1 for r in results if r.action)
    failed = sum(1 for r in results if r.service_problem)
    unchanged = len(results) - changed - acting - failed
    if not changed and not acting and not failed:
        lines.append("Nothing to change: every sheet already matches the forms.")
    else:
        requests = sum(r.write_requests for r in results)
        lines.append(
            f"{changed} sheet(s) {verb}, {unchanged} unchanged, {acting} need the unit or the office to act,"
            f" {failed} failed." + (f" {requests} write request(s)." if write else " Nothing was written (--check).")
        )
    return "\n".join(lines)


def provision_command(config: Config, today: dt.date, unit_id: str | None, check: bool) -> str:
    """What `python main.py provision` prints; raises SourceError (exit 4) when the service itself failed."""
    results = provision_units(config, today, unit_id, write=not check)
    text = render_provision(config, results, write=not check)
    failed = [r.unit_id for r in results if r.service_problem]
    if failed:
        raise SourceError(text + f"\nthe service could not provision {len(failed)} unit(s): {', '.join(failed)}")
    return text
