"""`review`: the office's decision on one report, accepted or returned with a comment, kept in the
store with the report's rows as the service last read them. The judgement acts on it from the next
`check` or `run`; the email to the unit goes out with the next `run`, like every other email (the
ledger, the lock, the queue and the sending days in one place)."""

from __future__ import annotations

import datetime as dt

from errors import NothingToReview
from rules.model import REVIEW_ACCEPTED, REVIEW_RETURNED, Period
from settings.schema import Config, Unit
from store import Store


def review_command(
    config: Config, unit: Unit, form_key: str, period: Period, comment: str | None, today: dt.date
) -> str:
    """Record the decision (returned when ``comment`` is given, else accepted) and say what follows."""
    form = config.form(form_key)
    with Store.open(config.state_file) as store:
        rows = store.report_rows(unit.id, form_key, period.id)
        if not rows:
            raise NothingToReview(
                f"the service has no {form_key} report of unit {unit.id} for {period.id} in its last read of the"
                f" tab «{form.tab}»; run `python main.py check` first, or wait for the unit to enter it"
            )
        decision = REVIEW_RETURNED if comment is not None else REVIEW_ACCEPTED
        review = store.record_review(unit.id, form_key, period.id, decision, (comment or "").strip(), today, rows)
    head = f"review {unit.id} {form_key} {period.id} ({period.label}): {review.decision} on {today.isoformat()}"
    if review.decision == REVIEW_ACCEPTED:
        return "\n".join([
            head,
            "  a later change to its data is flagged to the office in the next consolidated report",
        ])  # fmt: skip
    return "\n".join([
        f"{head} with the comment «{review.comment}»",
        "  it counts as incomplete until the unit's data for it change from those last read; then it is judged afresh",
        f"  the next `run` emails the comment to the unit ({', '.join(unit.emails)}), once",
    ])  # fmt: skip
