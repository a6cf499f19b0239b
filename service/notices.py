"""What a consolidated report tells the office about the service's own mail, read from the store:
emails waiting more than ``WAITING_DAYS``, recipients or emails given up, and tabs the write-back
could not write (each told once).

The sentences come from templates/mail.yaml (``delivery_notices``); the renderer shows them as
``notices``. Once the report carrying them is sent, ``Store.mark_reported`` records what it told.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from consolidation.texts import mail_text
from settings.schema import Config
from store import Store
from store.ledger import CAP, ERROR, LOGIN, TEMPORARY, UNAVAILABLE, Entry
from store.writes import FEEDBACK_TAB, SheetWrite
from vntext import vn_date

WAITING_DAYS = 3  # an email queued longer than this is named in the next consolidated report
LISTED = 10  # at most this many of each kind of notice; the rest are counted in one sentence
REASONS = frozenset({CAP, ERROR, TEMPORARY, UNAVAILABLE, LOGIN})  # each has its words in mail.yaml
WRITE_REASONS = frozenset({"permission", "not_found", "temporary", "other"})  # sync.google_write's


@dataclass(frozen=True)
class DeliveryNotices:
    sentences: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)  # given-up addresses told of
    keys: list[str] = field(default_factory=list)  # failed emails told of
    writes: list[tuple[str, str]] = field(default_factory=list)  # tabs not written back, told of


def _text(key: str, **variables: object) -> str:
    return mail_text("delivery_notices", key, **variables)


def delivery_notices(config: Config, store: Store, today: dt.date, report_key: str) -> DeliveryNotices:
    """The notices for the consolidated report ``report_key`` (never about itself), oldest first."""
    waiting = [
        e
        for e in store.waiting()
        if e.key != report_key and (today - dt.date.fromisoformat(e.first_day)).days > WAITING_DAYS
    ]
    waiting.sort(key=lambda e: (e.first_day, e.key))
    addresses, failed = store.given_up_unreported()
    failed = [e for e in failed if e.key != report_key]
    units = {u.id: u.name for u in config.units}
    office = _text("office", office_name=config.organisation.office_name)
    labels = store.period_labels(e.period_id for e in waiting[:LISTED] + failed if e.period_id)

    def name(entry: Entry) -> str:
        unit = units.get(entry.unit_id, entry.unit_id) if entry.unit_id else office
        period = labels.get(entry.period_id, entry.period_id) if entry.period_id else ""
        return mail_text("delivery_notices", "emails", entry.kind, unit=unit, period=period)

    def why(entry: Entry) -> str:
        reason = entry.queued_reason if entry.queued_reason in REASONS else ERROR
        reply = (entry.last_error or "").removeprefix("refused: ")  # the server's words, not the log's
        return mail_text("delivery_notices", "errors", reason, reply=reply)

    sentences = []
    for entry in waiting[:LISTED]:
        since = dt.date.fromisoformat(entry.first_day)
        sentences.append(_text("waiting", email=name(entry), since=vn_date(since), days=(today - since).days,
                               error=why(entry), reply=entry.last_error or ""))  # fmt: skip
    if len(waiting) > LISTED:
        sentences.append(_text("waiting_more", more=len(waiting) - LISTED, days=WAITING_DAYS))
    for refusal in addresses[:LISTED]:
        unit = units.get(refusal.unit_id, refusal.unit_id) if refusal.unit_id else office
        sentences.append(_text("recipient_given_up", address=refusal.address, unit=unit, count=refusal.refusals,
                               reason=refusal.reason))  # fmt: skip
    if len(addresses) > LISTED:
        sentences.append(_text("given_up_more", more=len(addresses) - LISTED))
    for entry in failed:
        if not entry.given_up:  # refused as a whole; one given up by its recipients is told above
            sentences.append(_text("email_given_up", email=name(entry), count=entry.attempts,
                                   reason=entry.last_error or ""))  # fmt: skip
    writes = sorted(
        (w for w in store.write_failures_unreported() if _still_written(config, w)),
        key=lambda w: (w.failed_since or dt.date.min, w.tab == FEEDBACK_TAB, w.unit_id),
    )  # oldest first, the office's own spreadsheet before the units'
    sentences += write_notices(config, writes)
    return DeliveryNotices(sentences, [r.address for r in addresses], [e.key for e in failed], [w.key for w in writes])


def _still_written(config: Config, write: SheetWrite) -> bool:
    """Whether the config still asks for the tab that failed (a unit removed, the write-back off: not)."""
    writeback = config.writeback
    if not writeback.enabled:
        return False
    if write.tab == FEEDBACK_TAB:
        return writeback.unit_feedback and any(u.id == write.unit_id for u in config.units)
    return writeback.office_sheet is not None


def _failed(key: str, **variables: object) -> str:
    return mail_text("delivery_notices", "write_failed", key, **variables)


def write_notices(config: Config, failures: list[SheetWrite]) -> list[str]:
    """What the office must do about each tab the write-back could not write (share the spreadsheet
    as Editor, mostly), in the order given; past ``LISTED`` only how many more."""
    units = {u.id: u for u in config.units}
    sentences = []
    for write in failures[:LISTED]:
        unit = units.get(write.unit_id)
        where = (
            _failed("unit_sheet", unit=unit.name)
            if unit
            else _failed("office_sheet", office_name=config.organisation.office_name)
        )
        tab = mail_text("sheet_tabs", "feedback" if write.tab == FEEDBACK_TAB else "status", "tab")
        reason = write.reason if write.reason in WRITE_REASONS else "other"
        link = f"https://docs.google.com/spreadsheets/d/{write.spreadsheet_id}/edit"
        sentences.append(
            _failed(reason, tab=tab, where=where, account=write.account or "", link=link,
                  error=write.last_error or "", since=vn_date(write.failed_since))
        )  # fmt: skip
    if len(failures) > LISTED:
        sentences.append(_failed("more", more=len(failures) - LISTED))
    return sentences
