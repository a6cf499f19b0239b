"""Command line of the reporting service: parse arguments, load config, call one library function."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import io
import logging
import sys
import zoneinfo
from pathlib import Path

import click

from errors import EXIT_CODES, ServiceError
from settings import Config, load_config
from settings.load import DEFAULT_CONFIG

pass_config = click.make_pass_decorator(Config)


def _today(value: str | None, config: Config) -> dt.date:
    """--today, or the date now in the organisation's time zone (cron runs in UTC)."""
    if value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form", param_hint="--today") from exc
    return dt.datetime.now(zoneinfo.ZoneInfo(config.organisation.timezone)).date()


class ServiceGroup(click.Group):
    """Turns the service's expected failures into a message and their documented exit code."""

    def invoke(self, ctx: click.Context):
        from service.logs import FILE_ONLY

        log = logging.getLogger("main")
        try:
            result = super().invoke(ctx)
        except ServiceError as exc:
            log.error("%s: exit %d: %s", ctx.invoked_subcommand, exc.exit_code, exc, extra={FILE_ONLY: True})
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.Abort, click.ClickException):
            raise
        except Exception:
            log.exception("%s: unexpected failure (a bug)", ctx.invoked_subcommand, extra={FILE_ONLY: True})
            raise
        log.info("%s: exit 0", ctx.invoked_subcommand)
        return result


def _exit_codes_help() -> str:
    return "\b\nExit codes:\n" + "\n".join(f"  {code}  {meaning}" for code, meaning in EXIT_CODES.items())


@click.group(cls=ServiceGroup, epilog=_exit_codes_help())
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Config file (default: config.yaml beside main.py).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors (the log file still gets everything).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: bool, quiet: bool) -> None:
    """Collect the units' periodic reports, check them and tell the province who is late.

    Every command logs to the config's log_file; stderr gets warnings (-v: progress too).

    \b
    Example:
        python main.py check --today 2023-07-20
    """
    from service.logs import configure_logging, reset_logging

    if verbose and quiet:
        raise click.UsageError("-v and -q cannot be used together")
    ctx.obj = load_config(config_path)
    configure_logging(ctx.obj, verbose, quiet)
    ctx.call_on_close(reset_logging)
    if quiet:  # nothing on stdout; errors still go to stderr
        ctx.with_resource(contextlib.redirect_stdout(io.StringIO()))


@cli.command()
@click.option("--today", help="Judge as if today were this date (YYYY-MM-DD).")
@click.option("--unit", "unit_id", help="Only this unit (its id in config).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines instead of tables.")
@click.option("--full", is_flag=True, help="Re-read every sheet, even those unchanged since their last read.")
@pass_config
def check(config: Config, today: str | None, unit_id: str | None, as_json: bool, full: bool) -> None:
    """Read every unit's sheet and show each report's status and every finding.

    Exits 0 when it ran, whatever state the units' reports are in.

    \b
    Example:
        python main.py check --today 2023-07-20
        python main.py check --unit 944 --json
    """
    from service.check import check_command

    if unit_id and unit_id not in {u.id for u in config.units} and config.control is None:
        raise click.BadParameter(f"no unit with id {unit_id!r} in config", param_hint="--unit")
    click.echo(check_command(config, _today(today, config), unit_id, as_json, full))


@cli.command()
@click.option("--all", "verbose", is_flag=True, help="List every check, not one line per healthy unit.")
@pass_config
def doctor(config: Config, verbose: bool) -> None:
    """Check credentials, every unit's sheet, tabs and headers, and the mail transport; print each fix.

    Exits 0 when every check passes, 5 otherwise.

    \b
    Example:
        python main.py doctor
    """
    from errors import ChecksFailed
    from service.doctor import render_doctor, run_doctor

    rows = run_doctor(config)
    click.echo(render_doctor(rows, verbose=verbose))
    if not all(r.ok for r in rows):
        raise ChecksFailed(f"doctor found {sum(not r.ok for r in rows)} problem(s)")


@cli.command()
@click.option("--today", help="Run as if today were this date (YYYY-MM-DD).")
@click.option("--dry-run", is_flag=True, help="Write the emails to the outbox folder; send and record nothing.")
@pass_config
def run(config: Config, today: str | None, dry_run: bool) -> None:
    """Check every unit, then send the consolidated report and the reminders due today.

    Each email goes out once: a second run the same day sends nothing new. Exits 3 while
    emails stay queued after a delivery failure (they go out on the next run), 0 otherwise.

    \b
    Example:
        python main.py run --today 2023-07-20
        python main.py run --dry-run
    """
    from service.run import run_command

    click.echo(run_command(config, _today(today, config), dry_run))


@cli.command()
@click.argument("unit_id", metavar="UNIT")
@click.option("--form", "form_key", help="Only this form (its key in config).")
@click.option("--period", "period_id", help="Only this period (its id, e.g. 2023-M07, 2023-H1, 2023-Y).")
@pass_config
def history(config: Config, unit_id: str, form_key: str | None, period_id: str | None) -> None:
    """Show what the service saw in a unit's sheet, read by read: periods that appeared or went,
    and values that changed, old → new.

    \b
    Example:
        python main.py history 941
        python main.py history 941 --form commitment_monthly --period 2023-M08
    """
    from service.history import history_command
    from service.requests import config_with_requests

    if unit_id not in {u.id for u in config_with_requests(config).units}:
        raise click.BadParameter(f"no unit with id {unit_id!r} in config", param_hint="UNIT")
    if form_key and form_key not in {f.key for f in config.forms}:
        raise click.BadParameter(f"no form with key {form_key!r} in config", param_hint="--form")
    click.echo(history_command(config, unit_id, form_key, period_id))


@cli.command()
@click.option("--period", "period_id", help="Only this period (its id, e.g. 2023-H1 or 2023-M07).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines instead of tables.")
@pass_config
def status(config: Config, period_id: str | None, as_json: bool) -> None:
    """Show each report as last judged, the reminders sent and the emails queued, from the state file.

    Reads no sheet: it shows what the last check or run saw. Exits 0, also before any run.

    \b
    Example:
        python main.py status
        python main.py status --period 2023-H1 --json
    """
    from service.status import status_command

    click.echo(status_command(config, period_id, as_json))


@cli.command()
@click.argument("unit_id", metavar="UNIT")
@click.option("--form", "form_key", required=True, help="The form (its key in config).")
@click.option("--period", "period_id", required=True, help="The period (its id, e.g. 2023-H1, 2023-Y, 2023-M07).")
@click.option("--accept", is_flag=True, help="Approve the report as the service last read it.")
@click.option("--return", "comment", metavar="COMMENT", help="Send the report back to the unit with this comment.")
@click.option("--today", help="Record the decision as made on this date (YYYY-MM-DD).")
@pass_config
def review(
    config: Config, unit_id: str, form_key: str, period_id: str, accept: bool, comment: str | None, today: str | None
) -> None:
    """Record the office's decision on one report: accepted, or returned with a comment.

    A returned report counts as incomplete until the unit's data for it change, then it is
    judged afresh; the next `run` emails the comment to the unit, once. An accepted report whose
    data change later is flagged to the office in the next consolidated report.

    \b
    Example:
        python main.py review 944 --form topic_report --period 2023-H1 --return "Số liệu tập huấn chưa khớp"
        python main.py review 941 --form commitment_monthly --period 2023-M07 --accept
    """
    from rules.calendar import period_by_id
    from rules.judge import owed_forms
    from service.requests import config_with_requests
    from service.review import review_command

    config = config_with_requests(config)  # the control sheet's units and the open ad-hoc requests too
    unit = next((u for u in config.units if u.id == unit_id), None)
    if unit is None:
        raise click.BadParameter(f"no unit with id {unit_id!r} in config", param_hint="UNIT")
    if form_key not in {f.key for f in config.forms}:
        raise click.BadParameter(f"no form with key {form_key!r} in config", param_hint="--form")
    period = period_by_id(period_id, config.calendar)
    if period is None:
        raise click.BadParameter(
            f"{period_id!r} is not a period id (2023-M07, 2023-H1, 2023-Y or an ad-hoc id in config)",
            param_hint="--period",
        )
    if not {period.type, period.id} & set(owed_forms(config, unit).get(form_key, [])):
        raise click.BadParameter(f"unit {unit_id} owes no {form_key} report for {period_id}", param_hint="--period")
    if accept == (comment is not None):
        raise click.UsageError('give exactly one of --accept or --return "comment"')
    if comment is not None and not comment.strip():
        raise click.BadParameter("the comment is empty: say what the unit must correct", param_hint="--return")
    click.echo(review_command(config, unit, form_key, period, comment, _today(today, config)))


@cli.command()
@click.option("--period", "period_id", required=True, help="The period (its id, e.g. 2023-H1, 2023-Y, 2023-M07).")
@click.option("--form", "form_key", help="The form (its key in config; default: the first owed with figures).")
@click.option("--today", help="Date the report and judge as if today were this date (YYYY-MM-DD).")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
    help="Folder to write bao-cao-<period>.docx and tong-hop-<period>.xlsx into.",
)  # fmt: skip
@pass_config
def report(config: Config, period_id: str, form_key: str | None, today: str | None, out: Path) -> None:
    """Read every sheet and write the draft Báo cáo (.docx) and the consolidated workbook of a period.

    The document is laid out as config's report.layout says (party or state), ready for the
    office to complete sections I and V, number, sign and send. Prints the files written.

    \b
    Example:
        python main.py report --period 2023-H1 --out reports/
        python main.py report --period 2023-Y --form topic_report --today 2023-12-20 --out reports/
    """
    from service.report import report_command

    if form_key and form_key not in {f.key for f in config.forms}:
        raise click.BadParameter(f"no form with key {form_key!r} in config", param_hint="--form")
    click.echo(report_command(config, period_id, form_key, _today(today, config), out))


def _date_option(value: str | None, param: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form", param_hint=param) from exc


@cli.command()
@click.option("--form", "form_key", help="The form asked for (its key in config).")
@click.option("--title", help="What is asked, in Vietnamese, as units will read it.")
@click.option("--due", help="The deadline (YYYY-MM-DD).")
@click.option("--start", help="First day the report covers (YYYY-MM-DD; default: today).")
@click.option("--unit", "unit_ids", multiple=True, help="A unit that owes it (repeat; default: every unit).")
@click.option("--alias", "aliases", multiple=True, help="What units type in the period column (repeat).")
@click.option("--today", help="Open it as if today were this date (YYYY-MM-DD).")
@click.option("--list", "show_list", is_flag=True, help="List every request and its status.")
@click.option("--cancel", "cancel_id", metavar="ID", help="Cancel this request: it is owed no more, reminders stop.")
@pass_config
def request(
    config: Config,
    form_key: str | None,
    title: str | None,
    due: str | None,
    start: str | None,
    unit_ids: tuple[str, ...],
    aliases: tuple[str, ...],
    today: str | None,
    show_list: bool,
    cancel_id: str | None,
) -> None:
    """Open an ad-hoc report (báo cáo đột xuất) as a one-off period kept in the state file.

    The next `run` emails the request to each unit once (what, by when, which tab, what to type
    in the period column); from then on reminders and the consolidated report treat it like any
    period. `--list` shows the requests, `--cancel ID` closes one.

    \b
    Example:
        python main.py request --form topic_report --title "Báo cáo nhanh tháng 12" \\
            --due 2023-12-08 --alias "Đột xuất 12/2023"
        python main.py request --list
        python main.py request --cancel adhoc-2023-12-01
    """
    from service.requests import InvalidRequest, cancel_command, list_command, request_command

    opening = any([form_key, title, due, start, unit_ids, aliases])
    if show_list + bool(cancel_id) + opening > 1:
        raise click.UsageError("use one of: --list, --cancel ID, or --form/--title/--due to open a request")
    try:
        if show_list:
            click.echo(list_command(config))
            return
        if cancel_id:
            click.echo(cancel_command(config, cancel_id, _today(today, config)))
            return
        for name, value in (("--form", form_key), ("--title", title), ("--due", due)):
            if not value:
                raise click.BadParameter("is required to open a request", param_hint=name)
        if form_key not in {f.key for f in config.forms}:
            raise click.BadParameter(f"no form with key {form_key!r} in config", param_hint="--form")
        unknown = [u for u in unit_ids if u not in {unit.id for unit in config.units}]
        if unknown:
            raise click.BadParameter(f"no unit with id {', '.join(map(repr, unknown))} in config", param_hint="--unit")
        click.echo(
            request_command(
                config, _today(today, config), form_key, title, _date_option(due, "--due"),  # type: ignore[arg-type]
                _date_option(start, "--start"), unit_ids, aliases,
            )
        )  # fmt: skip
    except InvalidRequest as exc:
        raise click.BadParameter(str(exc), param_hint=exc.param) from None


@cli.command()
@click.option("--unit", "unit_id", help="Only this unit (its id in config).")
@click.option("--check", is_flag=True, help="Print what would change; write nothing.")
@click.option("--today", help="Write the help texts' examples as of this date (YYYY-MM-DD).")
@pass_config
def provision(config: Config, unit_id: str | None, check: bool, today: str | None) -> None:
    """Create or repair each unit's tabs from the forms: header, notes, validation, widths, help tab.

    Google: in the spreadsheet the unit created and shared with the service account as Editor
    (a service account cannot create one), one read and at most one batchUpdate per spreadsheet;
    local: a template workbook for a unit whose workbook is missing. Data rows are never touched;
    a second run changes nothing. Exits 4 when the service itself failed (a key refused).

    \b
    Example:
        python main.py provision --check
        python main.py provision --unit 946
    """
    from service.provision import provision_command
    from service.requests import config_with_requests

    config = config_with_requests(config)  # the control sheet's units; open requests in the help tab
    if unit_id and unit_id not in {u.id for u in config.units}:
        raise click.BadParameter(f"no unit with id {unit_id!r} in config or the control sheet", param_hint="--unit")
    click.echo(provision_command(config, _today(today, config), unit_id, check))


@cli.command()
@click.option(
    "--at", type=click.DateTime(["%H:%M"]), default="07:00", show_default=True,
    help="Time of day, in the organisation's time zone.",
)  # fmt: skip
@click.pass_context
def schedule(ctx: click.Context, at: dt.datetime) -> None:
    """Print the crontab line, or the systemd service and timer, that start `run` every day.

    Written for this install: the folder of main.py, this Python and the config in use.

    \b
    Example:
        python main.py schedule
        python main.py --config /srv/bao-cao/config.yaml schedule --at 06:30
    """
    from service.cron import Install, schedule_text

    config = ctx.find_object(Config)
    config_path = ctx.find_root().params["config_path"] or DEFAULT_CONFIG
    install = Install.current(Path(__file__).parent, config_path)
    click.echo(schedule_text(config, install, at.time(), dt.date.today().year))


@cli.command()
@click.option("--init", "init", is_flag=True, help="Create the control workbook with its tabs and config's units.")
@click.option("--check", "check_only", is_flag=True, help="Read it and print what would change; apply nothing.")
@click.option("--today", help="Judge as if today were this date (YYYY-MM-DD).")
@pass_config
def control(config: Config, init: bool, check_only: bool, today: str | None) -> None:
    """The office's control spreadsheet (config: control.sheet): units kept by staff.

    Its «Đơn vị» tab adds units to config.yaml's or overrides them by id; «Đang theo dõi: không»
    stops following one (its history stays). Every check, run and report reads it first.

    \b
    Example:
        python main.py control --init
        python main.py control --check
    """
    from service.control import control_check_command, control_init_command

    if init == check_only:
        raise click.UsageError("give exactly one of --init or --check")
    if init:
        click.echo(control_init_command(config))
    else:
        click.echo(control_check_command(config, _today(today, config)))


@cli.command()
@click.argument("destination", metavar="PATH")
@pass_config
def backup(config: Config, destination: str) -> None:
    """Copy the state file to PATH, consistently even while a run writes it.

    PATH is a new file, or a folder (ending in /, or existing) that gets state-YYYYMMDD-HHMMSS.sqlite3.
    An existing file is never overwritten. Prints the file written and its size.

    \b
    Example:
        python main.py backup backups/
        python main.py backup /mnt/usb/state-before-upgrade.sqlite3
    """
    from service.backup import backup_command

    if Path(destination).is_file():
        raise click.BadParameter(f"{destination} already exists; name a new file or a folder", param_hint="PATH")
    click.echo(backup_command(config, destination))


if __name__ == "__main__":
    # A command builds hundreds of thousands of objects that live until it ends (every unit's cells,
    # records and findings). With the default threshold (700) the collector rescans them over and
    # over: a third of `check`'s CPU at 3,321 units. What is loaded by now stays for good too.
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    sys.exit(cli())
