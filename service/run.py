"""`run`, the job cron starts: collect → decide which emails are due → render → deliver → record.

Every email is recorded in the ledger as queued before it is handed to the transport and as
sent once accepted, so a crash in between repeats at most that one email, same Message-ID.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from consolidation.figures import unreadable_unit_ids
from delivery.ledger import CAP, FAILED, Ledger
from delivery.message import build_message
from delivery.render import Rendered, render_email
from delivery.schedule import PlannedEmail, plan
from delivery.transport import Attempt, Transport, TransportUnavailable, build_transport
from errors import DeliveryError, SourceError
from service.check import collect
from settings.schema import Config
from sync import state
from sync.source import Source

log = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    """What one run decided and delivered, by kind of email."""

    today: dt.date
    transport: str
    dry_run: bool
    due: Counter[str] = field(default_factory=Counter)
    sent: Counter[str] = field(default_factory=Counter)
    capped: int = 0
    cancelled: int = 0
    waiting_errors: list[tuple[str, str]] = field(default_factory=list)
    given_up: list[tuple[str, str]] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    delivery_seconds: float = 0.0

    def summary(self) -> str:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.due.items())) or "none"
        sent = ", ".join(f"{n} {kind}" for kind, n in sorted(self.sent.items())) or "none"
        verb = "written to the outbox" if self.transport == "outbox" else "sent"
        lines = [
            f"run {self.today.isoformat()}{' (dry run: nothing recorded)' if self.dry_run else ''}",
            f"  due: {sum(self.due.values())} email(s): {kinds}",
            f"  {verb}: {sum(self.sent.values())}: {sent}",
        ]
        if self.capped:
            lines.append(f"  over the daily cap, queued for the next run: {self.capped}")
        if self.cancelled:
            lines.append(f"  queued earlier and no longer due, cancelled: {self.cancelled}")
        lines += [f"  still queued: {key}: {error}" for key, error in self.waiting_errors]
        lines += [f"  given up after mail.max_attempts: {key}: {error}" for key, error in self.given_up]
        return "\n".join(lines)


def _recipients(email: PlannedEmail, delivered: list[str]) -> list[str]:
    done = {a.lower() for a in delivered}
    return [a for a in dict.fromkeys(email.to + email.cc) if a.lower() not in done]


def deliver(
    config: Config,
    today: dt.date,
    planned: list[PlannedEmail],
    render: Callable[[PlannedEmail], Rendered],
    ledger: Ledger | None,
    transport: Transport,
    outcome: RunOutcome,
) -> None:
    """Render, build and hand each email to ``transport``, recording each step in ``ledger``.

    ``ledger`` None is a dry run: nothing is recorded and the daily cap still applies.
    """
    delivery = config.mail.delivery
    sender = delivery.user if delivery.transport == "smtp" else config.organisation.office_email
    budget = config.mail.daily_cap - (ledger.sent_on(today) if ledger else 0)
    down: str | None = None
    started = time.perf_counter()
    with transport:
        for email in planned:
            entry = ledger.entry(email.key) if ledger else None
            delivered = entry.delivered_to if entry else []
            recipients = _recipients(email, delivered)
            outgoing = build_message(
                email.key, email.kind, email.unit.id if email.unit else None, render(email), sender,
                config.mail.sender_name, email.to, email.cc, reply_to=config.organisation.office_email,
            )  # fmt: skip
            if ledger:
                ledger.queue(email, today, outgoing.message_id, outgoing.subject, recipients)
            if not recipients:  # every recipient took it on an earlier run; only the record was missing
                if ledger:
                    ledger.mark_sent(email.key, today, transport.name, delivered)
                continue
            if budget <= 0:
                outcome.capped += 1
                if ledger:
                    ledger.mark_capped(email.key)
                continue
            if down is None:
                try:
                    attempt = transport.send(outgoing, recipients)
                    budget -= 1
                except TransportUnavailable as exc:
                    down = str(exc)
                    log.error("delivery stopped: %s", down)
            if down is None:
                _record(config, today, email, attempt, delivered, ledger, transport.name, outcome)
            elif ledger:
                ledger.mark_failed_attempt(email.key, down, transport.name, delivered, give_up_after=None)
    outcome.delivery_seconds = time.perf_counter() - started


def _record(
    config: Config,
    today: dt.date,
    email: PlannedEmail,
    attempt: Attempt,
    delivered_before: list[str],
    ledger: Ledger | None,
    transport: str,
    outcome: RunOutcome,
) -> None:
    """What one attempt means for the ledger: sent, still queued, or given up."""
    delivered = delivered_before + attempt.accepted
    if attempt.complete:
        outcome.sent[email.kind] += 1
        log.info("%s %s: %s", transport, email.kind, email.key)
        if ledger:
            ledger.mark_sent(email.key, today, transport, delivered)
        return
    error = attempt.error or "refused: " + "; ".join(f"{a} ({why})" for a, why in attempt.refused.items())
    log.warning("%s stays queued: %s", email.key, error)
    if ledger is None:
        return
    if ledger.mark_failed_attempt(email.key, error, transport, delivered, config.mail.max_attempts) == FAILED:
        log.error("%s given up after %d attempts", email.key, config.mail.max_attempts)
        outcome.given_up.append((email.key, error))


def run_job(
    config: Config,
    today: dt.date,
    dry_run: bool = False,
    source: Source | None = None,
    transport: Transport | None = None,
) -> RunOutcome:
    """The whole job for ``today``; returns what happened (DeliveryError is raised by run_command)."""
    judgement = collect(config, today, source=source, command="run", record=not dry_run)
    transport = transport or build_transport(config, dry_run)
    outcome = RunOutcome(today, transport.name, dry_run)
    outcome.unreadable = sorted(unreadable_unit_ids(judgement))
    connection = state.connect(config.state_file)
    try:
        ledger = Ledger(connection)
        planned = plan(config, judgement, ledger.view(today))
        outcome.due.update(e.kind for e in planned)
        if not dry_run:
            outcome.cancelled = ledger.cancel_queued_except({e.key for e in planned})
        deliver(
            config,
            today,
            planned,
            lambda email: render_email(config, judgement, email),
            None if dry_run else ledger,
            transport,
            outcome,
        )
        if not dry_run:
            outcome.waiting_errors = [(e.key, e.last_error or "") for e in ledger.waiting() if e.queued_reason != CAP]
    finally:
        connection.close()
    return outcome


def run_command(config: Config, today: dt.date, dry_run: bool = False) -> str:
    """What `python main.py run` prints; DeliveryError while emails stay queued after a failure."""
    outcome = run_job(config, today, dry_run)
    if outcome.waiting_errors or outcome.given_up:
        raise DeliveryError(
            f"{len(outcome.waiting_errors)} email(s) could not be delivered and stay queued for the next run,"
            f" {len(outcome.given_up)} given up\n" + outcome.summary()
        )
    if outcome.unreadable:
        raise SourceError(
            f"the sheets of {len(outcome.unreadable)} unit(s) could not be read this run"
            f" ({', '.join(outcome.unreadable)}); the others were judged and mailed\n" + outcome.summary()
        )
    return outcome.summary()
