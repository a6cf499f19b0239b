"""`run`, the job cron starts: collect → decide which emails are due → render → deliver → record.

Every email is recorded in the ledger as queued and claimed before it is handed to the
transport, and as sent once accepted, so a crash in between repeats at most that one email,
same Message-ID, and two runs sharing a state file never both send it. Only an email that will
be handed over this run is rendered: not one over the daily cap, nor once the transport is down.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from filelock import FileLock, Timeout

from consolidation.figures import read_failures
from delivery.message import build_message, message_id
from delivery.registry import build_transport
from delivery.render import Rendered, render_email
from delivery.schedule import CONSOLIDATED, PlannedEmail, is_sending_day, plan
from delivery.transport import Attempt, Transport, TransportUnavailable
from errors import AlreadyRunning, DeliveryError, SourceError
from rules.model import Judgement
from service.board import publish_board
from service.check import collect
from service.control import apply_control
from service.logs import log_unit_problems
from service.notices import delivery_notices
from service.requests import open_request_ids, with_requests
from service.writeback import WriteBackOutcome, write_back
from settings.schema import Config
from store import Store
from store.ledger import CAP, FAILED, QUEUED, SENT, TEMPORARY, Decided, Entry
from sync.factory import build_source
from sync.source import Source

log = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    """What one run decided and delivered, by kind of email."""

    today: dt.date
    delivered_verb: str  # the transport's: "sent", "written to the outbox"
    dry_run: bool
    sending_day: bool = True  # false: a weekend or day off, nothing is sent (mail.send_on_days_off)
    due: Counter[str] = field(default_factory=Counter)
    sent: Counter[str] = field(default_factory=Counter)
    capped: int = 0
    taken_elsewhere: int = 0
    cancelled: int = 0
    waiting_errors: list[tuple[str, str, str]] = field(default_factory=list)  # key, first day queued, error
    given_up: list[tuple[str, str]] = field(default_factory=list)
    stopped: str | None = None  # why delivery stopped for the run, and what to check
    unit_faults: dict[str, str] = field(default_factory=dict)  # unit id → why its sheet was unread
    service_faults: dict[str, str] = field(default_factory=dict)
    delivery_seconds: float = 0.0
    judgement: Judgement | None = field(default=None, repr=False)  # the day's, for the status board
    config: Config | None = field(default=None, repr=False)  # as the control spreadsheet made it
    control: list[str] = field(default_factory=list)  # what the control spreadsheet did
    writeback: WriteBackOutcome | None = None  # what was written back into spreadsheets (config writeback)

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.due.items())) or "none"
        sent = ", ".join(f"{n} {kind}" for kind, n in sorted(self.sent.items())) or "none"
        lines = [
            f"run {self.today.isoformat()}{' (dry run: nothing recorded)' if self.dry_run else ''}",
            f"  due: {sum(self.due.values())} email(s): {kinds}",
            f"  {self.delivered_verb}: {sum(self.sent.values())}: {sent}",
        ]
        lines += [f"  {line}" for line in self.control]
        if not self.sending_day:
            lines.append("  not a sending day (a weekend or day off): what falls due goes out on the next working day")
        if self.capped:
            lines.append(f"  over the daily cap, queued for the next run: {self.capped}")
        if self.taken_elsewhere:
            lines.append(f"  claimed or sent by another run meanwhile, skipped: {self.taken_elsewhere}")
        if self.cancelled:
            lines.append(f"  queued earlier and no longer due, cancelled: {self.cancelled}")
        if self.unit_faults:
            faults = ", ".join(f"{u} ({code})" for u, code in sorted(self.unit_faults.items()))
            lines.append(f"  sheets the units must fix (each unit is told once): {faults}")
        if self.service_faults:
            faults = ", ".join(f"{u} ({code})" for u, code in sorted(self.service_faults.items()))
            lines.append(f"  sheets the service could not read (the office is told): {faults}")
        if self.stopped:
            lines.append(f"  delivery stopped: {self.stopped}")
        lines += [f"  still queued since {_waited(since, self.today)}: {key}: {error}"
                  for key, since, error in self.waiting_errors]  # fmt: skip
        lines += [f"  given up after mail.max_attempts: {key}: {error}" for key, error in self.given_up]
        if self.writeback is not None:
            lines += self.writeback.lines()
        return "\n".join(lines)


def _waited(first_day: str, today: dt.date) -> str:
    """Since when an email has waited, and how long: "2023-07-20 (15 days)"."""
    days = (today - dt.date.fromisoformat(first_day)).days
    return f"{first_day} ({days} day{'' if days == 1 else 's'})"


def _owed(email: PlannedEmail, entry: Entry | None) -> list[str]:
    """Who still needs ``email``: neither delivered it already nor given up."""
    done = {a.lower() for a in entry.delivered_to + list(entry.given_up)} if entry else set()
    return [a for a in dict.fromkeys(email.to + email.cc) if a.lower() not in done]


def _decided(email: PlannedEmail, ident: str, recipients: list[str]) -> Decided:
    lead = email.lead
    return Decided(
        key=email.key,
        kind=email.kind,
        unit_id=email.unit.id if email.unit else None,
        form_key=email.form_key,
        period_id=email.period_id,
        step=lead.step.name if lead else None,
        message_id=ident,
        subject=None,  # known once rendered, just before it is handed over
        recipients=recipients,
        item_refs=email.item_refs,
    )


def deliver(
    config: Config,
    today: dt.date,
    planned: list[PlannedEmail],
    render: Callable[[PlannedEmail], Rendered],
    store: Store,
    transport: Transport,
    outcome: RunOutcome,
    office_notices: Sequence[str] = (),
) -> None:
    """Decide for each email whether it goes now, and only then render, build and hand it to
    ``transport``, recording each step in ``store``.

    Each email is queued, then claimed in one transaction before anything else is recorded of it:
    an email another process claimed or sent meanwhile is skipped, never sent twice. Who still
    needs it is read once the claim is held, as another process may have delivered it to some
    recipients since this one first looked. One over the daily cap, or after the transport went
    down, stays queued unrendered; a consolidated report is rendered with ``office_notices``
    (about the control spreadsheet) and the delivery notices.
    """
    sender = config.mail.delivery.sender(config.organisation)
    budget = config.mail.daily_cap - store.sent_on(today)
    down: TransportUnavailable | None = None
    started = time.perf_counter()
    with transport:
        for email in planned:
            store.queue(_decided(email, message_id(email.key, sender), _owed(email, store.entry(email.key))), today)
            if not store.claim(email.key):
                outcome.taken_elsewhere += 1
                log.info("%s: claimed or sent by another run, skipped", email.key)
                continue
            entry = store.entry(email.key)
            assert entry is not None
            recipients = _owed(email, entry)
            if not recipients:  # every recipient took it on an earlier run; only the record was missing
                store.mark_sent(email.key, today, transport.name, entry.delivered_to)
                continue
            if budget <= 0:
                outcome.capped += 1
                store.mark_capped(email.key)
                continue
            if down is not None:
                store.mark_waiting(email.key, down.reason, str(down), transport.name)
                continue
            notices = delivery_notices(config, store, today, email.key) if email.kind in CONSOLIDATED else None
            if notices is not None:
                email = replace(email, notices=[*office_notices, *notices.sentences])
            rendered = render(email)
            outgoing = build_message(
                email.key, email.kind, email.unit.id if email.unit else None, rendered, sender,
                config.mail.sender_name, email.to, email.cc, reply_to=config.organisation.office_email,
            )  # fmt: skip
            try:
                attempt = transport.send(outgoing, recipients)
            except TransportUnavailable as exc:
                down = exc
                outcome.stopped = f"{exc}. {exc.fix}" if exc.fix else str(exc)
                log.error("delivery stopped: %s", outcome.stopped)
                store.mark_waiting(email.key, exc.reason, str(exc), transport.name, outgoing.subject)
                continue
            if attempt.accepted:
                budget -= 1
            log.info(
                "%s %s %s: to %s: %s: %s", transport.name, email.kind, email.key, ", ".join(recipients),
                "accepted" if attempt.complete else "not accepted by all", outgoing.subject,
            )  # fmt: skip
            status = _record(config, today, entry, attempt, outgoing.subject, store, transport.name, outcome)
            if status == SENT and notices and (notices.addresses or notices.keys):
                store.mark_reported(email.key, notices.addresses, notices.keys)
            if status == SENT and notices and notices.writes:
                store.mark_writes_reported(notices.writes, email.key)
    outcome.delivery_seconds = time.perf_counter() - started


def _record(
    config: Config,
    today: dt.date,
    entry: Entry,
    attempt: Attempt,
    subject: str,
    store: Store,
    transport: str,
    outcome: RunOutcome,
) -> str:
    """What the server's answer means for the ledger: sent, still queued (counted as an attempt
    or not), or given up, for the whole email or some recipients. Returns the email's status."""
    key, limit = entry.key, config.mail.max_attempts
    if attempt.error is not None and attempt.temporary:
        log.warning("%s stays queued, waiting since %s, no attempt counted: %s", key,
                    _waited(entry.first_day, today), attempt.error)  # fmt: skip
        store.mark_waiting(key, TEMPORARY, attempt.error, transport, subject)
        return QUEUED
    if attempt.error is not None:
        status = store.mark_failed_attempt(key, attempt.error, transport, limit, subject)
        if status == FAILED:
            log.error("%s given up after %d attempts: %s", key, limit, attempt.error)
            outcome.given_up.append((key, attempt.error))
        else:
            log.warning("%s stays queued (attempt %d of %d): %s", key, entry.attempts + 1, limit, attempt.error)
        return status
    answered = store.record_answer(
        key, today, transport, subject, attempt.accepted, attempt.refused, attempt.deferred, limit
    )
    for address, reply in answered.given_up.items():
        log.error("%s: %s given up, refused mail.max_attempts (%d) times running: %s", key, address, limit, reply)
        outcome.given_up.append((key, f"{address} ({reply})"))
    if answered.status == SENT:
        outcome.sent[entry.kind] += 1
    elif answered.status == QUEUED:
        owed = {**attempt.deferred, **{a: r for a, r in attempt.refused.items() if a not in answered.given_up}}
        log.warning("%s stays queued for %s, waiting since %s", key,
                    "; ".join(f"{a} ({why})" for a, why in owed.items()), _waited(entry.first_day, today))  # fmt: skip
    return answered.status


def run_job(
    config: Config,
    today: dt.date,
    store: Store,
    source: Source | None = None,
    transport: Transport | None = None,
    dry_run: bool = False,
) -> RunOutcome:
    """The whole job for ``today`` on ``store`` (with the control sheet's units and the open
    ad-hoc requests); returns what happened."""
    source = source or build_source(config, store)
    controlled = apply_control(config, store, today, source, record=not dry_run)
    config = with_requests(controlled.config, store)
    judgement = collect(config, today, store, source=source, command="run")
    transport = transport or build_transport(config, dry_run)
    outcome = RunOutcome(
        today, transport.verb, dry_run, is_sending_day(config, today), judgement=judgement, config=config
    )
    failures = read_failures(judgement)
    outcome.unit_faults = {u: f.code for u, f in failures.unit_faults.items()}
    outcome.service_faults = {u: code for code, ids in failures.service_faults.items() for u in ids}
    log_unit_problems(config, judgement)
    planned = plan(config, judgement, store.ledger_view(today), open_request_ids(store))
    outcome.due.update(e.kind for e in planned)
    if outcome.sending_day:  # on a day off what is queued stays queued, for the next sending day
        outcome.cancelled = store.cancel_queued_except({e.key for e in planned})
    outcome.control = controlled.summary()
    render = lambda email: render_email(config, judgement, email)  # noqa: E731
    deliver(config, today, planned, render, store, transport, outcome, controlled.notices)
    outcome.waiting_errors = [
        (e.key, e.first_day, e.last_error or "") for e in store.waiting() if e.queued_reason != CAP
    ]
    if not dry_run:  # after the emails: a slow or failing write never holds them up
        outcome.writeback = write_back(config, store, judgement, today)
    return outcome


@contextmanager
def run_lock(config: Config) -> Iterator[None]:
    """One `run` at a time per state file: a second one exits at once (AlreadyRunning)."""
    path = Path(f"{config.state_file}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise AlreadyRunning(f"another run is already running (it holds {path}); this one sent nothing") from None
    try:
        yield
    finally:
        lock.release()


def run_command(config: Config, today: dt.date, dry_run: bool = False) -> str:
    """What `python main.py run` prints; DeliveryError while emails stay queued after a failure.

    A dry run works on an in-memory copy of the store: it decides and writes to the outbox
    exactly what a real run would, and the state file does not change; nor does the status board,
    which a real run rewrites once the emails are recorded (so it shows what stays queued).
    """
    if dry_run:
        with Store.scratch(config.state_file) as store:
            outcome = run_job(config, today, store, dry_run=True)
    else:
        with run_lock(config), Store.open(config.state_file) as store:
            outcome = run_job(config, today, store)
            publish_board(outcome.config or config, store, outcome.judgement)
    if outcome.waiting_errors or outcome.given_up:
        raise DeliveryError(
            f"{len(outcome.waiting_errors)} email(s) could not be delivered and stay queued for the next run,"
            f" {len(outcome.given_up)} given up\n" + outcome.summary()
        )
    if outcome.service_faults:
        raise SourceError(
            outcome.summary() + f"\nthe service could not read the sheets of {len(outcome.service_faults)} unit(s)"
            f" ({', '.join(sorted(outcome.service_faults))}); the others were judged and mailed"
        )
    return outcome.summary()
