"""Findings of one kind on one tab, capped: the first few in full, then one saying how many more.

A sheet with 10,000 junk rows must give a page a clerk reads, not 10,000 lines.
"""

from __future__ import annotations

from collections.abc import Iterable

from rules.messages import catalogue, finding_text
from rules.model import Finding
from vntext import format_number

FINDINGS_PER_KIND = 20


def cap_findings(findings: Iterable[Finding], limit: int = FINDINGS_PER_KIND) -> list[Finding]:
    """``findings`` in order, keeping at most ``limit`` of each code on each tab; each kind cut
    short gets one more finding, after its last kept one, counting the rest."""
    findings = list(findings)
    if len(findings) <= limit:  # the usual case: no kind can have more than the limit
        return findings
    seen: dict[tuple[str, str | None], int] = {}
    for found in findings:
        key = (found.code, found.tab)
        seen[key] = seen.get(key, 0) + 1
    if all(count <= limit for count in seen.values()):
        return findings
    kept: list[Finding] = []
    shown: dict[tuple[str, str | None], int] = {}
    for found in findings:
        key = (found.code, found.tab)
        shown[key] = shown.get(key, 0) + 1
        if shown[key] <= limit:
            kept.append(found)
        if shown[key] == limit and seen[key] > limit:
            kept.append(_rest(found, seen[key] - limit))
    return kept


def _rest(last: Finding, count: int) -> Finding:
    kind = catalogue()["finding_kinds"].get(last.code, last.code)
    return Finding(
        last.unit_id,
        "more_findings",
        finding_text("more_findings", count=format_number(count), tab=last.tab or "", kind=kind),
        severity=last.severity,
        blocking=last.blocking,
        form_key=last.form_key,
        period_id=last.period_id,
        tab=last.tab,
        field_label=last.field_label,
    )
